"""Deterministic image functions (torchvision's ``transforms.functional``) for PIL, NumPy and tensors.

Each function accepts a PIL image, a NumPy array laid out HWC (or HW) or a ``tensorlib.Tensor`` laid out
(..., C, H, W) and returns the same kind. PIL images go to ``_functional_pil``; arrays and tensors go to
``_functional_array`` (tensors through ``.numpy()``, arrays after moving the channel axis first).
"""

from __future__ import annotations

import numbers
import sys
from enum import Enum
from typing import Any, Callable, List, Sequence, Tuple, Union

import numpy as np
from PIL import Image

import tensorlib as tl
from tensorlib import dtypes as _dtypes

from . import _functional_array as FA
from . import _functional_pil as FP
from ._geometry import expanded_size, inverse_affine_matrix


class InterpolationMode(Enum):
    """Interpolation modes; PIL supports all, arrays and tensors the first four."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_MODES = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}
_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
             4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
_ACCEPTED = "a PIL Image, a numpy.ndarray (H, W[, C]) or a tensorlib.Tensor (..., C, H, W)"
_MODE_TO_NPTYPE = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16, "F": np.float32}

ImageLike = Union[Image.Image, np.ndarray, "tl.Tensor"]


def _interpolation(interpolation) -> InterpolationMode:
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        if interpolation not in _FROM_INT:
            raise ValueError(f"Unknown PIL interpolation constant {interpolation}")
        return _FROM_INT[interpolation]
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError(f"Argument interpolation should be an InterpolationMode or a corresponding Pillow "
                        f"integer constant, got {type(interpolation).__name__}")
    return interpolation


def _is_pil(img) -> bool:
    return isinstance(img, Image.Image)


def _is_tensor(img) -> bool:
    return isinstance(img, tl.Tensor)


def _unsupported(name: str, img, accepted: str = _ACCEPTED) -> TypeError:
    return TypeError(f"{name}: img should be {accepted}, got {type(img).__module__}.{type(img).__name__}")


def _to_chw(name: str, img) -> Tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """A (..., C, H, W) array view of a tensor or HWC array, and the function that converts a result back."""
    if _is_tensor(img):
        array = img.detach().numpy()
        if array.ndim < 2:
            raise ValueError(f"{name}: expected a tensor image with at least 2 dimensions, got shape "
                             f"{tuple(array.shape)}")
        squeeze = array.ndim == 2

        def back_to_tensor(out: np.ndarray):
            if squeeze and out.shape[0] == 1:
                out = out[0]
            return tl.from_numpy(np.ascontiguousarray(out))

        return (array[None] if squeeze else array), back_to_tensor
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{name}: expected a numpy image of shape (H, W) or (H, W, C), got {img.shape}")
        if img.ndim == 2:
            return img[None], lambda out: np.ascontiguousarray(out[0] if out.shape[0] == 1 else
                                                               np.moveaxis(out, 0, -1))
        return np.moveaxis(img, -1, 0), lambda out: np.ascontiguousarray(np.moveaxis(out, 0, -1))
    raise _unsupported(name, img)


def _apply(name: str, img, pil_fn: Callable | None, array_fn: Callable):
    """Run ``pil_fn`` on PIL images, ``array_fn`` on the (..., C, H, W) form of arrays and tensors."""
    if _is_pil(img):
        if pil_fn is None:
            raise _unsupported(name, img, "a numpy.ndarray or a tensorlib.Tensor")
        return pil_fn(img)
    array, back = _to_chw(name, img)
    return back(array_fn(array))


# ---------------------------------------------------------------------------------------------- inspection
def get_dimensions(img: ImageLike) -> List[int]:
    """[channels, height, width] of an image."""
    if _is_pil(img):
        return FP.get_dimensions(img)
    array, _ = _to_chw("get_dimensions", img)
    return FA.get_dimensions(array)


def get_image_size(img: ImageLike) -> List[int]:
    """[width, height] of an image."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img: ImageLike) -> int:
    return get_dimensions(img)[0]


