"""The v2-only transforms: containers that pass whole samples, and ``ToImage``/``ToDtype``/``ToPureTensor``."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import tensorlib as tl

from .. import _random
from .. import transforms as _v1
from . import functional as F
from ._sample import flatten
from ._transform import Transform


class Compose(_v1.Compose):
    """Apply ``transforms`` in order to the whole sample: ``Compose(ts)(image, target)`` -> ``(image', target)``."""

    def __call__(self, *inputs: Any) -> Any:
        unpack = len(inputs) > 1
        outputs = inputs[0] if not unpack else inputs
        for transform in self.transforms:
            outputs = transform(*inputs)
            inputs = outputs if unpack else (outputs,)
        return outputs


class RandomApply(_v1.RandomApply):
    """Apply ``transforms`` in order to the whole sample with probability ``p``."""

    def __call__(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        if self.p < _random.rand():
            return sample
        return Compose(self.transforms)(*inputs)


class RandomChoice(_v1.RandomChoice):
    """Apply one of ``transforms`` (weights ``p``) to the whole sample."""


class RandomOrder(_v1.RandomOrder):
    """Apply ``transforms`` to the whole sample in a random order."""

    def __call__(self, *inputs: Any) -> Any:
        unpack = len(inputs) > 1
        outputs = inputs if unpack else inputs[0]
        for index in _random.randperm(len(self.transforms)):
            outputs = self.transforms[index](*inputs)
            inputs = outputs if unpack else (outputs,)
        return outputs


class Identity(Transform):
    """Return the sample unchanged."""

    def __call__(self, *inputs: Any) -> Any:
        return inputs if len(inputs) > 1 else inputs[0]


class Lambda(Transform):
    """Apply ``lambd`` to every leaf of the sample that is an instance of ``types`` (default: every leaf)."""

    def __init__(self, lambd: Callable[[Any], Any], *types: type) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd
        self.types = types or (object,)

    def __call__(self, *inputs: Any) -> Any:
        leaves, rebuild = flatten(inputs if len(inputs) > 1 else inputs[0])
        return rebuild([self.lambd(leaf) if isinstance(leaf, self.types) else leaf for leaf in leaves])

    def extra_repr(self) -> str:
        types = ", ".join(t.__name__ for t in self.types)
        return f"{getattr(self.lambd, '__name__', repr(self.lambd))}, types=[{types}]"


class ToImage(Transform):
    """PIL image, HWC NumPy array or tensor -> ``(C, H, W)`` tensor, values and dtype unchanged."""

    _arrays_are_images = True

    def transform(self, inpt: Any, params: dict) -> tl.Tensor:
        return F.to_image(inpt)


class ToPureTensor(Transform):
    """A no-op here: tensorlib has no tensor subclasses (torchvision's ``tv_tensors``) to unwrap."""

    def __call__(self, *inputs: Any) -> Any:
        return inputs if len(inputs) > 1 else inputs[0]


class ToDtype(Transform):
    """Convert the image to ``dtype``; with ``scale=True`` rescale values (uint8 [0, 255] <-> float [0, 1])."""

    def __init__(self, dtype: Any, scale: bool = False) -> None:
        if isinstance(dtype, dict):
            dtype = dtype.get(tl.Tensor, dtype.get("others"))
        if not isinstance(dtype, tl.dtype):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt: Any, params: dict) -> Any:
        return F.to_dtype(inpt, self.dtype, scale=self.scale)

    def extra_repr(self) -> str:
        return f"dtype={self.dtype}, scale={self.scale}"


class RGB(Transform):
    """Convert a 1- or 3-channel image to 3 channels (RGB)."""

    def transform(self, inpt: Any, params: dict) -> Any:
        return F.grayscale_to_rgb(inpt)


class GaussianNoise(Transform):
    """Add ``N(mean, sigma^2)`` noise to a float tensor image, clipped to [0, 1] when ``clip``."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.mean, self.sigma, self.clip = mean, sigma, clip

    def transform(self, inpt: Any, params: dict) -> Any:
        return F.gaussian_noise(inpt, mean=self.mean, sigma=self.sigma, clip=self.clip)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, sigma={self.sigma}, clip={self.clip}"


class RandomResize(Transform):
    """Resize the shorter edge to a size drawn uniformly from ``[min_size, max_size)`` (one draw per sample)."""

    def __init__(self, min_size: int, max_size: int, interpolation=_v1.InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        self.min_size, self.max_size = int(min_size), int(max_size)
        self.interpolation, self.antialias = interpolation, antialias

    def make_params(self, flat_inputs: list) -> dict:
        return {"size": [_random.randint(self.min_size, self.max_size)]}

    def transform(self, inpt: Any, params: dict) -> Any:
        return F.resize(inpt, params["size"], self.interpolation, antialias=self.antialias)

    def extra_repr(self) -> str:
        return (f"min_size={self.min_size}, max_size={self.max_size}, interpolation={self.interpolation}, "
                f"antialias={self.antialias}")


class RandomChannelPermutation(Transform):
    """Shuffle the channels of a tensor image ``(..., C, H, W)`` (one permutation per sample)."""

    def make_params(self, flat_inputs: list) -> dict:
        channels = F.get_num_channels(flat_inputs[0])
        return {"permutation": _random.randperm(channels)}

    def transform(self, inpt: Any, params: dict) -> Any:
        if not isinstance(inpt, tl.Tensor):
            raise TypeError(f"RandomChannelPermutation expects a tensor image, got {type(inpt).__name__}")
        return inpt[..., params["permutation"], :, :]


class ToTensor(Transform, _v1.ToTensor):
    """Deprecated in torchvision v2 (warns): use ``Compose([ToImage(), ToDtype(torch.float32, scale=True)])``."""

    _arrays_are_images = True

    def __init__(self) -> None:
        warnings.warn("The transform `ToTensor()` is deprecated and will be removed in a future release. Instead, "
                      "please use `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`.",
                      UserWarning, stacklevel=2)

    def transform(self, inpt: Any, params: dict) -> tl.Tensor:
        return _v1.ToTensor.__call__(self, inpt)
