"""Composable image transforms with torchvision's names, arguments, defaults and random semantics.

Random parameters are drawn in ``get_params`` from tensorlib's global generator (see ``_random``), so
``tl.manual_seed`` reproduces an augmentation pipeline and DataLoader workers get independent streams.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

import tensorlib as tl

from . import _random
from . import functional as F
from .autoaugment import TrivialAugmentWide
from .functional import InterpolationMode, _interpolation

__all__ = [
    "Compose", "ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Normalize", "Resize",
    "CenterCrop", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip",
    "RandomRotation", "RandomAffine", "ColorJitter", "Grayscale", "RandomGrayscale", "Pad", "Lambda",
    "RandomApply", "RandomChoice", "RandomOrder", "RandomErasing", "GaussianBlur", "FiveCrop", "TenCrop",
    "InterpolationMode", "RandomInvert", "RandomPosterize", "RandomSolarize", "RandomAdjustSharpness",
    "RandomAutocontrast", "RandomEqualize", "TrivialAugmentWide",
]


def _setup_size(size, error_msg: str) -> Tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(error_msg)
    return int(size[0]), int(size[1])


def _setup_angle(value, name: str, req_sizes=(2,)) -> List[float]:
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        value = [-value, value]
    else:
        _check_sequence_input(value, name, req_sizes)
    return [float(d) for d in value]


def _check_sequence_input(value, name: str, req_sizes) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join(str(s) for s in req_sizes)
    if not isinstance(value, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(value) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _check_probability(p: float) -> None:
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"probability should be in [0, 1], got {p}")


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = transforms

    def __call__(self, img):
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + "("] + [f"    {t}" for t in self.transforms] + [")"]
        return "\n".join(lines)


class _Transform:
    """Base for transforms: ``forward`` does the work, ``__call__`` calls it (like an nn.Module)."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, img):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ToTensor(_Transform):
    """PIL image / HWC uint8 array -> float32 (C, H, W) tensor in [0, 1] (other dtypes keep their values)."""

    def forward(self, pic):
        return F.to_tensor(pic)


class PILToTensor(_Transform):
    """PIL image -> (C, H, W) tensor with the original dtype and values."""

    def forward(self, pic):
        return F.pil_to_tensor(pic)


class ToPILImage(_Transform):
    """(C, H, W) tensor or (H, W, C) array -> PIL image (``mode`` inferred from channels and dtype)."""

    def __init__(self, mode: str | None = None):
        self.mode = mode

    def forward(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mode={self.mode})" if self.mode is not None else "ToPILImage()"


class ConvertImageDtype(_Transform):
    """Convert a tensor image to ``dtype`` rescaling the values (e.g. uint8 [0, 255] -> float [0, 1])."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class Normalize(_Transform):
    """``(x - mean[c]) / std[c]`` for each channel of a float tensor image."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean = mean
        self.std = std
        self.inplace = inplace
        self._checked = {}  # (dtype, channels) -> (mean, std) arrays already validated by F.normalize

    def forward(self, tensor):
        if isinstance(tensor, tl.Tensor) and not self.inplace and tensor.dim() >= 3:
            data = tensor.numpy()
            arrays = self._checked.get((data.dtype, data.shape[-3]))
            if arrays is not None:  # per-sample hot path: skip re-validating mean/std for every image
                return tl.from_numpy((data - arrays[0]) / arrays[1])
            out = F.normalize(tensor, self.mean, self.std, self.inplace)
            channels = data.shape[-3]
            shape = (-1, 1, 1)
            mean = np.broadcast_to(np.asarray(self.mean, dtype=data.dtype).reshape(shape), (channels, 1, 1))
            std = np.broadcast_to(np.asarray(self.std, dtype=data.dtype).reshape(shape), (channels, 1, 1))
            self._checked[(data.dtype, channels)] = (np.ascontiguousarray(mean), np.ascontiguousarray(std))
            return out
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Resize(_Transform):
    """Resize to ``size``: an int matches the shorter edge (aspect kept, ``max_size`` caps the longer)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
                 antialias: bool | None = True):
        if size is not None and not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(_Transform):
    """Crop the centre (h, w) (an int gives a square); pads with zeros if the image is smaller."""

    def __init__(self, size):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(_Transform):
    """Pad borders by ``padding`` with ``fill`` or the edge/reflect/symmetric ``padding_mode``."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
                             "element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class Lambda(_Transform):
    """Wrap a user function as a transform."""

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def forward(self, img):
        return self.lambd(img)