# ---------------------------------------------------------------------------------------------- conversion
def to_tensor(pic) -> tl.Tensor:
    """PIL image or HWC array -> (C, H, W) tensor; uint8 data becomes float32 in [0, 1], others keep dtype."""
    if _is_pil(pic):
        array = np.array(pic, _MODE_TO_NPTYPE.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = 255 * array
        array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic).__name__}")
    chw = np.ascontiguousarray(array.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        chw = chw.astype(np.float32) / np.float32(255.0)
    return tl.from_numpy(chw)


def pil_to_tensor(pic) -> tl.Tensor:
    """PIL image -> (C, H, W) tensor keeping the pixel values and their dtype (no scaling)."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic).__name__}")
    array = np.array(pic, _MODE_TO_NPTYPE.get(pic.mode, np.uint8), copy=True)
    array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return tl.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def to_pil_image(pic, mode: str | None = None) -> Image.Image:
    """(C, H, W) tensor or (H, W, C) array -> PIL image; float tensors are scaled by 255 (unless mode F)."""
    if _is_tensor(pic):
        array = pic.detach().numpy()
        if array.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {array.ndim} dimensions.")
        if array.ndim == 2:
            array = array[None]
        if array.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {array.shape[-3]} channels.")
        if FA.is_float(array) and mode != "F":
            array = np.clip(array * 255, 0, 255).astype(np.uint8)
        array = np.transpose(array, (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
        if array.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {array.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic).__name__}.")
    return _array_to_pil(np.ascontiguousarray(array), mode)


def _array_to_pil(array: np.ndarray, mode: str | None) -> Image.Image:
    channels = array.shape[2]
    if channels == 1:
        array = array[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.int32): "I",
                    np.dtype(np.float32): "F"}.get(array.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {array.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and array.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {array.dtype} is not supported")
    if mode == "I;16":
        array = array.astype("<u2")
    height, width = array.shape[:2]
    return Image.frombytes(mode, (width, height), np.ascontiguousarray(array).tobytes())


def convert_image_dtype(image: tl.Tensor, dtype=tl.float32) -> tl.Tensor:
    """Convert a tensor image's dtype rescaling values (float [0, 1] <-> integer [0, max])."""
    if not _is_tensor(image):
        raise TypeError(f"Input img should be Tensor Image, got {type(image).__name__}")
    target = np.dtype(_dtypes.to_numpy_dtype(dtype))
    return tl.from_numpy(np.ascontiguousarray(FA.convert_dtype(image.numpy(), target)))


# -------------------------------------------------------------------------------------------- normalisation
def normalize(tensor: tl.Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
    """``(x - mean[c]) / std[c]`` per channel of a float (..., C, H, W) tensor (or HWC float array)."""
    if _is_pil(tensor):
        raise _unsupported("normalize", tensor, "a float tensorlib.Tensor (..., C, H, W)")
    array, back = _to_chw("normalize", tensor)
    if not FA.is_float(array):
        raise TypeError(f"Input tensor should be a float tensor. Got {array.dtype}.")
    if _is_tensor(tensor) and tensor.dim() < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(tensor.shape)}")
    mean = np.atleast_1d(np.asarray(mean, dtype=array.dtype))
    std = np.atleast_1d(np.asarray(std, dtype=array.dtype))
    channels = array.shape[-3]
    if mean.size not in (1, channels) or std.size not in (1, channels):
        raise RuntimeError(f"normalize: mean has {mean.size} values and std has {std.size} values, but the "
                           f"image has {channels} channels (each must have 1 or {channels} values)")
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {array.dtype}, leading to division by "
                         "zero.")
    out = FA.normalize(array, mean, std)
    if inplace:
        array[...] = out
        return tensor
    return back(out)


