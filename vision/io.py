"""``tensorlib.vision.io``: torchvision.io's image reading and writing, via Pillow.

Images are ``(C, H, W)`` uint8 tensors (C = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA); encoded files are 1-D uint8
tensors of their bytes, as in torchvision. Formats: whatever Pillow decodes (PNG, JPEG, GIF, WebP, BMP, ...).
Deliberate difference: a 16-bit PNG decodes to int32 (tensorlib has no uint16), values still in [0, 65535].
"""

from __future__ import annotations

import io
import os
from enum import Enum
from typing import List, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

import tensorlib as tl
from tensorlib._atomic import atomic_write

__all__ = ["ImageReadMode", "decode_gif", "decode_image", "decode_jpeg", "decode_png", "decode_webp", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]

PathLike = Union[str, os.PathLike]


class ImageReadMode(Enum):
    """Channel layout to convert to while decoding; strings (``mode="RGB"``) work too."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}


def _read_mode(mode) -> ImageReadMode:
    if isinstance(mode, str):
        try:
            return ImageReadMode[mode.upper()]
        except KeyError:
            raise ValueError(f"Unknown image read mode {mode!r}; expected one of "
                             f"{', '.join(m.name for m in ImageReadMode)}") from None
    return ImageReadMode(mode)


def _bytes_of(data: tl.Tensor, who: str) -> bytes:
    if not isinstance(data, tl.Tensor):
        raise TypeError(f"{who}: expected a 1-D uint8 tensor of encoded bytes, got {type(data).__name__}")
    if data.dtype != tl.uint8:
        raise RuntimeError(f"{who}: expected a uint8 tensor of encoded bytes, got {data.dtype}")
    if data.dim() != 1:
        raise RuntimeError(f"{who}: expected a 1-D tensor of encoded bytes, got shape {tuple(data.shape)}")
    return np.ascontiguousarray(data.numpy()).tobytes()


def _bytes_tensor(data: bytes) -> tl.Tensor:
    return tl.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def read_file(path: PathLike) -> tl.Tensor:
    """The bytes of the file at ``path`` as a 1-D uint8 tensor."""
    with open(os.fspath(path), "rb") as handle:
        return _bytes_tensor(handle.read())


def write_file(filename: PathLike, data: tl.Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to ``filename`` (atomically: never a half-written file)."""
    payload = _bytes_of(data, "write_file")
    with atomic_write(os.fspath(filename), "wb") as handle:
        handle.write(payload)


def _pil_to_chw(image: Image.Image, mode: ImageReadMode) -> tl.Tensor:
    if mode is ImageReadMode.UNCHANGED:
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        elif image.mode in ("1", "CMYK", "YCbCr", "PA", "LAB", "HSV"):
            image = image.convert({"1": "L", "PA": "RGBA"}.get(image.mode, "RGB"))
    else:
        target = _PIL_MODE[mode]
        if image.mode in ("I;16", "I;16B", "I") and target in ("L", "LA"):
            raise RuntimeError(f"cannot convert a 16-bit image to {mode.name}; decode it with "
                               "ImageReadMode.UNCHANGED")
        if image.mode != target:
            image = image.convert(target)
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = array.astype(np.int32)
    if array.ndim == 2:
        array = array[:, :, None]
    return tl.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def _decode(data: bytes, mode, apply_exif_orientation: bool, who: str, expect: str | None = None) -> tl.Tensor:
    mode = _read_mode(mode)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise RuntimeError(f"{who}: the data is not a decodable image ({error})") from error
    if expect is not None and image.format != expect:
        raise RuntimeError(f"{who}: expected {expect} data, got {image.format or 'unknown'} data")
    if apply_exif_orientation:
        image = ImageOps.exif_transpose(image)
    return _pil_to_chw(image, mode)


def decode_image(input: Union[tl.Tensor, PathLike], mode=ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> tl.Tensor:
    """Decode an image from a 1-D uint8 tensor of its bytes, or from a path, into a ``(C, H, W)`` uint8 tensor."""
    data = _bytes_of(input, "decode_image") if isinstance(input, tl.Tensor) else read_file(input).numpy().tobytes()
    return _decode(data, mode, apply_exif_orientation, "decode_image")


def read_image(path: PathLike, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False) -> tl.Tensor:
    """``decode_image(read_file(path), mode)``: the image at ``path`` as a ``(C, H, W)`` uint8 tensor."""
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)


