"""Photometric functionals (invert, posterize, solarize, sharpness, autocontrast, equalize, gamma) and the
Random* / TrivialAugmentWide transforms built on them."""

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision import transforms as T
from tensorlib.vision.transforms import functional as F
from tensorlib.vision.transforms.autoaugment import _apply_op, _float32_linspace


def _chw(hwc: np.ndarray) -> tl.Tensor:
    return tl.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))


def _gray(values) -> tl.Tensor:
    """A (1, H, W) tensor from a 2-D list/array, keeping its dtype."""
    return tl.from_numpy(np.ascontiguousarray(np.asarray(values)[None]))


def _pil_chw(img: Image.Image) -> np.ndarray:
    array = np.asarray(img)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (9, 11, 3), dtype=np.uint8)


# ------------------------------------------------------------------------------------------------- invert
def test_invert_uint8_float_and_hwc_array():
    values = np.array([[0, 1, 128, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(F.invert(_gray(values)).numpy()[0], [[255, 254, 127, 0]])
    floats = np.array([[0.0, 0.25, 1.0]], dtype=np.float32)
    out = F.invert(_gray(floats))
    assert out.dtype == tl.float32
    np.testing.assert_allclose(out.numpy()[0], [[1.0, 0.75, 0.0]])
    hwc = np.dstack([values, values, values])
    out_hwc = F.invert(hwc)
    assert isinstance(out_hwc, np.ndarray) and out_hwc.shape == hwc.shape
    np.testing.assert_array_equal(out_hwc, 255 - hwc)


def test_invert_pil_keeps_mode_and_matches_tensor(rgb):
    pil_out = F.invert(Image.fromarray(rgb))
    assert isinstance(pil_out, Image.Image) and pil_out.mode == "RGB"
    np.testing.assert_array_equal(_pil_chw(pil_out), F.invert(_chw(rgb)).numpy())


def test_invert_supports_batch_dims_and_checks_channels(rgb):
    batch = tl.from_numpy(np.stack([rgb.transpose(2, 0, 1)] * 2)[None])  # (1, 2, 3, H, W)
    out = F.invert(batch)
    assert tuple(out.shape) == (1, 2, 3, 9, 11)
    np.testing.assert_array_equal(out.numpy(), 255 - batch.numpy())
    with pytest.raises(TypeError, match="channel"):
        F.invert(tl.zeros(2, 4, 4))


# ---------------------------------------------------------------------------------------------- posterize
@pytest.mark.parametrize("bits", [0, 1, 3, 7, 8])
def test_posterize_masks_low_bits(bits):
    values = np.arange(256, dtype=np.uint8).reshape(16, 16)
    keep = (0xFF << (8 - bits)) & 0xFF
    out = F.posterize(_gray(values), bits)
    assert out.dtype == tl.uint8
    np.testing.assert_array_equal(out.numpy()[0], values & keep)
    np.testing.assert_array_equal(np.asarray(F.posterize(Image.fromarray(values), bits)), values & keep)


def test_posterize_errors():
    with pytest.raises(ValueError, match="between 0 and 8"):
        F.posterize(tl.zeros(1, 2, 2, dtype=tl.uint8), 9)
    with pytest.raises(ValueError, match="between 0 and 8"):
        F.posterize(Image.new("L", (2, 2)), -1)
    with pytest.raises(TypeError, match="uint8"):
        F.posterize(tl.zeros(1, 2, 2), 4)


# ----------------------------------------------------------------------------------------------- solarize
def test_solarize_inverts_at_and_above_threshold():
    values = np.array([[0, 127, 128, 200, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(F.solarize(_gray(values), 128).numpy()[0], [[0, 127, 127, 55, 0]])
    floats = np.array([[0.1, 0.5, 0.9]], dtype=np.float32)
    np.testing.assert_allclose(F.solarize(_gray(floats), 0.5).numpy()[0], [[0.1, 0.5, 0.1]], atol=1e-7)


def test_solarize_pil_matches_tensor_and_bound_check(rgb):
    for threshold in (0, 64, 200, 255):
        pil_out = F.solarize(Image.fromarray(rgb), threshold)
        np.testing.assert_array_equal(_pil_chw(pil_out), F.solarize(_chw(rgb), threshold).numpy())
    with pytest.raises(TypeError, match="Threshold"):
        F.solarize(tl.rand(1, 2, 2), 1.5)


# ------------------------------------------------------------------------------------------------- gamma
def test_adjust_gamma_uint8_follows_formula_and_pil():
    values = np.array([[0, 1, 64, 128, 200, 255]], dtype=np.uint8)
    for gamma, gain in ((0.5, 1.0), (2.0, 1.0), (1.0, 1.3)):
        scaled = np.clip(gain * (values / 255.0) ** gamma, 0, 1)
        expected = (scaled * (255 + 1 - 1e-3)).astype(np.uint8)
        np.testing.assert_array_equal(F.adjust_gamma(_gray(values), gamma, gain).numpy()[0], expected)
        pil_out = F.adjust_gamma(Image.fromarray(values), gamma, gain)
        assert pil_out.mode == "L"
        np.testing.assert_array_equal(np.asarray(pil_out), expected)


def test_adjust_gamma_float_and_errors():
    floats = np.array([[0.0, 0.25, 0.81, 1.0]], dtype=np.float32)
    out = F.adjust_gamma(_gray(floats), 0.5, gain=1.2)
    assert out.dtype == tl.float32
    np.testing.assert_allclose(out.numpy()[0], np.clip(1.2 * np.sqrt(floats), 0, 1), rtol=1e-6)
    with pytest.raises(ValueError, match="non-negative"):
        F.adjust_gamma(_gray(floats), -1.0)
    with pytest.raises(ValueError, match="non-negative"):
        F.adjust_gamma(Image.new("L", (2, 2)), -1.0)


# ------------------------------------------------------------------------------------------- autocontrast
def test_autocontrast_stretches_each_channel():
    channel_a = np.array([[50, 100, 150]], dtype=np.uint8)
    channel_b = np.array([[7, 7, 7]], dtype=np.uint8)  # constant: left unchanged
    image = tl.from_numpy(np.stack([channel_a, channel_b, channel_a // 2]))
    out = F.autocontrast(image).numpy()
    np.testing.assert_array_equal(out[0], [[0, 127, 255]])  # 127.5 truncated like Tensor.to(uint8)
    np.testing.assert_array_equal(out[1], [[7, 7, 7]])
    np.testing.assert_array_equal(out[2], [[0, 127, 255]])
    floats = np.array([[0.2, 0.4, 0.6]], dtype=np.float32)
    np.testing.assert_allclose(F.autocontrast(_gray(floats)).numpy()[0], [[0.0, 0.5, 1.0]], atol=1e-6)


def test_autocontrast_pil_within_one_of_tensor(rgb):
    low_contrast = (rgb // 4 + 60).astype(np.uint8)
    pil_out = F.autocontrast(Image.fromarray(low_contrast))
    assert pil_out.mode == "RGB"
    diff = np.abs(_pil_chw(pil_out).astype(int) - F.autocontrast(_chw(low_contrast)).numpy().astype(int))
    assert diff.max() <= 1


def test_autocontrast_batch_is_per_image():
    first = np.array([[[10, 20]]], dtype=np.uint8)
    second = np.array([[[0, 255]]], dtype=np.uint8)
    out = F.autocontrast(tl.from_numpy(np.stack([first, second]))).numpy()
    np.testing.assert_array_equal(out[:, 0, 0], [[0, 255], [0, 255]])


# ----------------------------------------------------------------------------------------------- equalize
def test_equalize_flattens_a_hand_made_histogram():
    values = np.array([0] * 512 + [10] * 256 + [20] * 256, dtype=np.uint8).reshape(32, 32)
    # step = (512 + 256) // 255 = 3; lut[v] = (cumsum[v - 1] + 1) // 3 -> 0, 171, 256 (clamped to 255)
    expected = np.select([values == 0, values == 10], [0, 171], 255).astype(np.uint8)
    out = F.equalize(_gray(values))
    assert out.dtype == tl.uint8
    np.testing.assert_array_equal(out.numpy()[0], expected)
    np.testing.assert_array_equal(np.asarray(F.equalize(Image.fromarray(values))), expected)


def test_equalize_few_distinct_values_is_identity():
    values = np.array([[0, 0, 100, 200]], dtype=np.uint8)  # step == 0
    np.testing.assert_array_equal(F.equalize(_gray(values)).numpy()[0], values)


def test_equalize_matches_pil_and_batches_per_channel(rgb):
    big = np.random.default_rng(5).integers(40, 180, (24, 20, 3), dtype=np.uint8)
    single = F.equalize(_chw(big)).numpy()
    np.testing.assert_array_equal(_pil_chw(F.equalize(Image.fromarray(big))), single)
    pair = F.equalize(tl.from_numpy(np.stack([big.transpose(2, 0, 1), big.transpose(2, 0, 1)[::-1].copy()])))
    np.testing.assert_array_equal(pair.numpy()[0], single)
    np.testing.assert_array_equal(pair.numpy()[1], F.equalize(_chw(big[:, :, ::-1])).numpy())


def test_equalize_requires_uint8():
    with pytest.raises(TypeError, match="uint8"):
        F.equalize(tl.rand(3, 4, 4))


# ---------------------------------------------------------------------------------------------- sharpness
def test_adjust_sharpness_kernel_blend_and_borders():
    values = np.zeros((3, 3), dtype=np.uint8)
    values[1, 1] = 130  # smoothed centre = 130 * 5 / 13 = 50; every border pixel is kept
    for factor, centre in ((0.0, 50), (0.5, 90), (1.0, 130), (2.0, 210)):
        out = F.adjust_sharpness(_gray(values), factor).numpy()[0]
        expected = np.zeros((3, 3), dtype=np.uint8)
        expected[1, 1] = centre
        np.testing.assert_array_equal(out, expected)
    floats = values.astype(np.float32) / 250.0  # centre 0.52 -> smoothed 0.2
    out = F.adjust_sharpness(_gray(floats), 2.0).numpy()[0]
    assert out[1, 1] == pytest.approx(0.84, abs=1e-6) and out[0, 0] == 0.0


def test_adjust_sharpness_interior_uses_neighbours():
    values = np.arange(16, dtype=np.float32).reshape(4, 4) / 16
    out = F.adjust_sharpness(_gray(values), 0.0).numpy()[0]
    kernel = np.ones((3, 3)) / 13
    kernel[1, 1] = 5 / 13
    assert out[1, 2] == pytest.approx(float((values[0:3, 1:4] * kernel).sum()), abs=1e-6)
    np.testing.assert_array_equal(out[0], values[0])
    np.testing.assert_array_equal(out[:, -1], values[:, -1])


def test_adjust_sharpness_matches_pil_small_images_and_errors(rgb):
    for factor in (0.0, 0.3, 2.5):
        pil_out = F.adjust_sharpness(Image.fromarray(rgb), factor)
        assert pil_out.mode == "RGB"
        np.testing.assert_array_equal(_pil_chw(pil_out), F.adjust_sharpness(_chw(rgb), factor).numpy())
    tiny = tl.from_numpy(np.full((3, 2, 5), 9, dtype=np.uint8))
    np.testing.assert_array_equal(F.adjust_sharpness(tiny, 0.0).numpy(), tiny.numpy())
    with pytest.raises(ValueError, match="non-negative"):
        F.adjust_sharpness(tiny, -0.5)


# ----------------------------------------------------------------------------------------- random classes
_CASES = [
    (lambda p: T.RandomInvert(p), F.invert, "RandomInvert(p={p})"),
    (lambda p: T.RandomPosterize(3, p), lambda x: F.posterize(x, 3), "RandomPosterize(bits=3,p={p})"),
    (lambda p: T.RandomSolarize(100, p), lambda x: F.solarize(x, 100), "RandomSolarize(threshold=100,p={p})"),
    (lambda p: T.RandomAdjustSharpness(2, p), lambda x: F.adjust_sharpness(x, 2),
     "RandomAdjustSharpness(sharpness_factor=2,p={p})"),
    (lambda p: T.RandomAutocontrast(p), F.autocontrast, "RandomAutocontrast(p={p})"),
    (lambda p: T.RandomEqualize(p), F.equalize, "RandomEqualize(p={p})"),
]


@pytest.mark.parametrize("make, apply, text", _CASES)
def test_random_photometric_p0_p1_and_repr(make, apply, text, rgb):
    image = _chw(rgb)
    np.testing.assert_array_equal(make(1.0)(image).numpy(), apply(image).numpy())
    assert make(0.0)(image) is image
    pil = Image.fromarray(rgb)
    assert make(0.0)(pil) is pil
    np.testing.assert_array_equal(np.asarray(make(1.0)(pil)), np.asarray(apply(pil)))
    assert repr(make(0.5)) == text.format(p=0.5)
    assert make(0.5).p == 0.5


def test_random_photometric_draws_from_tensorlib_generator(rgb):
    image = _chw(rgb)
    transform = T.RandomInvert(0.5)

    def decisions():
        return [transform(image) is image for _ in range(20)]

    tl.manual_seed(123)
    first = decisions()
    tl.manual_seed(123)
    assert decisions() == first
    assert 0 < sum(first) < 20


# ------------------------------------------------------------------------------------- TrivialAugmentWide
def test_trivial_augment_space_and_repr():
    space = T.TrivialAugmentWide._augmentation_space(31)
    assert list(space) == ["Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness",
                           "Color", "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast",
                           "Equalize"]
    bits = space["Posterize"][0]
    np.testing.assert_array_equal(bits, 8 - np.round(np.arange(31) / 5.0).astype(int))
    assert space["Solarize"][0][0] == 255.0 and space["Solarize"][0][-1] == 0.0
    assert space["Rotate"][0].dtype == np.float32 and space["Rotate"][0][-1] == 135.0
    assert repr(T.TrivialAugmentWide()) == ("TrivialAugmentWide(num_magnitude_bins=31, "
                                            "interpolation=InterpolationMode.NEAREST, fill=None)")


def test_trivial_augment_is_seeded_and_keeps_type(rgb):
    transform = T.TrivialAugmentWide(fill=0)
    image = _chw(rgb)
    tl.manual_seed(7)
    first = [transform(image).numpy() for _ in range(12)]
    tl.manual_seed(7)
    second = [transform(image).numpy() for _ in range(12)]
    for a, b in zip(first, second):
        assert a.dtype == np.uint8 and a.shape == (3, 9, 11)
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, image.numpy()) for a in first)
    pil_out = T.TrivialAugmentWide()(Image.fromarray(rgb))
    assert isinstance(pil_out, Image.Image) and pil_out.size == (11, 9)


def test_apply_op_every_operation(rgb):
    image = _chw(rgb)
    names = list(T.TrivialAugmentWide._augmentation_space(31)) + ["Invert"]
    for name in names:
        out = _apply_op(image, name, 1.0 if name != "Posterize" else 4.0, T.InterpolationMode.NEAREST, None)
        assert out.dtype == tl.uint8 and tuple(out.shape) == (3, 9, 11), name
    np.testing.assert_array_equal(_apply_op(image, "Invert", 0.0, T.InterpolationMode.NEAREST, None).numpy(),
                                  255 - rgb.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="not recognized"):
        _apply_op(image, "Blur", 0.0, T.InterpolationMode.NEAREST, None)


def test_float32_linspace_matches_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    for steps in (1, 2, 10, 31, 53):
        for start, end in ((0.0, 0.99), (0.0, 32.0), (0.0, 135.0), (255.0, 0.0)):
            np.testing.assert_array_equal(_float32_linspace(start, end, steps),
                                          torch.linspace(start, end, steps).numpy())