# ------------------------------------------------------------------------------------------------ geometry
def _resized_output_size(height: int, width: int, size: List[int] | None, max_size: int | None):
    short, long = (width, height) if width <= height else (height, width)
    if size is None:
        new_short, new_long = int(max_size * short / long), max_size
        new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    elif len(size) == 1:
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size "
                                 f"for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img: ImageLike, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True) -> ImageLike:
    """Resize to ``size``: an int (or [int]) sets the shorter edge keeping aspect, (h, w) sets both."""
    interpolation = _interpolation(interpolation)
    if isinstance(size, numbers.Integral):
        size = [int(size)]
    elif size is not None:
        if not isinstance(size, (list, tuple)):
            raise TypeError(f"Size should be int or sequence. Got {type(size).__name__}")
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        size = [int(s) for s in size]
    elif max_size is None:
        raise ValueError("size can only be None if max_size is also set")
    if max_size is not None and size is not None and len(size) != 1:
        raise ValueError("max_size should only be passed if size is None or specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1")
    _, height, width = get_dimensions(img)
    output_size = _resized_output_size(height, width, size, max_size)
    if _is_pil(img):
        return FP.resize(img, output_size, _PIL_MODES[interpolation])
    mode = interpolation.value
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode {interpolation} is unsupported for arrays and tensors; use "
                         "nearest, nearest-exact, bilinear or bicubic")
    return _apply("resize", img, None, lambda a: FA.resize(a, tuple(output_size), mode, bool(antialias)))


def _padding_ltrb(padding) -> List[int]:
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError(f"Got inappropriate padding arg: {padding!r}")
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                     "tuple")


def pad(img: ImageLike, padding, fill=0, padding_mode: str = "constant") -> ImageLike:
    """Pad each border: ``padding`` is an int, (left/right, top/bottom) or (left, top, right, bottom)."""
    padding_ltrb = _padding_ltrb(padding)
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(f"Got inappropriate fill arg: {fill!r}")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    return _apply("pad", img, lambda p: FP.pad(p, padding_ltrb, fill, padding_mode),
                  lambda a: FA.pad(a, padding_ltrb, fill, padding_mode))


def crop(img: ImageLike, top: int, left: int, height: int, width: int) -> ImageLike:
    """The box with corner (top, left) and size (height, width); outside the image reads as zeros."""
    top, left, height, width = int(top), int(left), int(height), int(width)
    return _apply("crop", img, lambda p: FP.crop(p, top, left, height, width),
                  lambda a: FA.crop(a, top, left, height, width))


def _pair(size, name: str = "size") -> List[int]:
    if isinstance(size, numbers.Number):
        return [int(size), int(size)]
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return [int(size[0]), int(size[0])]
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return [int(size[0]), int(size[1])]
    raise ValueError(f"Please provide only two dimensions (h, w) for {name}, got {size!r}")


def center_crop(img: ImageLike, output_size) -> ImageLike:
    """Crop the centre ``output_size`` (h, w); top/left offsets are ``int(round((H - h) / 2.0))``.

    A crop larger than the image zero-pads it first (extra pixel on the right/bottom).
    """
    crop_height, crop_width = _pair(output_size, "output_size")
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img: ImageLike, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True) -> ImageLike:
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img: ImageLike) -> ImageLike:
    return _apply("hflip", img, FP.hflip, FA.hflip)


def vflip(img: ImageLike) -> ImageLike:
    return _apply("vflip", img, FP.vflip, FA.vflip)


def five_crop(img: ImageLike, size) -> Tuple[ImageLike, ImageLike, ImageLike, ImageLike, ImageLike]:
    """(top-left, top-right, bottom-left, bottom-right, center) crops of ``size``."""
    crop_height, crop_width = _pair(size)
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {(crop_height, crop_width)} is bigger than input size "
                         f"{(image_height, image_width)}")
    top_left = crop(img, 0, 0, crop_height, crop_width)
    top_right = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bottom_left = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    bottom_right = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    center = center_crop(img, [crop_height, crop_width])
    return top_left, top_right, bottom_left, bottom_right, center


def ten_crop(img: ImageLike, size, vertical_flip: bool = False) -> Tuple[ImageLike, ...]:
    """``five_crop`` of the image and of its flipped version (horizontal unless ``vertical_flip``)."""
    size = _pair(size)
    first = five_crop(img, size)
    flipped = vflip(img) if vertical_flip else hflip(img)
    return first + five_crop(flipped, size)


