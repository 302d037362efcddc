"""Conversions, dtype handling, normalisation and colour functions."""

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision.transforms import functional as F


def _chw(hwc):
    return tl.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))


def test_to_tensor_from_pil_and_numpy_scales_uint8_to_float32(hwc_uint8):
    for pic in (Image.fromarray(hwc_uint8), hwc_uint8):
        t = F.to_tensor(pic)
        assert t.dtype == tl.float32 and tuple(t.shape) == (3, 6, 8)
        np.testing.assert_allclose(t.numpy(), hwc_uint8.transpose(2, 0, 1) / 255.0, rtol=1e-6)


def test_to_tensor_keeps_non_uint8_values_and_handles_gray_and_binary():
    floats = np.random.default_rng(0).random((4, 5)).astype(np.float32)
    t = F.to_tensor(floats)
    assert t.dtype == tl.float32 and tuple(t.shape) == (1, 4, 5)
    np.testing.assert_array_equal(t.numpy()[0], floats)
    binary = Image.fromarray(np.array([[0, 255], [255, 0]], dtype=np.uint8)).convert("1")
    np.testing.assert_array_equal(F.to_tensor(binary).numpy()[0], [[0.0, 1.0], [1.0, 0.0]])
    as_int = F.to_tensor(Image.fromarray(np.array([[70000, 3]], dtype=np.int32)))
    assert as_int.dtype == tl.int32 and as_int.numpy()[0, 0, 0] == 70000


def test_to_tensor_rejects_tensors_and_bad_dims():
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        F.to_tensor(tl.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="2/3 dimensional"):
        F.to_tensor(np.zeros((1, 2, 2, 3), dtype=np.uint8))


def test_pil_to_tensor_keeps_uint8(hwc_uint8):
    t = F.pil_to_tensor(Image.fromarray(hwc_uint8))
    assert t.dtype == tl.uint8
    np.testing.assert_array_equal(t.numpy(), hwc_uint8.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="PIL Image"):
        F.pil_to_tensor(hwc_uint8)


def test_to_pil_image_modes_and_float_scaling(hwc_uint8):
    img = F.to_pil_image(_chw(hwc_uint8))
    assert img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), hwc_uint8)
    gray = F.to_pil_image(tl.from_numpy(np.array([[[0.0, 0.5, 1.0]]], dtype=np.float32)))
    assert gray.mode == "L"
    np.testing.assert_array_equal(np.asarray(gray), [[0, 127, 255]])  # mul(255) then truncate
    assert F.to_pil_image(np.zeros((2, 2, 4), dtype=np.uint8)).mode == "RGBA"
    assert F.to_pil_image(np.zeros((2, 2, 2), dtype=np.uint8)).mode == "LA"
    f_img = F.to_pil_image(tl.from_numpy(np.full((1, 2, 2), 0.25, dtype=np.float32)), mode="F")
    assert f_img.mode == "F" and np.asarray(f_img)[0, 0] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="> 4 channels"):
        F.to_pil_image(tl.zeros(5, 2, 2))
    with pytest.raises(ValueError, match="Only modes"):
        F.to_pil_image(np.zeros((2, 2, 3), dtype=np.uint8), mode="RGBA")


def test_convert_image_dtype_rules():
    u8 = tl.from_numpy(np.array([[[0, 128, 255]]], dtype=np.uint8))
    as_float = F.convert_image_dtype(u8, tl.float32)
    assert as_float.dtype == tl.float32
    np.testing.assert_allclose(as_float.numpy().ravel(), [0.0, 128 / 255, 1.0], rtol=1e-6)
    back = F.convert_image_dtype(as_float, tl.uint8)
    np.testing.assert_array_equal(back.numpy().ravel(), [0, 128, 255])  # x * (255 + 1 - 1e-3), truncated
    half = F.convert_image_dtype(tl.from_numpy(np.array([0.5, 0.999], dtype=np.float32)), tl.uint8)
    np.testing.assert_array_equal(half.numpy(), [127, 255])
    widened = F.convert_image_dtype(u8, tl.int32)
    np.testing.assert_array_equal(widened.numpy().ravel(), [0, 128 * 2**23, 255 * 2**23])
    narrowed = F.convert_image_dtype(widened, tl.uint8)
    np.testing.assert_array_equal(narrowed.numpy().ravel(), [0, 128, 255])
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(as_float, tl.int32)


