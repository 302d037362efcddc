"""Automatic augmentation policies with torchvision's names, arguments, tables and random semantics.

``AutoAugment``, ``RandAugment``, ``TrivialAugmentWide`` and ``AugMix`` pick operations and magnitudes from
tensorlib's global generator (``tl.randint`` / ``tl.rand``; AugMix's Dirichlet weights from the same
generator's NumPy stream), so ``tl.manual_seed`` and the DataLoader's per-worker seeding reproduce them.
Tensors and arrays must be uint8 for the full operation set (posterize/equalize need it, solarize thresholds
are in [0, 255]); PIL images in mode L or RGB.
"""

from __future__ import annotations

import math
from enum import Enum
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import numpy as np

import tensorlib as tl

from . import _random
from . import functional as F
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]

# op name -> (float32 magnitudes, signed); a 0-d array means the op takes no magnitude.
OpSpace = Dict[str, Tuple[np.ndarray, bool]]


def _apply_op(img, op_name: str, magnitude: float, interpolation, fill):
    """One AutoAugment-family operation with its magnitude (torchvision's ``autoaugment._apply_op``)."""
    if op_name == "ShearX":
        # The shear angle is arctan(magnitude) so that the x offset per row is ``magnitude`` pixels.
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[math.degrees(math.atan(magnitude)), 0.0], interpolation=interpolation,
                        fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[0.0, math.degrees(math.atan(magnitude))], interpolation=interpolation,
                        fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _float32_linspace(start: float, end: float, steps: int) -> np.ndarray:
    """``torch.linspace(start, end, steps)`` bit for bit (float32 step, fused multiply-add from each end).

    Matching the last bit matters: ``int(magnitude)`` of a translate bin such as 15.999999 vs 16.0 differs.
    """
    start32, end32 = np.float32(start), np.float32(end)
    if steps == 1:
        return np.array([start32], dtype=np.float32)
    step = np.float64((end32 - start32) / np.float32(steps - 1))
    index = np.arange(steps, dtype=np.float64)
    # float64 holds the float32 products exactly, so one final rounding emulates the fused multiply-add.
    from_start = np.float64(start32) + step * index
    from_end = np.float64(end32) - step * (steps - 1 - index)
    return np.where(np.arange(steps) < steps // 2, from_start, from_end).astype(np.float32)


def _posterize_bits(num_bins: int, top: int, levels: int) -> np.ndarray:
    """``top - (torch.arange(num_bins) / ((num_bins - 1) / levels)).round().int()`` (float32, half-to-even)."""
    bins = np.arange(num_bins, dtype=np.float32)
    return np.int32(top) - np.round(bins / np.float32((num_bins - 1) / levels)).astype(np.int32)


_NO_MAGNITUDE = np.array(0.0, dtype=np.float32)


def _frozen(space: OpSpace) -> OpSpace:
    """Cached tables are shared between calls, so make their arrays read-only."""
    for magnitudes, _ in space.values():
        magnitudes.setflags(write=False)
    return space


@lru_cache(maxsize=64)
def _autoaugment_space(num_bins: int, height: int, width: int) -> OpSpace:
    """The ops shared by AutoAugment and RandAugment, in RandAugment's order (after ``Identity``)."""

    def linspace(start: float, end: float) -> np.ndarray:
        return _float32_linspace(start, end, num_bins)

    return _frozen({
        "ShearX": (linspace(0.0, 0.3), True),
        "ShearY": (linspace(0.0, 0.3), True),
        "TranslateX": (linspace(0.0, 150.0 / 331.0 * width), True),
        "TranslateY": (linspace(0.0, 150.0 / 331.0 * height), True),
        "Rotate": (linspace(0.0, 30.0), True),
        "Brightness": (linspace(0.0, 0.9), True),
        "Color": (linspace(0.0, 0.9), True),
        "Contrast": (linspace(0.0, 0.9), True),
        "Sharpness": (linspace(0.0, 0.9), True),
        "Posterize": (_posterize_bits(num_bins, 8, 4), False),
        "Solarize": (linspace(255.0, 0.0), False),
        "AutoContrast": (_NO_MAGNITUDE, False),
        "Equalize": (_NO_MAGNITUDE, False),
    })


def _draw_magnitude(magnitudes: np.ndarray, signed: bool, index: Optional[int] = None,
                    num_random_bins: Optional[int] = None) -> float:
    """``magnitudes[index]`` (or a random bin below ``num_random_bins``, default all), negated on a fair coin
    when signed.

    The draws happen in torchvision's order and only when torchvision makes them, so seeds line up.
    """
    if magnitudes.ndim > 0:
        if index is None:
            index = _random.randint(0, len(magnitudes) if num_random_bins is None else num_random_bins)
        magnitude = float(magnitudes[index])
    else:
        magnitude = 0.0
    if signed and _random.randint(0, 2):
        magnitude *= -1.0
    return magnitude


class _AutoAugmentBase:
    """``__call__`` runs ``forward`` (like an nn.Module); tensors/arrays get ``fill`` as one float per channel."""

    def __init__(self, interpolation, fill):
        self.interpolation = interpolation
        self.fill = fill

    def __call__(self, img):
        return self.forward(img)

    def forward(self, img):
        raise NotImplementedError

    def _channel_fill(self, img) -> Optional[List[float]]:
        fill = self.fill
        if F._is_pil(img):
            return fill
        if isinstance(fill, (int, float)):
            return [float(fill)] * F.get_image_num_channels(img)
        if fill is not None:
            return [float(f) for f in fill]
        return None


class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on different datasets: IMAGENET, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# (op name, probability, magnitude bin or None) pairs; the 25 sub-policies of each dataset in the paper.
_SubPolicy = Tuple[Tuple[str, float, Optional[int]], Tuple[str, float, Optional[int]]]

_IMAGENET_POLICY: List[_SubPolicy] = [
    (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
    (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
    (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
    (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
    (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
    (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
    (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
    (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
    (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
    (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
    (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
    (("Color", 0.4, 0), ("Equalize", 0.6, None)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
]

_CIFAR10_POLICY: List[_SubPolicy] = [
    (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
    (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
    (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
    (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
    (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
    (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
    (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
    (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
    (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
    (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
    (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
    (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
    (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
    (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
    (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
    (("Color", 0.9, 9), ("Equalize", 0.6, None)),
    (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
    (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
    (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
    (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
    (("Equalize", 0.8, None), ("Invert", 0.1, None)),
    (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
]

_SVHN_POLICY: List[_SubPolicy] = [
    (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
    (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
    (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
    (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
    (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
    (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
    (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
    (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
    (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
    (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
    (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
    (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
    (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
    (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
    (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
    (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
    (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
    (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
    (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
]


class AutoAugment(_AutoAugmentBase):
    """AutoAugment (Cubuk et al. 2019): a random learned sub-policy of two (op, probability, magnitude) steps.

    ``policy`` picks the ImageNet, CIFAR10 or SVHN table; magnitudes come from 10 bins, and signed ops are
    negated on a fair coin. ``fill`` is a number or one value per channel for the geometric ops.
    """

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: Optional[List[float]] = None) -> None:
        super().__init__(interpolation, fill)
        self.policy = policy
        self.policies = self._get_policies(policy)

    @staticmethod
    def _get_policies(policy: AutoAugmentPolicy) -> List[_SubPolicy]:
        if policy == AutoAugmentPolicy.IMAGENET:
            return list(_IMAGENET_POLICY)
        if policy == AutoAugmentPolicy.CIFAR10:
            return list(_CIFAR10_POLICY)
        if policy == AutoAugmentPolicy.SVHN:
            return list(_SVHN_POLICY)
        raise ValueError(f"The provided policy {policy} is not recognized.")

    @staticmethod
    def _augmentation_space(num_bins: int, image_size: Tuple[int, int]) -> OpSpace:
        """Magnitude tables for an image of ``image_size`` = (height, width)."""
        space = dict(_autoaugment_space(num_bins, int(image_size[0]), int(image_size[1])))
        space["Invert"] = (_NO_MAGNITUDE, False)
        return space

    @staticmethod
    def get_params(transform_num: int) -> Tuple[int, tl.Tensor, tl.Tensor]:
        """(sub-policy index, two U[0, 1) probabilities, two coin flips for the signs), in torchvision's order."""
        policy_id = int(tl.randint(transform_num, (1,)).item())
        probs = tl.rand((2,))
        signs = tl.randint(2, (2,))
        return policy_id, probs, signs

    def forward(self, img):
        fill = self._channel_fill(img)
        _, height, width = F.get_dimensions(img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        probs, signs = probs.numpy(), signs.numpy()
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            # torch compares the float32 draw against the probability in float32.
            if probs[i] <= np.float32(p):
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(_AutoAugmentBase):
    """RandAugment (Cubuk et al. 2020): ``num_ops`` uniformly chosen ops, all at bin ``magnitude``.

    ``magnitude`` indexes ``num_magnitude_bins`` evenly spaced values per op (an out-of-range index raises
    IndexError when an op with magnitudes is drawn, as in torchvision); signed ops flip sign on a fair coin.
    """

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: Optional[List[float]] = None) -> None:
        super().__init__(interpolation, fill)
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    @staticmethod
    def _augmentation_space(num_bins: int, image_size: Tuple[int, int]) -> OpSpace:
        """Magnitude tables for an image of ``image_size`` = (height, width), in torchvision's op order."""
        space: OpSpace = {"Identity": (_NO_MAGNITUDE, False)}
        space.update(_autoaugment_space(num_bins, int(image_size[0]), int(image_size[1])))
        return space

    def forward(self, img):
        fill = self._channel_fill(img)
        _, height, width = F.get_dimensions(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        op_names = list(op_meta)
        for _ in range(self.num_ops):
            op_name = op_names[_random.randint(0, len(op_names))]
            magnitudes, signed = op_meta[op_name]
            magnitude = _draw_magnitude(magnitudes, signed, index=self.magnitude)
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, "
                f"fill={self.fill})")


@lru_cache(maxsize=16)
def _trivial_augment_space(num_bins: int) -> OpSpace:
    def linspace(start: float, end: float) -> np.ndarray:
        return _float32_linspace(start, end, num_bins)

    return _frozen({
        "Identity": (_NO_MAGNITUDE, False),
        "ShearX": (linspace(0.0, 0.99), True),
        "ShearY": (linspace(0.0, 0.99), True),
        "TranslateX": (linspace(0.0, 32.0), True),
        "TranslateY": (linspace(0.0, 32.0), True),
        "Rotate": (linspace(0.0, 135.0), True),
        "Brightness": (linspace(0.0, 0.99), True),
        "Color": (linspace(0.0, 0.99), True),
        "Contrast": (linspace(0.0, 0.99), True),
        "Sharpness": (linspace(0.0, 0.99), True),
        "Posterize": (_posterize_bits(num_bins, 8, 6), False),
        "Solarize": (linspace(255.0, 0.0), False),
        "AutoContrast": (_NO_MAGNITUDE, False),
        "Equalize": (_NO_MAGNITUDE, False),
    })


class TrivialAugmentWide(_AutoAugmentBase):
    """TrivialAugment Wide (Müller & Hutter 2021): one random op at one random magnitude per image.

    ``fill`` is a number or one value per channel for the geometric ops.
    """

    def __init__(self, num_magnitude_bins: int = 31, interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: Optional[List[float]] = None) -> None:
        super().__init__(interpolation, fill)
        self.num_magnitude_bins = num_magnitude_bins

    @staticmethod
    def _augmentation_space(num_bins: int) -> OpSpace:
        """op name -> (float32 magnitudes, signed); a 0-d array means the op takes no magnitude."""
        return dict(_trivial_augment_space(num_bins))

    def forward(self, img):
        fill = self._channel_fill(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_names = list(op_meta)
        op_name = op_names[_random.randint(0, len(op_names))]
        magnitudes, signed = op_meta[op_name]
        magnitude = _draw_magnitude(magnitudes, signed)
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


@lru_cache(maxsize=64)
def _augmix_space(num_bins: int, height: int, width: int, all_ops: bool) -> OpSpace:
    def linspace(start: float, end: float) -> np.ndarray:
        return _float32_linspace(start, end, num_bins)

    space = {
        "ShearX": (linspace(0.0, 0.3), True),
        "ShearY": (linspace(0.0, 0.3), True),
        "TranslateX": (linspace(0.0, width / 3.0), True),
        "TranslateY": (linspace(0.0, height / 3.0), True),
        "Rotate": (linspace(0.0, 30.0), True),
        "Posterize": (_posterize_bits(num_bins, 4, 4), False),
        "Solarize": (linspace(255.0, 0.0), False),
        "AutoContrast": (_NO_MAGNITUDE, False),
        "Equalize": (_NO_MAGNITUDE, False),
    }
    if all_ops:
        space.update({
            "Brightness": (linspace(0.0, 0.9), True),
            "Color": (linspace(0.0, 0.9), True),
            "Contrast": (linspace(0.0, 0.9), True),
            "Sharpness": (linspace(0.0, 0.9), True),
        })
    return _frozen(space)


class AugMix(_AutoAugmentBase):
    """AugMix (Hendrycks et al. 2020): a Dirichlet-weighted mix of ``mixture_width`` random op chains, blended
    with the original image by a Beta(alpha, alpha) weight.

    Each chain applies ``chain_depth`` ops (a negative value draws 1-3 per chain) at a random magnitude bin
    below ``severity`` (1..10). The mix is computed in float32 and cast back to the input dtype (truncating,
    like torch's ``.to(uint8)``); PIL images are processed as uint8 tensors and converted back.
    """

    _PARAMETER_MAX = 10

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1, alpha: float = 1.0,
                 all_ops: bool = True, interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 fill: Optional[List[float]] = None) -> None:
        super().__init__(interpolation, fill)
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _augmentation_space(self, num_bins: int, image_size: Tuple[int, int]) -> OpSpace:
        """Magnitude tables for an image of ``image_size`` = (height, width), in torchvision's op order."""
        return dict(_augmix_space(num_bins, int(image_size[0]), int(image_size[1]), bool(self.all_ops)))

    def _sample_dirichlet(self, concentration: np.ndarray) -> np.ndarray:
        """One float32 Dirichlet draw per row of ``concentration`` (shape (B, K)) from the global generator."""
        draws = tl.random.default_generator.np_rng.dirichlet(concentration[0], size=concentration.shape[0])
        return draws.astype(np.float32)

    def forward(self, orig_img):
        _, height, width = F.get_dimensions(orig_img)
        img = F.pil_to_tensor(orig_img) if F._is_pil(orig_img) else orig_img
        fill = self._channel_fill(img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        op_names = list(op_meta)

        pixels = img.numpy() if isinstance(img, tl.Tensor) else np.asarray(img)
        if isinstance(img, tl.Tensor):
            # Leading dims beyond (C, H, W) are a batch: the first one gets its own weights, like torchvision.
            batch_shape = [1] * max(4 - pixels.ndim, 0) + list(pixels.shape)
        else:
            batch_shape = [1] + list(pixels.shape)  # one HWC (or HW) array image
        batch = pixels.reshape(batch_shape)
        weight_shape = [batch_shape[0]] + [1] * (len(batch_shape) - 1)

        # Column 0 weighs the original image, column 1 all augmented chains together (a Beta draw).
        m = self._sample_dirichlet(np.full((batch_shape[0], 2), self.alpha, dtype=np.float64))
        combined_weights = self._sample_dirichlet(
            np.full((batch_shape[0], self.mixture_width), self.alpha, dtype=np.float64)) * m[:, 1:2]

        mix = m[:, 0].reshape(weight_shape) * batch
        for i in range(self.mixture_width):
            aug = img
            depth = self.chain_depth if self.chain_depth > 0 else _random.randint(1, 4)
            for _ in range(depth):
                op_name = op_names[_random.randint(0, len(op_names))]
                magnitudes, signed = op_meta[op_name]
                magnitude = _draw_magnitude(magnitudes, signed, num_random_bins=self.severity)
                aug = _apply_op(aug, op_name, magnitude, interpolation=self.interpolation, fill=fill)
            aug_pixels = aug.numpy() if isinstance(aug, tl.Tensor) else np.asarray(aug)
            mix += combined_weights[:, i].reshape(weight_shape) * aug_pixels.reshape(batch_shape)
        mixed = mix.reshape(pixels.shape).astype(pixels.dtype)

        if F._is_pil(orig_img):
            return F.to_pil_image(tl.from_numpy(mixed))
        return tl.from_numpy(mixed) if isinstance(orig_img, tl.Tensor) else mixed

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