def _array_fill(fill, channels: int) -> List[float] | None:
    if fill is None:
        return None
    if isinstance(fill, numbers.Number):
        return [float(fill)] * channels
    fill = [float(f) for f in fill]
    if len(fill) not in (1, channels):
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the number of channels "
                         f"of the image ({len(fill)} != {channels})")
    return fill


def _warp_mode(interpolation: InterpolationMode) -> str:
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode {interpolation} is unsupported for arrays and tensors; use "
                         "nearest or bilinear")
    return interpolation.value


def rotate(img: ImageLike, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center: List[int] | None = None, fill: List[float] | None = None) -> ImageLike:
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre)."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, numbers.Number):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if _is_pil(img):
        return FP.rotate(img, angle, _PIL_MODES[interpolation], expand, center, fill)
    channels, height, width = get_dimensions(img)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_w, out_h = expanded_size(matrix, width, height) if expand else (width, height)
    mode = _warp_mode(interpolation)
    fill_values = _array_fill(fill, channels)
    return _apply("rotate", img, None, lambda a: FA.warp(a, matrix, (out_h, out_w), mode, fill_values))


def affine(img: ImageLike, angle: float, translate: List[int], scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill: List[float] | None = None,
           center: List[int] | None = None) -> ImageLike:
    """Rotate by ``angle``, translate by (tx, ty) pixels, scale, shear (degrees, x[, y]) about the centre."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, numbers.Number):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError(f"Argument translate should be a sequence of length 2, got {len(translate)}")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    if not isinstance(shear, (list, tuple)):
        raise TypeError(f"Shear should be either a single value or a sequence of two values. Got "
                        f"{type(shear)}")
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    shear = [float(s) for s in shear]
    channels, height, width = get_dimensions(img)
    if _is_pil(img):
        pil_center = [width * 0.5, height * 0.5] if center is None else center
        matrix = inverse_affine_matrix(pil_center, angle, translate, scale, shear)
        return FP.affine(img, matrix, _PIL_MODES[interpolation], fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale, shear)
    mode = _warp_mode(interpolation)
    fill_values = _array_fill(fill, channels)
    return _apply("affine", img, None, lambda a: FA.warp(a, matrix, (height, width), mode, fill_values))


# --------------------------------------------------------------------------------------------------- colour
def _non_negative(value: float, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def adjust_brightness(img: ImageLike, brightness_factor: float) -> ImageLike:
    """Scale intensities by ``brightness_factor`` (0 gives black, 1 the original), clamped to range."""
    _non_negative(brightness_factor, "brightness_factor")
    return _apply("adjust_brightness", img, lambda p: FP.adjust_brightness(p, brightness_factor),
                  lambda a: FA.adjust_brightness(a, brightness_factor))


def adjust_contrast(img: ImageLike, contrast_factor: float) -> ImageLike:
    """Blend with the mean grey level (0 gives solid grey, 1 the original)."""
    _non_negative(contrast_factor, "contrast_factor")
    return _apply("adjust_contrast", img, lambda p: FP.adjust_contrast(p, contrast_factor),
                  lambda a: FA.adjust_contrast(a, contrast_factor))


def adjust_saturation(img: ImageLike, saturation_factor: float) -> ImageLike:
    """Blend with the grayscale image (0 gives grey, 1 the original)."""
    _non_negative(saturation_factor, "saturation_factor")
    return _apply("adjust_saturation", img, lambda p: FP.adjust_saturation(p, saturation_factor),
                  lambda a: FA.adjust_saturation(a, saturation_factor))


def adjust_hue(img: ImageLike, hue_factor: float) -> ImageLike:
    """Rotate the hue by ``hue_factor`` turns, ``hue_factor`` in [-0.5, 0.5]."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    return _apply("adjust_hue", img, lambda p: FP.adjust_hue(p, hue_factor),
                  lambda a: FA.adjust_hue(a, hue_factor))


