"""``tensorlib.vision.transforms.v2.functional``: v1's functionals plus v2's ``to_image``, ``to_dtype``, ...

The v1 functions accept PIL images, HWC NumPy arrays and ``(..., C, H, W)`` tensors alike, so they are
re-exported as they are; v2's spellings (``horizontal_flip``, ``get_size``) are aliases.
"""

from __future__ import annotations

from typing import Any, List

import numpy as np
from PIL import Image

import tensorlib as tl

from ..functional import (  # noqa: F401  (re-exported: the v2 functionals with v1's behaviour)
    InterpolationMode,
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_hue,
    adjust_saturation,
    adjust_sharpness,
    affine,
    autocontrast,
    center_crop,
    convert_image_dtype,
    crop,
    equalize,
    erase,
    five_crop,
    gaussian_blur,
    get_dimensions,
    hflip,
    invert,
    normalize,
    pad,
    pil_to_tensor,
    posterize,
    resize,
    resized_crop,
    rgb_to_grayscale,
    rotate,
    solarize,
    ten_crop,
    to_grayscale,
    to_pil_image,
    to_tensor,
    vflip,
)

horizontal_flip = hflip
vertical_flip = vflip


def to_image(inpt: Any) -> tl.Tensor:
    """PIL image, ``(H, W[, C])`` NumPy array or tensor -> ``(C, H, W)`` tensor with the same dtype and values."""
    if isinstance(inpt, Image.Image):
        return pil_to_tensor(inpt)
    if isinstance(inpt, np.ndarray):
        return tl.from_numpy(np.ascontiguousarray(np.atleast_3d(inpt).transpose(2, 0, 1)))
    if isinstance(inpt, tl.Tensor):
        return inpt.unsqueeze(0) if inpt.dim() == 2 else inpt
    raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got {type(inpt)} "
                    "instead.")


def to_dtype(inpt: tl.Tensor, dtype: tl.dtype = tl.float32, scale: bool = False) -> tl.Tensor:
    """``inpt`` as ``dtype``; ``scale=True`` maps value ranges (integers [0, max] <-> floats [0, 1])."""
    if not isinstance(inpt, tl.Tensor):
        raise TypeError(f"to_dtype expects a tensor image, got {type(inpt).__name__}; use ToImage() first")
    if scale:
        return convert_image_dtype(inpt, dtype)
    return inpt.to(dtype)


def get_size(inpt: Any) -> List[int]:
    """``[height, width]`` of an image."""
    return get_dimensions(inpt)[1:]


def get_num_channels(inpt: Any) -> int:
    """Number of channels of an image."""
    return get_dimensions(inpt)[0]


def grayscale_to_rgb(inpt: Any) -> Any:
    """A 1-channel image repeated to 3 channels (3-channel images are returned as they are)."""
    if isinstance(inpt, Image.Image):
        return inpt.convert("RGB")
    if inpt.shape[-3] == 3:
        return inpt
    return inpt.expand(*inpt.shape[:-3], 3, *inpt.shape[-2:]).contiguous()


def gaussian_noise(inpt: tl.Tensor, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> tl.Tensor:
    """``inpt + N(mean, sigma^2)`` for a float tensor image, clamped to [0, 1] when ``clip``."""
    if not inpt.is_floating_point():
        raise ValueError(f"Input tensor is expected to be in float dtype, got dtype={inpt.dtype}")
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    noisy = inpt + (tl.randn_like(inpt) * sigma + mean)
    return noisy.clamp(0, 1) if clip else noisy