class RandomCrop(_Transform):
    """Crop a random (h, w) window, optionally padding first (``padding``) or when too small."""

    @staticmethod
    def get_params(img, output_size: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """(top, left, height, width) of a uniformly random crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _random.randint(0, h - th + 1)
        j = _random.randint(0, w - tw + 1)
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop(_Transform):
    """Crop a random area fraction ``scale`` with log-uniform aspect ``ratio``, resize to ``size``."""

    def __init__(self, size, scale: Tuple[float, float] = (0.08, 1.0),
                 ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR,
                 antialias: bool | None = True):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    @staticmethod
    def get_params(img, scale: Sequence[float], ratio: Sequence[float]) -> Tuple[int, int, int, int]:
        """(top, left, height, width): 10 tries of random area/aspect, else a centre crop clamped to ratio."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _random.uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_random.uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _random.randint(0, height - h + 1)
                j = _random.randint(0, width - w + 1)
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self) -> str:
        scale = tuple(round(s, 4) for s in self.scale)
        return (f"{self.__class__.__name__}(size={self.size}, scale={scale}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class RandomHorizontalFlip(_Transform):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def forward(self, img):
        return F.hflip(img) if _random.rand() < self.p else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(_Transform):
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def forward(self, img):
        return F.vflip(img) if _random.rand() < self.p else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


def _tensor_fill(img, fill):
    """Tensors and arrays take one float per channel; PIL keeps the user's fill."""
    if F._is_pil(img):
        return fill
    channels = F.get_image_num_channels(img)
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


class RandomRotation(_Transform):
    """Rotate by an angle uniform in ``degrees`` (a number d means (-d, d))."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center: Sequence[int] | None = None, fill=0):
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.center = center
        self.interpolation = _interpolation(interpolation)
        self.expand = expand
        self.fill = fill

    @staticmethod
    def get_params(degrees: List[float]) -> float:
        return _random.uniform(degrees[0], degrees[1])

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(degrees={self.degrees}, "
                f"interpolation={self.interpolation.value}, expand={self.expand}, fill={self.fill})")


class RandomAffine(_Transform):
    """Random rotation, translation (fractions of width/height), scale and shear, keeping the centre."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.translate = translate
        self.scale = scale
        self.shear = _setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None else shear
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.interpolation = _interpolation(interpolation)
        self.fill = fill
        self.center = center

    @staticmethod
    def get_params(degrees: List[float], translate: List[float] | None, scale_ranges: List[float] | None,
                   shears: List[float] | None, img_size: List[int]):
        """(angle, (tx, ty), scale, (shear_x, shear_y)); ``img_size`` is [width, height]."""
        angle = _random.uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (int(round(_random.uniform(-max_dx, max_dx))),
                            int(round(_random.uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _random.uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _random.uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _random.uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        angle, translations, scale, shear = self.get_params(self.degrees, self.translate, self.scale,
                                                            self.shear, [width, height])
        return F.affine(img, angle, list(translations), scale, list(shear), interpolation=self.interpolation,
                        fill=fill, center=self.center)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear}, interpolation={self.interpolation.value})")


class ColorJitter(_Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name: str, center: float = 1, bound=(0, float("inf")),
                     clip_first_on_zero: bool = True) -> List[float] | None:
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:
            return None
        return value

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order of the four ops, brightness, contrast, saturation, hue factors or None)."""
        fn_idx = _random.randperm(4)
        b = None if brightness is None else _random.uniform(brightness[0], brightness[1])
        c = None if contrast is None else _random.uniform(contrast[0], contrast[1])
        s = None if saturation is None else _random.uniform(saturation[0], saturation[1])
        h = None if hue is None else _random.uniform(hue[0], hue[1])
        return fn_idx, b, c, s, h

    def forward(self, img):
        fn_idx, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in fn_idx:
            if fn_id == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif fn_id == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif fn_id == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif fn_id == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale(_Transform):
    """Convert to grayscale with 1 or 3 (identical) output channels."""

    def __init__(self, num_output_channels: int = 1):
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(_Transform):
    """Grayscale (keeping the channel count) with probability ``p``."""

    def __init__(self, p: float = 0.1):
        self.p = p

    def forward(self, img):
        num_output_channels = F.get_image_num_channels(img)
        if _random.rand() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomApply(_Transform):
    """Apply the list of ``transforms`` (in order) with probability ``p``."""

    def __init__(self, transforms, p: float = 0.5):
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < _random.rand():
            return img
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        body = "\n".join(f"    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}(\n    p={self.p}\n{body}\n)"


class RandomChoice(_Transform):
    """Apply one transform picked at random (weights ``p``, uniform by default)."""

    def __init__(self, transforms, p: List[float] | None = None):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        self.transforms = transforms
        if p is not None:
            total = sum(p)
            p = [prob / total for prob in p]
        self.p = p

    def __call__(self, *args):
        weights = np.ones(len(self.transforms)) if self.p is None else np.asarray(self.p, dtype=np.float64)
        bounds = np.cumsum(weights) / weights.sum()
        index = min(int(np.searchsorted(bounds, _random.rand(), side="right")), len(self.transforms) - 1)
        return self.transforms[index](*args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(transforms={self.transforms}, p={self.p})"


class RandomOrder(_Transform):
    """Apply all ``transforms`` in a random order."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for index in _random.randperm(len(self.transforms)):
            img = self.transforms[index](img)
        return img


class RandomErasing(_Transform):
    """Erase a random rectangle of a tensor image with probability ``p`` (Zhong et al. 2017).

    ``value``: a number or per-channel sequence to fill with, or ``"random"`` for standard-normal noise.
    """

    def __init__(self, p: float = 0.5, scale: Tuple[float, float] = (0.02, 0.33),
                 ratio: Tuple[float, float] = (0.3, 3.3), value=0, inplace: bool = False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale: Tuple[float, float], ratio: Tuple[float, float],
                   value: List[float] | None = None) -> Tuple[int, int, int, int, Any]:
        """(top, left, h, w, fill value); falls back to (0, 0, H, W, img) after 10 failed tries."""
        img_c, img_h, img_w = F.get_dimensions(img)
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _random.uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_random.uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = tl.randn(img_c, h, w, dtype=tl.float32)
            else:
                v = tl.tensor(np.asarray(value, dtype=np.float32)[:, None, None])
            i = _random.randint(0, img_h - h + 1)
            j = _random.randint(0, img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if _random.rand() >= self.p:
            return img
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        channels = F.get_image_num_channels(img)
        if value is not None and len(value) not in (1, channels):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{channels} (number of input channels)")
        x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
        return F.erase(img, x, y, h, w, v, self.inplace)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class GaussianBlur(_Transform):
    """Gaussian blur with ``kernel_size`` and a sigma drawn uniformly from ``sigma`` = (min, max)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return _random.uniform(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class FiveCrop(_Transform):
    """The four corner crops and the centre crop, as a tuple."""

    def __init__(self, size):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(_Transform):
    """``FiveCrop`` of the image and of its (horizontally, or vertically) flipped version."""

    def __init__(self, size, vertical_flip: bool = False):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class _RandomPhotometric(_Transform):
    """Apply ``functional.<_op>`` with probability ``p``, passing the attribute named ``_argument`` (if any)."""

    _op: str
    _argument: Optional[str] = None
    p: float

    def forward(self, img):
        if _random.rand() >= self.p:
            return img
        arguments = () if self._argument is None else (getattr(self, self._argument),)
        return getattr(F, self._op)(img, *arguments)

    def __repr__(self) -> str:
        argument = "" if self._argument is None else f"{self._argument}={getattr(self, self._argument)},"
        return f"{self.__class__.__name__}({argument}p={self.p})"  # torchvision's spacing


class RandomInvert(_RandomPhotometric):
    """Invert the colours with probability ``p``."""

    _op = "invert"

    def __init__(self, p: float = 0.5):
        self.p = p


class RandomPosterize(_RandomPhotometric):
    """Keep only ``bits`` bits per channel with probability ``p`` (uint8 tensors or PIL images)."""

    _op, _argument = "posterize", "bits"

    def __init__(self, bits: int, p: float = 0.5):
        self.bits = bits
        self.p = p


class RandomSolarize(_RandomPhotometric):
    """Invert the values at or above ``threshold`` with probability ``p``."""

    _op, _argument = "solarize", "threshold"

    def __init__(self, threshold: float, p: float = 0.5):
        self.threshold = threshold
        self.p = p


class RandomAdjustSharpness(_RandomPhotometric):
    """``adjust_sharpness(img, sharpness_factor)`` with probability ``p``."""

    _op, _argument = "adjust_sharpness", "sharpness_factor"

    def __init__(self, sharpness_factor: float, p: float = 0.5):
        self.sharpness_factor = sharpness_factor
        self.p = p


class RandomAutocontrast(_RandomPhotometric):
    """Stretch each channel to the full range with probability ``p``."""

    _op = "autocontrast"

    def __init__(self, p: float = 0.5):
        self.p = p


class RandomEqualize(_RandomPhotometric):
    """Equalise the histogram with probability ``p`` (uint8 tensors or PIL images)."""

    _op = "equalize"

    def __init__(self, p: float = 0.5):
        self.p = p