def rgb_to_grayscale(img: ImageLike, num_output_channels: int = 1) -> ImageLike:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (PIL: ``convert('L')``), repeated to 3 channels if asked."""
    return _apply("rgb_to_grayscale", img, lambda p: FP.to_grayscale(p, num_output_channels),
                  lambda a: FA.rgb_to_grayscale(a, num_output_channels))


def to_grayscale(img: ImageLike, num_output_channels: int = 1) -> ImageLike:
    """Alias of ``rgb_to_grayscale`` (torchvision keeps it for PIL images)."""
    return rgb_to_grayscale(img, num_output_channels)


def gaussian_blur(img: ImageLike, kernel_size, sigma=None) -> ImageLike:
    """Blur with a Gaussian kernel ``kernel_size`` = (kx, ky) (odd, positive), ``sigma`` = (sx, sy)."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    kernel_size = [kernel_size, kernel_size] if isinstance(kernel_size, int) else list(kernel_size)
    if len(kernel_size) == 1:
        kernel_size = [kernel_size[0]] * 2
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, numbers.Number):
        sigma = [float(sigma), float(sigma)]
    sigma = [float(s) for s in sigma]
    if len(sigma) == 1:
        sigma = [sigma[0]] * 2
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return _apply("gaussian_blur", img, lambda p: FP.gaussian_blur(p, kernel_size, sigma),
                  lambda a: FA.gaussian_blur(a, kernel_size, sigma))



# ------------------------------------------------------------------------------------ photometric (autoaugment)
def invert(img: ImageLike) -> ImageLike:
    """Invert the colours: ``255 - x`` for uint8 images, ``1 - x`` for float images."""
    return _apply("invert", img, FP.invert, FA.invert)


def posterize(img: ImageLike, bits: int) -> ImageLike:
    """Keep the ``bits`` (0..8) most significant bits of each channel; tensors/arrays must be uint8."""
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _apply("posterize", img, lambda p: FP.posterize(p, bits), lambda a: FA.posterize(a, bits))


def solarize(img: ImageLike, threshold: float) -> ImageLike:
    """Invert every value ``>= threshold`` (threshold in the image's range: [0, 255] or [0, 1])."""
    return _apply("solarize", img, lambda p: FP.solarize(p, threshold), lambda a: FA.solarize(a, threshold))


def adjust_sharpness(img: ImageLike, sharpness_factor: float) -> ImageLike:
    """Blend with a 3x3-smoothed copy: 0 blurs, 1 gives the original, 2 doubles the sharpness."""
    return _apply("adjust_sharpness", img, lambda p: FP.adjust_sharpness(p, sharpness_factor),
                  lambda a: FA.adjust_sharpness(a, sharpness_factor))


def autocontrast(img: ImageLike) -> ImageLike:
    """Rescale each channel so its darkest value becomes black and its lightest white."""
    return _apply("autocontrast", img, FP.autocontrast, FA.autocontrast)


def equalize(img: ImageLike) -> ImageLike:
    """Equalise each channel's histogram; tensors/arrays must be uint8."""
    return _apply("equalize", img, FP.equalize, FA.equalize)


def adjust_gamma(img: ImageLike, gamma: float, gain: float = 1) -> ImageLike:
    """``255 * gain * (x / 255) ** gamma`` (float images: ``gain * x ** gamma``), clamped to range."""
    return _apply("adjust_gamma", img, lambda p: FP.adjust_gamma(p, gamma, gain),
                  lambda a: FA.adjust_gamma(a, gamma, gain))


# ---------------------------------------------------------------------------------------------------- erase
def erase(img: tl.Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> tl.Tensor:
    """Set the box (top ``i``, left ``j``, size ``h`` x ``w``) to ``v`` (number or broadcastable tensor)."""
    if _is_pil(img):
        raise _unsupported("erase", img, "a tensorlib.Tensor (..., C, H, W) or a numpy.ndarray")
    value = v.detach().numpy() if _is_tensor(v) else np.asarray(v)
    array, back = _to_chw("erase", img)
    if inplace:
        array[..., i:i + h, j:j + w] = value
        return img
    return back(FA.erase(array, i, j, h, w, value))
