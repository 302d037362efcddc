"""tensorlib.vision.io: torchvision.io's shapes (C, H, W uint8), modes and errors, checked against Pillow."""

import io as stdio
import os

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision import io
from tensorlib.vision.io import ImageReadMode


def _rgb(h=6, w=9, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _png_bytes(image: Image.Image, **options) -> tl.Tensor:
    buffer = stdio.BytesIO()
    image.save(buffer, format=options.pop("format", "PNG"), **options)
    return tl.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def test_png_round_trip_is_exact_and_chw():
    array = _rgb()
    image = tl.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    data = io.encode_png(image)
    assert data.dtype == tl.uint8 and data.dim() == 1
    decoded = io.decode_png(data)
    assert decoded.dtype == tl.uint8 and tuple(decoded.shape) == (3, 6, 9)
    np.testing.assert_array_equal(decoded.numpy(), array.transpose(2, 0, 1))
    np.testing.assert_array_equal(io.decode_image(data).numpy(), decoded.numpy())


@pytest.mark.parametrize("mode, pil_mode, channels", [
    (ImageReadMode.GRAY, "L", 1), (ImageReadMode.GRAY_ALPHA, "LA", 2), (ImageReadMode.RGB, "RGB", 3),
    (ImageReadMode.RGB_ALPHA, "RGBA", 4), ("rgb", "RGB", 3), ("GRAY", "L", 1)])
def test_read_modes_convert_like_pillow(mode, pil_mode, channels):
    pil = Image.fromarray(_rgb())
    out = io.decode_image(_png_bytes(pil), mode=mode)
    assert tuple(out.shape) == (channels, 6, 9)
    expected = np.asarray(pil.convert(pil_mode))
    expected = expected[None] if expected.ndim == 2 else expected.transpose(2, 0, 1)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_unchanged_keeps_channels_and_expands_palettes():
    grey = Image.fromarray(_rgb()[:, :, 0])
    assert tuple(io.decode_image(_png_bytes(grey)).shape) == (1, 6, 9)
    rgba = Image.fromarray(np.dstack([_rgb(), _rgb(seed=1)[:, :, :1]]))
    assert tuple(io.decode_image(_png_bytes(rgba)).shape) == (4, 6, 9)
    palette = Image.fromarray(_rgb()).convert("P")
    out = io.decode_image(_png_bytes(palette))
    np.testing.assert_array_equal(out.numpy(), np.asarray(palette.convert("RGB")).transpose(2, 0, 1))
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA


def test_jpeg_encode_decode_and_files(tmp_path):
    array = np.zeros((16, 16, 3), np.uint8)
    array[:, 8:] = 200
    image = tl.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    path = tmp_path / "x.jpg"
    io.write_jpeg(image, str(path), quality=95)
    assert Image.open(path).format == "JPEG"
    decoded = io.read_image(path)
    assert tuple(decoded.shape) == (3, 16, 16)
    assert np.abs(decoded.numpy().astype(int) - image.numpy()).max() <= 8
    np.testing.assert_array_equal(io.decode_jpeg(io.read_file(path)).numpy(), decoded.numpy())
    assert [tuple(t.shape) for t in io.decode_jpeg([io.read_file(path)] * 2)] == [(3, 16, 16)] * 2
    assert len(io.encode_jpeg([image, image])) == 2
    assert os.listdir(tmp_path) == ["x.jpg"]


def test_write_png_read_file_write_file(tmp_path):
    grey = tl.from_numpy(_rgb()[:, :, 0].copy())
    io.write_png(grey, tmp_path / "g.png")  # (H, W) grey accepted
    np.testing.assert_array_equal(io.read_image(tmp_path / "g.png").numpy()[0], grey.numpy())
    raw = io.read_file(tmp_path / "g.png")
    io.write_file(tmp_path / "copy.png", raw)
    assert (tmp_path / "copy.png").read_bytes() == (tmp_path / "g.png").read_bytes()


def test_exif_orientation_is_applied_when_asked():
    pil = Image.fromarray(_rgb(4, 8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    data = _png_bytes(pil, format="JPEG", exif=exif.tobytes(), quality=95)
    assert tuple(io.decode_jpeg(data).shape) == (3, 4, 8)
    assert tuple(io.decode_jpeg(data, apply_exif_orientation=True).shape) == (3, 8, 4)


def test_bad_input_errors():
    with pytest.raises(RuntimeError, match="not a decodable image"):
        io.decode_image(tl.tensor([1, 2, 3], dtype=tl.uint8))
    with pytest.raises(RuntimeError, match="uint8"):
        io.decode_image(tl.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="expected PNG"):
        io.decode_png(io.encode_jpeg(tl.zeros(3, 4, 4, dtype=tl.uint8)))
    with pytest.raises(ValueError, match="between 1 and 100"):
        io.encode_jpeg(tl.zeros(3, 4, 4, dtype=tl.uint8), quality=0)
    with pytest.raises(RuntimeError, match="Compression level"):
        io.encode_png(tl.zeros(3, 4, 4, dtype=tl.uint8), compression_level=10)
    with pytest.raises(RuntimeError, match="1 or 3 channels"):
        io.encode_png(tl.zeros(4, 4, 4, dtype=tl.uint8))
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        io.encode_png(tl.zeros(3, 4, 4))
    with pytest.raises(RuntimeError, match="CPU only"):
        io.decode_jpeg(io.encode_jpeg(tl.zeros(3, 4, 4, dtype=tl.uint8)), device="cuda")
    with pytest.raises(ValueError, match="Unknown image read mode"):
        io.decode_image(io.encode_png(tl.zeros(3, 4, 4, dtype=tl.uint8)), mode="CMYK")


def test_gif_frames_and_webp():
    frames = [Image.fromarray(np.full((5, 7, 3), value, np.uint8)) for value in (0, 255)]
    buffer = stdio.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    data = tl.from_numpy(np.frombuffer(buffer.getvalue(), np.uint8).copy())
    animation = io.decode_gif(data)
    assert tuple(animation.shape) == (2, 3, 5, 7) and animation.dtype == tl.uint8
    assert animation[0].max().item() == 0 and animation[1].min().item() == 255
    single = io.decode_gif(_png_bytes(frames[1], format="GIF"))
    assert tuple(single.shape) == (3, 5, 7)
    webp = _png_bytes(Image.fromarray(_rgb()), format="WEBP", lossless=True)
    np.testing.assert_array_equal(io.decode_webp(webp).numpy(), _rgb().transpose(2, 0, 1))
    with pytest.raises(RuntimeError, match="expected GIF"):
        io.decode_gif(webp)
