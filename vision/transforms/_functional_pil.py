"""Image operations on PIL images, following torchvision's ``_functional_pil``."""

from __future__ import annotations

from typing import List, Sequence

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from . import _functional_array as FA


def get_dimensions(img: Image.Image) -> List[int]:
    """[channels, height, width]."""
    width, height = img.size
    return [len(img.getbands()), height, width]


def parse_fill(fill, img: Image.Image, name: str = "fillcolor") -> dict:
    """Turn a number / sequence fill into PIL's keyword (a tuple per band, ints unless mode F)."""
    channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) != channels:
            if len(fill) != 1:
                raise ValueError(f"The number of elements in 'fill' does not match the number of channels of "
                                 f"the image ({len(fill)} != {channels})")
            fill = [fill[0]] * channels
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def hflip(img: Image.Image) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img: Image.Image) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def crop(img: Image.Image, top: int, left: int, height: int, width: int) -> Image.Image:
    return img.crop((left, top, left + width, top + height))


def resize(img: Image.Image, size: Sequence[int], resample: int) -> Image.Image:
    """Resize to ``size`` = (h, w) with a PIL resampling filter (PIL always antialiases)."""
    height, width = size
    if img.size == (width, height):
        return img.copy()
    return img.resize((width, height), resample)


def pad(img: Image.Image, padding_ltrb: Sequence[int], fill=0, padding_mode: str = "constant") -> Image.Image:
    left, top, right, bottom = padding_ltrb
    if padding_mode == "constant" and min(padding_ltrb) >= 0:
        opts = parse_fill(fill, img, name="fill")
        palette = img.getpalette() if img.mode == "P" else None
        out = ImageOps.expand(img, border=(left, top, right, bottom), **opts)
        if palette is not None:
            out.putpalette(palette)
        return out
    array = np.asarray(img)
    chw = array[None] if array.ndim == 2 else np.moveaxis(array, -1, 0)
    fill_value = parse_fill(fill, img, name="fill")["fill"] if padding_mode == "constant" else 0
    padded = FA.pad(chw, padding_ltrb, fill=fill_value, padding_mode=padding_mode)
    out = Image.fromarray(np.ascontiguousarray(padded[0] if array.ndim == 2 else np.moveaxis(padded, 0, -1)))
    if img.mode == "P":
        out.putpalette(img.getpalette())  # an L image with a palette becomes mode P again
    return out


def rotate(img: Image.Image, angle: float, resample: int, expand: bool, center: Sequence[int] | None,
           fill) -> Image.Image:
    return img.rotate(angle, resample, expand, center, **parse_fill(fill, img))


def affine(img: Image.Image, matrix: Sequence[float], resample: int, fill) -> Image.Image:
    return img.transform(img.size, Image.Transform.AFFINE, matrix, resample, **parse_fill(fill, img))


def adjust_brightness(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(factor)


def adjust_contrast(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Contrast(img).enhance(factor)


def adjust_saturation(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Color(img).enhance(factor)


def adjust_hue(img: Image.Image, factor: float) -> Image.Image:
    """Shift the hue channel (as uint8 in HSV space) by ``factor * 255`` with wrap-around."""
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    hue, saturation, value = img.convert("HSV").split()
    shift = int(factor * 255)
    shifted = ((np.asarray(hue, dtype=np.int64) + shift) % 256).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(shifted), saturation, value)).convert(mode)


def to_grayscale(img: Image.Image, num_output_channels: int) -> Image.Image:
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = img.convert("L")
    return Image.merge("RGB", (gray, gray, gray)) if num_output_channels == 3 else gray


def gaussian_blur(img: Image.Image, kernel_size: Sequence[int], sigma: Sequence[float]) -> Image.Image:
    """Blur through the array backend (torchvision converts to a tensor too), keeping the mode."""
    array = np.asarray(img)
    chw = array[None] if array.ndim == 2 else np.moveaxis(array, -1, 0)
    blurred = FA.gaussian_blur(chw, kernel_size, sigma)
    out = blurred[0] if array.ndim == 2 else np.moveaxis(blurred, 0, -1)
    return Image.fromarray(np.ascontiguousarray(out))


def invert(img: Image.Image) -> Image.Image:
    return ImageOps.invert(img)


def posterize(img: Image.Image, bits: int) -> Image.Image:
    if bits == 0:  # Pillow >= 11 rejects 0 bits; keeping none of them makes every value 0
        return img.point([0] * 256 * len(img.getbands()))
    return ImageOps.posterize(img, bits)


def solarize(img: Image.Image, threshold: float) -> Image.Image:
    return ImageOps.solarize(img, threshold)


def adjust_sharpness(img: Image.Image, sharpness_factor: float) -> Image.Image:
    return ImageEnhance.Sharpness(img).enhance(sharpness_factor)


def autocontrast(img: Image.Image) -> Image.Image:
    return ImageOps.autocontrast(img)


def equalize(img: Image.Image) -> Image.Image:
    return ImageOps.equalize(img)


def adjust_gamma(img: Image.Image, gamma: float, gain: float = 1) -> Image.Image:
    """Gamma through a 256-entry lookup table on the RGB form, converted back to the input mode."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    input_mode = img.mode
    rgb = img.convert("RGB")
    gamma_map = [int((255 + 1 - 1e-3) * gain * pow(value / 255.0, gamma)) for value in range(256)] * 3
    return rgb.point(gamma_map).convert(input_mode)