def test_normalize_values_and_not_inplace_by_default():
    x = tl.from_numpy(np.ones((3, 2, 2), dtype=np.float32))
    out = F.normalize(x, [0.5, 0.0, 1.0], [0.5, 2.0, 1.0])
    np.testing.assert_allclose(out.numpy()[:, 0, 0], [1.0, 0.5, 0.0])
    assert out.dtype == tl.float32
    np.testing.assert_array_equal(x.numpy(), 1.0)
    same = F.normalize(x, [1.0], [1.0], inplace=True)
    assert same is x and float(x.numpy().max()) == 0.0


def test_normalize_errors_name_lengths_and_types():
    x = tl.zeros(3, 2, 2)
    with pytest.raises(RuntimeError, match="mean has 2 values.*std has 3 values.*3 channels"):
        F.normalize(x, [0.5, 0.5], [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="float tensor"):
        F.normalize(tl.zeros(3, 2, 2, dtype=tl.uint8), [0.5], [0.5])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(x, [0.5], [0.0])
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        F.normalize(tl.zeros(2, 2), [0.5], [0.5])
    with pytest.raises(TypeError, match="Image"):
        F.normalize(Image.new("RGB", (2, 2)), [0.5], [0.5])


def test_grayscale_weights_and_truncation_for_uint8():
    pixel = np.array([[[255, 255, 255], [10, 200, 30]]], dtype=np.uint8)  # (1, 2, 3) HWC
    out = F.rgb_to_grayscale(_chw(pixel)).numpy()
    assert out.dtype == np.uint8 and out.shape == (1, 1, 2)
    # 0.2989 + 0.587 + 0.114 = 0.9999 -> 254.97 truncates to 254 (torchvision's behaviour)
    assert out[0, 0, 0] == 254
    assert out[0, 0, 1] == int(np.float32(0.2989) * 10 + np.float32(0.587) * 200 + np.float32(0.114) * 30)
    three = F.rgb_to_grayscale(_chw(pixel), num_output_channels=3).numpy()
    assert three.shape == (3, 1, 2) and (three == three[:1]).all()
    pil = F.to_grayscale(Image.fromarray(pixel), 3)
    assert pil.mode == "RGB"
    with pytest.raises(TypeError, match="permitted channel values"):
        F.rgb_to_grayscale(tl.zeros(2, 3, 3))


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_adjust_brightness_contrast_saturation_blend_rules(kind, hwc_uint8):
    img = hwc_uint8 if kind == "numpy" else _chw(hwc_uint8)

    def hwc(out):
        return out if kind == "numpy" else out.numpy().transpose(1, 2, 0)

    np.testing.assert_array_equal(hwc(F.adjust_brightness(img, 1.0)), hwc_uint8)
    np.testing.assert_array_equal(hwc(F.adjust_brightness(img, 0.0)), 0)
    doubled = np.clip(hwc_uint8.astype(np.float32) * 2, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(hwc(F.adjust_brightness(img, 2.0)), doubled)
    gray = F.rgb_to_grayscale(_chw(hwc_uint8)).numpy().astype(np.float32)
    flat = hwc(F.adjust_contrast(img, 0.0))
    assert (flat == np.uint8(gray.mean())).all()
    desaturated = hwc(F.adjust_saturation(img, 0.0))
    np.testing.assert_array_equal(desaturated[..., 0], gray[0].astype(np.uint8))
    with pytest.raises(ValueError, match="not non-negative"):
        F.adjust_brightness(img, -0.1)


def test_adjust_hue_rotates_primary_colours_and_checks_range():
    red = np.zeros((1, 1, 3), dtype=np.float32)
    red[..., 0] = 1.0
    green = F.adjust_hue(_chw(red), 1.0 / 3.0).numpy().ravel()
    np.testing.assert_allclose(green, [0.0, 1.0, 0.0], atol=1e-5)
    shifted_back = F.adjust_hue(F.adjust_hue(_chw(red), 0.25), -0.25).numpy().ravel()
    np.testing.assert_allclose(shifted_back, [1.0, 0.0, 0.0], atol=1e-5)
    pil = F.adjust_hue(Image.fromarray((red * 255).astype(np.uint8)), 1.0 / 3.0)
    assert np.asarray(pil)[0, 0].argmax() == 1
    with pytest.raises(ValueError, match=r"not in \[-0.5, 0.5\]"):
        F.adjust_hue(_chw(red), 0.6)


def test_adjust_hue_zero_is_identity_for_uint8(hwc_uint8):
    out = F.adjust_hue(_chw(hwc_uint8), 0.0).numpy().transpose(1, 2, 0)
    assert np.abs(out.astype(int) - hwc_uint8.astype(int)).max() <= 1


def test_gaussian_blur_kernel_and_constant_image():
    const = tl.from_numpy(np.full((3, 7, 7), 0.5, dtype=np.float32))
    np.testing.assert_allclose(F.gaussian_blur(const, 5, 1.5).numpy(), 0.5, atol=1e-6)
    impulse = np.zeros((1, 7, 7), dtype=np.float32)
    impulse[0, 3, 3] = 1.0
    out = F.gaussian_blur(tl.from_numpy(impulse), [3, 3], [1.0, 1.0]).numpy()[0]
    k = np.exp(-0.5 * np.array([-1.0, 0.0, 1.0]) ** 2)
    k /= k.sum()
    np.testing.assert_allclose(out[2:5, 2:5], np.outer(k, k), atol=1e-6)
    assert out.sum() == pytest.approx(1.0, abs=1e-6)
    u8 = F.gaussian_blur(tl.from_numpy((impulse * 255).astype(np.uint8)), 3, 1.0).numpy()
    assert u8.dtype == np.uint8 and u8[0, 3, 3] == round(255 * k[1] * k[1])
    pil = F.gaussian_blur(Image.fromarray((impulse[0] * 255).astype(np.uint8)), 3, 1.0)
    np.testing.assert_array_equal(np.asarray(pil), u8[0])
    with pytest.raises(ValueError, match="odd and positive"):
        F.gaussian_blur(const, 4)


def test_gaussian_blur_matches_torch_conv2d():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).random((3, 9, 11)).astype(np.float32)
    ours = F.gaussian_blur(tl.from_numpy(x), [5, 3], [1.2, 0.7]).numpy()
    kx = np.exp(-0.5 * (np.linspace(-2, 2, 5) / 1.2) ** 2)
    ky = np.exp(-0.5 * (np.linspace(-1, 1, 3) / 0.7) ** 2)
    kernel = torch.tensor(np.outer(ky / ky.sum(), kx / kx.sum()), dtype=torch.float32).expand(3, 1, 3, 5)
    padded = torch.nn.functional.pad(torch.from_numpy(x)[None], [2, 2, 1, 1], mode="reflect")
    ref = torch.nn.functional.conv2d(padded, kernel, groups=3)[0].numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_erase_copies_unless_inplace():
    x = tl.zeros(3, 4, 4)
    out = F.erase(x, 1, 2, 2, 1, tl.ones(3, 1, 1))
    assert float(x.numpy().sum()) == 0.0
    expected = np.zeros((3, 4, 4), dtype=np.float32)
    expected[:, 1:3, 2:3] = 1.0
    np.testing.assert_array_equal(out.numpy(), expected)
    same = F.erase(x, 0, 0, 1, 1, 5.0, inplace=True)
    assert same is x and x.numpy()[0, 0, 0] == 5.0
