"""Image operations on NumPy arrays laid out (..., C, H, W): the backend for tensors and HWC arrays.

``functional`` converts tensors (``.numpy()``) and HWC arrays (axis move) to this layout, calls these
functions and converts back. Semantics follow torchvision's ``_functional_tensor``: integer images hold
[0, 255], float images [0, 1]; float maths runs in float32 (float64 only for float64 input) and integer
results are rounded or truncated exactly where torchvision does so.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from . import _geometry, _resample

_INT_MAX = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
            np.dtype(np.int32): 2**31 - 1, np.dtype(np.int64): 2**63 - 1}


def is_float(image: np.ndarray) -> bool:
    return np.issubdtype(image.dtype, np.floating)


def max_value(dtype: np.dtype) -> float:
    """The value meaning "full intensity" for ``dtype``: 1.0 for floats, the dtype max for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1
    return _INT_MAX.get(dtype, int(np.iinfo(dtype).max))


def _work_dtype(image: np.ndarray) -> np.dtype:
    return np.dtype(np.float64) if image.dtype == np.float64 else np.dtype(np.float32)


def _as_work(image: np.ndarray) -> np.ndarray:
    return image.astype(_work_dtype(image), copy=False)


def _round_back(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast a float result to ``dtype``, rounding (and clipping to range) for integer dtypes."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        result = np.clip(np.round(result), info.min, info.max)
    return result.astype(dtype)


def _truncate_back(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast like ``Tensor.to(dtype)``: integer targets truncate toward zero."""
    return result.astype(dtype)


def get_dimensions(image: np.ndarray) -> List[int]:
    return [int(image.shape[-3]), int(image.shape[-2]), int(image.shape[-1])]


def _check_channels(image: np.ndarray, permitted: Sequence[int]) -> None:
    channels = image.shape[-3]
    if channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {list(permitted)}, but found "
                        f"{channels}")


def hflip(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[..., ::-1])


def vflip(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[..., ::-1, :])


def pad(image: np.ndarray, padding_ltrb: Sequence[int], fill=0, padding_mode: str = "constant") -> np.ndarray:
    """Pad (negative values crop) the last two axes; ``fill`` is a number or one value per channel."""
    left, top, right, bottom = (int(p) for p in padding_ltrb)
    height, width = image.shape[-2:]
    image = image[..., max(-top, 0):height - max(-bottom, 0), max(-left, 0):width - max(-right, 0)]
    left, top, right, bottom = max(left, 0), max(top, 0), max(right, 0), max(bottom, 0)
    if padding_mode != "constant":
        widths = [(0, 0)] * (image.ndim - 2) + [(top, bottom), (left, right)]
        return np.pad(image, widths, mode=padding_mode)
    height, width = image.shape[-2:]
    out = np.empty(image.shape[:-2] + (height + top + bottom, width + left + right), dtype=image.dtype)
    fill_values = np.asarray(0 if fill is None else fill)
    if fill_values.ndim:
        fill_values = fill_values.reshape(-1, 1, 1)
    out[...] = (fill_values if is_float(image) else np.round(fill_values)).astype(image.dtype)
    out[..., top:top + height, left:left + width] = image
    return out


def crop(image: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """Crop a box; parts of the box outside the image are zero-padded (torchvision's tensor crop)."""
    img_h, img_w = image.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > img_w or bottom > img_h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(img_w, left), 0), max(bottom - max(img_h, top), 0)]
        inner = image[..., max(top, 0):bottom, max(left, 0):right]
        return pad(inner, padding_ltrb, fill=0)
    return np.ascontiguousarray(image[..., top:bottom, left:right])


def resize(image: np.ndarray, size: Tuple[int, int], mode: str, antialias: bool) -> np.ndarray:
    """Resize to ``size`` = (h, w) with ``mode`` in nearest, nearest-exact, bilinear, bicubic."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image.copy()
    if mode in ("nearest", "nearest-exact"):
        return np.ascontiguousarray(_resample.resize_array(image, size, mode, antialias))
    out = _resample.resize_array(image, size, mode, antialias)
    if mode == "bicubic" and image.dtype == np.uint8:
        out = np.clip(out, 0, 255)
    return _round_back(out, image.dtype) if not is_float(image) else out.astype(image.dtype)


def warp(image: np.ndarray, matrix: Sequence[float], out_size: Tuple[int, int], mode: str,
         fill: Sequence[float] | None) -> np.ndarray:
    """Affine warp (inverse ``matrix`` in centred coordinates) with nearest or bilinear sampling."""
    out = _geometry.warp(_as_work(image), matrix, out_size, mode, fill)
    return _round_back(out, image.dtype) if not is_float(image) else out.astype(image.dtype)


def rgb_to_grayscale(image: np.ndarray, num_output_channels: int = 1) -> np.ndarray:
    """ITU-R 601-2 luma ``0.2989 R + 0.587 G + 0.114 B``, cast back (truncating) like torchvision."""
    _check_channels(image, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if image.shape[-3] == 3:
        work = _as_work(image)
        red, green, blue = work[..., 0, :, :], work[..., 1, :, :], work[..., 2, :, :]
        gray = _truncate_back(0.2989 * red + 0.587 * green + 0.114 * blue, image.dtype)[..., None, :, :]
    else:
        gray = image.copy()
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return gray


def _blend(first: np.ndarray, second: np.ndarray, ratio: float) -> np.ndarray:
    bound = 1.0 if is_float(first) else 255.0
    mixed = ratio * _as_work(first) + (1.0 - ratio) * _as_work(second)
    return _truncate_back(np.clip(mixed, 0.0, bound), first.dtype)


def adjust_brightness(image: np.ndarray, factor: float) -> np.ndarray:
    _check_channels(image, [1, 3])
    return _blend(image, np.zeros_like(image), factor)


def adjust_contrast(image: np.ndarray, factor: float) -> np.ndarray:
    _check_channels(image, [3, 1])
    source = rgb_to_grayscale(image) if image.shape[-3] == 3 else image
    mean = _as_work(source).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend(image, mean, factor)


def adjust_saturation(image: np.ndarray, factor: float) -> np.ndarray:
    _check_channels(image, [1, 3])
    if image.shape[-3] == 1:
        return image.copy()
    return _blend(image, rgb_to_grayscale(image), factor)


def _rgb_to_hsv(image: np.ndarray) -> np.ndarray:
    red, green, blue = image[..., 0, :, :], image[..., 1, :, :], image[..., 2, :, :]
    maxc = image.max(axis=-3)
    minc = image.min(axis=-3)
    equal = maxc == minc
    chroma = maxc - minc
    ones = np.ones_like(maxc)
    saturation = chroma / np.where(equal, ones, maxc)
    divisor = np.where(equal, ones, chroma)
    rc, gc, bc = (maxc - red) / divisor, (maxc - green) / divisor, (maxc - blue) / divisor
    hue_r = (maxc == red) * (bc - gc)
    hue_g = ((maxc == green) & (maxc != red)) * (2.0 + rc - bc)
    hue_b = ((maxc != green) & (maxc != red)) * (4.0 + gc - rc)
    hue = np.fmod((hue_r + hue_g + hue_b) / 6.0 + 1.0, 1.0)
    return np.stack((hue, saturation, maxc), axis=-3)


def _hsv_to_rgb(image: np.ndarray) -> np.ndarray:
    hue, saturation, value = image[..., 0, :, :], image[..., 1, :, :], image[..., 2, :, :]
    sector = np.floor(hue * 6.0)
    frac = hue * 6.0 - sector
    sector = sector.astype(np.int64) % 6
    p = np.clip(value * (1.0 - saturation), 0.0, 1.0)
    q = np.clip(value * (1.0 - saturation * frac), 0.0, 1.0)
    t = np.clip(value * (1.0 - saturation * (1.0 - frac)), 0.0, 1.0)
    choices = np.stack([np.stack(c, axis=-3) for c in ((value, q, p, p, t, value), (t, value, value, q, p, p),
                                                        (p, p, t, value, value, q))], axis=-4)
    index = np.broadcast_to(sector[..., None, None, :, :], choices.shape[:-3] + (1,) + choices.shape[-2:])
    return np.take_along_axis(choices, index, axis=-3)[..., 0, :, :]


def convert_dtype(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """torchvision's ``convert_image_dtype`` on arrays (see ``functional.convert_image_dtype``)."""
    dtype = np.dtype(dtype)
    if image.dtype == dtype:
        return image
    if is_float(image):
        if dtype.kind == "f":
            return image.astype(dtype)
        if (image.dtype == np.float32 and dtype in (np.int32, np.int64)) or (
                image.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        return (image * (max_value(dtype) + 1.0 - eps)).astype(dtype)
    if dtype.kind == "f":
        return (image.astype(dtype) / dtype.type(max_value(image.dtype))).astype(dtype)
    input_max, output_max = max_value(image.dtype), max_value(dtype)
    if input_max > output_max:
        factor = (input_max + 1) // (output_max + 1)
        return (image // factor).astype(dtype)
    factor = (output_max + 1) // (input_max + 1)
    return image.astype(dtype) * factor


def adjust_hue(image: np.ndarray, factor: float) -> np.ndarray:
    _check_channels(image, [1, 3])
    if image.shape[-3] == 1:
        return image.copy()
    as_float = convert_dtype(image, np.float32) if not is_float(image) else image
    hsv = _rgb_to_hsv(as_float)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + factor, 1.0)
    rgb = _hsv_to_rgb(hsv).astype(as_float.dtype)
    return convert_dtype(rgb, image.dtype)


def gaussian_kernel1d(kernel_size: int, sigma: float) -> np.ndarray:
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(image: np.ndarray, kernel_size: Sequence[int], sigma: Sequence[float]) -> np.ndarray:
    """Separable Gaussian blur with reflect padding; ``kernel_size``/``sigma`` are (x, y) pairs."""
    work = _as_work(image)
    kernel_x = gaussian_kernel1d(kernel_size[0], sigma[0]).astype(work.dtype)
    kernel_y = gaussian_kernel1d(kernel_size[1], sigma[1]).astype(work.dtype)
    half_x, half_y = kernel_size[0] // 2, kernel_size[1] // 2
    padded = pad(work, [half_x, half_y, half_x, half_y], padding_mode="reflect")
    height, width = image.shape[-2:]
    # One shifted slice per kernel tap (the kernel is tiny); every pixel is handled by vectorised adds.
    rows = sum(weight * padded[..., :, k:k + width] for k, weight in enumerate(kernel_x))
    out = sum(weight * rows[..., k:k + height, :] for k, weight in enumerate(kernel_y))
    return _round_back(out, image.dtype) if not is_float(image) else out.astype(image.dtype)


def normalize(image: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    mean_arr = np.asarray(mean, dtype=image.dtype).reshape(-1, 1, 1)
    std_arr = np.asarray(std, dtype=image.dtype).reshape(-1, 1, 1)
    return (image - mean_arr) / std_arr


def erase(image: np.ndarray, top: int, left: int, height: int, width: int, value: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[..., top:top + height, left:left + width] = value
    return out


# ---------------------------------------------------------------------------------- photometric (autoaugment)
def _require_uint8(image: np.ndarray) -> None:
    if image.dtype != np.uint8:
        raise TypeError(f"Only uint8 image tensors are supported, but found {image.dtype}")


def invert(image: np.ndarray) -> np.ndarray:
    """``max_value - x``: 255 - x for uint8, 1 - x for floats."""
    _check_channels(image, [1, 3])
    return (np.asarray(max_value(image.dtype), dtype=image.dtype) - image).astype(image.dtype, copy=False)


def posterize(image: np.ndarray, bits: int) -> np.ndarray:
    """Keep the ``bits`` most significant bits of each uint8 value (``x & -(2 ** (8 - bits))``)."""
    _require_uint8(image)
    _check_channels(image, [1, 3])
    mask = np.uint8((-int(2 ** (8 - bits))) & 0xFF)
    return image & mask


def solarize(image: np.ndarray, threshold: float) -> np.ndarray:
    """Invert the values at or above ``threshold`` (given in the image's own range)."""
    _check_channels(image, [1, 3])
    if threshold > max_value(image.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return np.where(image >= threshold, invert(image), image)


def _blurred_degenerate_image(image: np.ndarray) -> np.ndarray:
    """The image smoothed by [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 inside, its border pixels unchanged."""
    work = _as_work(image)
    kernel = np.ones((3, 3), dtype=work.dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    height, width = image.shape[-2:]
    # Nine shifted views of the interior, one per kernel tap: vectorised over every pixel.
    smoothed = sum(kernel[dy, dx] * work[..., dy:dy + height - 2, dx:dx + width - 2]
                   for dy in range(3) for dx in range(3))
    out = image.copy()
    out[..., 1:-1, 1:-1] = smoothed if is_float(image) else _round_back(smoothed, image.dtype)
    return out


def adjust_sharpness(image: np.ndarray, sharpness_factor: float) -> np.ndarray:
    """Blend with the smoothed image: 0 blurs, 1 is the original, 2 sharpens (images <= 2 px unchanged)."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _check_channels(image, [1, 3])
    if image.shape[-1] <= 2 or image.shape[-2] <= 2:
        return image.copy()
    return _blend(image, _blurred_degenerate_image(image), sharpness_factor)


def autocontrast(image: np.ndarray) -> np.ndarray:
    """Stretch each channel linearly so its minimum maps to 0 and its maximum to full intensity."""
    _check_channels(image, [1, 3])
    bound = max_value(image.dtype)
    work = _as_work(image)
    minimum = work.min(axis=(-2, -1), keepdims=True)
    maximum = work.max(axis=(-2, -1), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = bound / (maximum - minimum)
    flat = ~np.isfinite(scale)  # constant channels are left as they are
    minimum = np.where(flat, 0, minimum).astype(work.dtype)
    scale = np.where(flat, 1, scale).astype(work.dtype)
    return _truncate_back(np.clip((work - minimum) * scale, 0, bound), image.dtype)


def equalize(image: np.ndarray) -> np.ndarray:
    """Histogram-equalise every channel of a uint8 image (torchvision's/PIL's step-based LUT)."""
    _require_uint8(image)
    _check_channels(image, [1, 3])
    height, width = image.shape[-2:]
    planes = image.reshape(-1, height * width)
    count = planes.shape[0]
    # One bincount for all channels of all images: plane i's values are offset into bins [256 i, 256 i + 256).
    offsets = (np.arange(count, dtype=np.int64) * 256)[:, None]
    hist = np.bincount((planes + offsets).ravel(), minlength=count * 256).reshape(count, 256)
    last_nonzero = 255 - np.argmax(hist[:, ::-1] != 0, axis=1)
    step = (hist.sum(axis=1) - hist[np.arange(count), last_nonzero]) // 255
    safe_step = np.maximum(step, 1)[:, None]
    lut = (np.cumsum(hist, axis=1) + safe_step // 2) // safe_step
    lut = np.clip(np.concatenate([np.zeros((count, 1), dtype=lut.dtype), lut[:, :-1]], axis=1), 0, 255)
    identity = np.broadcast_to(np.arange(256, dtype=lut.dtype), lut.shape)
    lut = np.where((step == 0)[:, None], identity, lut).astype(np.uint8)
    return lut.ravel()[planes + offsets].reshape(image.shape)


def adjust_gamma(image: np.ndarray, gamma: float, gain: float = 1) -> np.ndarray:
    """``gain * x ** gamma`` on [0, 1] intensities, clamped, converted back to the input dtype."""
    _check_channels(image, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    as_float = image if is_float(image) else convert_dtype(image, np.float32)
    result = np.clip(gain * as_float ** gamma, 0, 1).astype(as_float.dtype, copy=False)
    return convert_dtype(result, image.dtype)