def decode_png(input: tl.Tensor, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False) -> tl.Tensor:
    """Decode PNG bytes (a 1-D uint8 tensor) into a ``(C, H, W)`` tensor."""
    return _decode(_bytes_of(input, "decode_png"), mode, apply_exif_orientation, "decode_png", expect="PNG")


def decode_jpeg(input: Union[tl.Tensor, List[tl.Tensor]], mode=ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation: bool = False) -> Union[tl.Tensor, List[tl.Tensor]]:
    """Decode JPEG bytes (a 1-D uint8 tensor, or a list of them) into ``(C, H, W)`` uint8 tensor(s)."""
    if str(device) != "cpu":
        raise RuntimeError(f"decode_jpeg: tensorlib decodes on the CPU only; got device={device!r}, use "
                           "device='cpu' (the default)")
    if isinstance(input, list):
        if not input:
            raise ValueError("Input list must contain at least one element")
        return [decode_jpeg(item, mode, device, apply_exif_orientation) for item in input]
    return _decode(_bytes_of(input, "decode_jpeg"), mode, apply_exif_orientation, "decode_jpeg", expect="JPEG")


def decode_webp(input: tl.Tensor, mode=ImageReadMode.UNCHANGED) -> tl.Tensor:
    """Decode WebP bytes (a 1-D uint8 tensor) into a ``(C, H, W)`` uint8 tensor (RGB or RGBA)."""
    return _decode(_bytes_of(input, "decode_webp"), mode, False, "decode_webp", expect="WEBP")


def decode_gif(input: tl.Tensor) -> tl.Tensor:
    """Decode GIF bytes into uint8 RGB: ``(3, H, W)`` for one frame, ``(N, 3, H, W)`` for an animation."""
    data = _bytes_of(input, "decode_gif")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise RuntimeError(f"decode_gif: the data is not a decodable image ({error})") from error
    if image.format != "GIF":
        raise RuntimeError(f"decode_gif: expected GIF data, got {image.format or 'unknown'} data")
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        frames.append(np.asarray(image.convert("RGB")).transpose(2, 0, 1))
    stacked = frames[0] if len(frames) == 1 else np.stack(frames)
    return tl.from_numpy(np.ascontiguousarray(stacked))


def _chw_to_pil(input: tl.Tensor, who: str) -> Image.Image:
    if not isinstance(input, tl.Tensor):
        raise TypeError(f"{who}: expected a uint8 image tensor (C, H, W), got {type(input).__name__}")
    if input.dtype != tl.uint8:
        raise RuntimeError(f"{who}: input tensor dtype should be uint8, got {input.dtype}")
    if input.dim() == 2:
        input = input.unsqueeze(0)
    if input.dim() != 3 or input.shape[0] not in (1, 3):
        raise RuntimeError(f"{who}: expected an image tensor of shape (C, H, W) with 1 or 3 channels, got "
                           f"shape {tuple(input.shape)}")
    array = np.ascontiguousarray(input.numpy().transpose(1, 2, 0))
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def _encode(image: Image.Image, **options) -> tl.Tensor:
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return _bytes_tensor(buffer.getvalue())


def encode_png(input: tl.Tensor, compression_level: int = 6) -> tl.Tensor:
    """PNG file bytes (1-D uint8 tensor) of a ``(C, H, W)`` uint8 image with C in {1, 3}."""
    if not 0 <= compression_level <= 9:
        raise RuntimeError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encode(_chw_to_pil(input, "encode_png"), format="PNG", compress_level=compression_level)


def write_png(input: tl.Tensor, filename: PathLike, compression_level: int = 6) -> None:
    """Save a ``(C, H, W)`` (or ``(H, W)``) uint8 image as a PNG file (atomically)."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input: Union[tl.Tensor, List[tl.Tensor]], quality: int = 75) -> Union[tl.Tensor, List[tl.Tensor]]:
    """JPEG file bytes (1-D uint8 tensor) of a ``(C, H, W)`` uint8 image with C in {1, 3} (or a list of them)."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is passed")
        return [encode_jpeg(image, quality) for image in input]
    return _encode(_chw_to_pil(input, "encode_jpeg"), format="JPEG", quality=quality)


def write_jpeg(input: tl.Tensor, filename: PathLike, quality: int = 75) -> None:
    """Save a ``(C, H, W)`` uint8 image as a JPEG file (atomically)."""
    write_file(filename, encode_jpeg(input, quality))
