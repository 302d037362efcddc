"""Geometric functions: crop offsets, padding, resizing, flips, rotation and affine, for every input type."""

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision.transforms import InterpolationMode
from tensorlib.vision.transforms import functional as F


def _chw(hwc):
    return tl.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))


def _as_hwc(out):
    """Any output kind back to an HWC numpy array."""
    if isinstance(out, Image.Image):
        return np.asarray(out)
    if isinstance(out, tl.Tensor):
        return out.numpy().transpose(1, 2, 0)
    return out


KINDS = {"pil": Image.fromarray, "numpy": lambda a: a, "tensor": _chw}


@pytest.mark.parametrize("kind", KINDS)
def test_crop_same_pixels_and_type_for_every_input(kind, hwc_uint8):
    img = KINDS[kind](hwc_uint8)
    out = F.crop(img, 1, 2, 3, 4)
    assert type(out) is type(img)
    np.testing.assert_array_equal(_as_hwc(out), hwc_uint8[1:4, 2:6])


@pytest.mark.parametrize("kind", KINDS)
def test_center_crop_offsets_use_round_half_even(kind, hwc_uint8):
    # (6 - 3) / 2 = 1.5 -> round() = 2 ; (8 - 3) / 2 = 2.5 -> round() = 2 (banker's rounding, as torchvision)
    out = _as_hwc(F.center_crop(KINDS[kind](hwc_uint8), [3, 3]))
    np.testing.assert_array_equal(out, hwc_uint8[2:5, 2:5])
    # (6 - 4) / 2 = 1, (8 - 5) / 2 = 1.5 -> 2
    out = _as_hwc(F.center_crop(KINDS[kind](hwc_uint8), [4, 5]))
    np.testing.assert_array_equal(out, hwc_uint8[1:5, 2:7])


@pytest.mark.parametrize("kind", KINDS)
def test_center_crop_larger_than_image_zero_pads_extra_on_right_bottom(kind, hwc_uint8):
    out = _as_hwc(F.center_crop(KINDS[kind](hwc_uint8), [9, 11]))
    assert out.shape == (9, 11, 3)
    # pad left (11 - 8) // 2 = 1, right 2, top (9 - 6) // 2 = 1, bottom 2
    np.testing.assert_array_equal(out[1:7, 1:9], hwc_uint8)
    assert out[0].sum() == 0 and out[:, 0].sum() == 0 and out[7:].sum() == 0 and out[:, 9:].sum() == 0


def test_tensor_crop_outside_reads_zeros(hwc_uint8):
    out = F.crop(_chw(hwc_uint8), -1, -2, 3, 4).numpy()
    assert out.shape == (3, 3, 4)
    assert out[:, 0].sum() == 0 and out[:, :, :2].sum() == 0
    np.testing.assert_array_equal(out[:, 1:, 2:], _chw(hwc_uint8).numpy()[:, :2, :2])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes_match_numpy_pad(kind, mode, hwc_uint8):
    out = _as_hwc(F.pad(KINDS[kind](hwc_uint8), [1, 2, 3, 4], fill=0, padding_mode=mode))
    expected = np.pad(hwc_uint8, ((2, 4), (1, 3), (0, 0)), mode=mode)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_pad_two_values_mean_left_right_then_top_bottom_with_fill(kind, hwc_uint8):
    out = _as_hwc(F.pad(KINDS[kind](hwc_uint8), [1, 2], fill=7))
    assert out.shape == (10, 10, 3)
    np.testing.assert_array_equal(out[2:8, 1:9], hwc_uint8)
    assert (out[:2] == 7).all() and (out[:, :1] == 7).all()


def test_pad_rejects_bad_padding_and_mode(hwc_uint8):
    with pytest.raises(ValueError, match="3 element tuple"):
        F.pad(_chw(hwc_uint8), [1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode"):
        F.pad(_chw(hwc_uint8), 1, padding_mode="wrap")


@pytest.mark.parametrize("kind", KINDS)
def test_resize_int_sets_shorter_side_and_max_size_caps_longer(kind, hwc_uint8):
    img = KINDS[kind](hwc_uint8)  # H=6, W=8
    assert F.get_image_size(F.resize(img, 3)) == [4, 3]  # [w, h]: short 6 -> 3, long int(3 * 8 / 6) = 4
    assert F.get_image_size(F.resize(img, [3])) == [4, 3]
    assert F.get_image_size(F.resize(img, 3, max_size=3 + 1)) == [4, 3]
    assert F.get_image_size(F.resize(img, 12, max_size=13)) == [13, int(13 * 12 / 16)]
    assert F.get_image_size(F.resize(img, [5, 7])) == [7, 5]


def test_resize_max_size_not_greater_than_size_raises(hwc_uint8):
    with pytest.raises(ValueError, match="max_size"):
        F.resize(_chw(hwc_uint8), 5, max_size=5)


def test_resize_same_size_returns_equal_copy(hwc_uint8):
    t = _chw(hwc_uint8)
    out = F.resize(t, [6, 8])
    np.testing.assert_array_equal(out.numpy(), t.numpy())


def test_resize_nearest_on_tensor_uses_floor_of_scaled_index():
    t = tl.from_numpy(np.arange(4, dtype=np.float32).reshape(1, 1, 4))
    up = F.resize(t, [1, 8], InterpolationMode.NEAREST).numpy().ravel()
    np.testing.assert_array_equal(up, [0, 0, 1, 1, 2, 2, 3, 3])
    down = F.resize(tl.from_numpy(np.arange(6, dtype=np.float32).reshape(1, 1, 6)), [1, 4],
                    InterpolationMode.NEAREST).numpy().ravel()
    np.testing.assert_array_equal(down, [0, 1, 3, 4])  # floor(i * 1.5)
    exact = F.resize(tl.from_numpy(np.arange(6, dtype=np.float32).reshape(1, 1, 6)), [1, 4],
                     InterpolationMode.NEAREST_EXACT).numpy().ravel()
    np.testing.assert_array_equal(exact, [0, 2, 3, 5])  # floor((i + 0.5) * 1.5)


def test_resize_bilinear_upsample_interpolates_between_pixel_centres():
    t = tl.from_numpy(np.array([[[0.0, 1.0]]], dtype=np.float32))
    out = F.resize(t, [1, 4], InterpolationMode.BILINEAR).numpy().ravel()
    np.testing.assert_allclose(out, [0.0, 0.25, 0.75, 1.0], atol=1e-6)


def test_resize_antialias_averages_when_downsampling_by_two():
    row = np.array([[[0.0, 1.0, 2.0, 3.0]]], dtype=np.float32)
    out_aa = F.resize(tl.from_numpy(row), [1, 2], antialias=True).numpy().ravel()
    out_plain = F.resize(tl.from_numpy(row), [1, 2], antialias=False).numpy().ravel()
    np.testing.assert_allclose(out_plain, [0.5, 2.5], atol=1e-6)
    assert out_aa.dtype == np.float32
    # the wider triangle mixes in a neighbour on each side: (0*3 + 1*3 + 2*1) / 7, ... normalised at borders
    np.testing.assert_allclose(out_aa, [(0 * 3 + 1 * 3 + 2 * 1) / 7, (1 * 1 + 2 * 3 + 3 * 3) / 7], atol=1e-6)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_tensor_matches_torch_interpolate(mode, antialias):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((2, 3, 13, 17)).astype(np.float32)
    for size in [(6, 7), (20, 31)]:
        ours = F.resize(tl.from_numpy(x), list(size), InterpolationMode(mode), antialias=antialias).numpy()
        ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode, align_corners=False,
                                              antialias=antialias).numpy()
        np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_resize_uint8_tensor_stays_uint8_and_close_to_pil(hwc_uint8):
    out = F.resize(_chw(hwc_uint8), [3, 4])
    assert out.dtype == tl.uint8
    pil = np.asarray(Image.fromarray(hwc_uint8).resize((4, 3), Image.Resampling.BILINEAR))
    assert np.abs(out.numpy().transpose(1, 2, 0).astype(int) - pil.astype(int)).max() <= 1


def test_resize_pil_uses_requested_filter(hwc_uint8):
    img = Image.fromarray(hwc_uint8)
    ours = F.resize(img, [3, 4], InterpolationMode.LANCZOS)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(img.resize((4, 3), Image.Resampling.LANCZOS)))
    with pytest.raises(ValueError, match="unsupported"):
        F.resize(_chw(hwc_uint8), [3, 4], InterpolationMode.LANCZOS)


@pytest.mark.parametrize("kind", KINDS)
def test_flips(kind, hwc_uint8):
    np.testing.assert_array_equal(_as_hwc(F.hflip(KINDS[kind](hwc_uint8))), hwc_uint8[:, ::-1])
    np.testing.assert_array_equal(_as_hwc(F.vflip(KINDS[kind](hwc_uint8))), hwc_uint8[::-1])


@pytest.mark.parametrize("kind", KINDS)
def test_rotate_90_is_counter_clockwise_rot90(kind):
    square = ((np.arange(36) * 7) % 256).astype(np.uint8).reshape(6, 6, 1).repeat(3, axis=2)
    out = _as_hwc(F.rotate(KINDS[kind](square), 90))
    np.testing.assert_array_equal(out, np.rot90(square, 1))


def test_rotate_expand_gives_torchvision_sizes():
    # torchvision's float32 size computation: 3x5 at 90 degrees -> 5x3, 7x4 -> w=5, h=8 (its rounding quirk)
    t = tl.zeros(1, 5, 3)
    assert tuple(F.rotate(t, 90, expand=True).shape) == (1, 3, 5)
    assert tuple(F.rotate(tl.zeros(1, 4, 7), 90, expand=True).shape) == (1, 8, 5)
    assert tuple(F.rotate(tl.zeros(1, 6, 6), 45, expand=True).shape) == (1, 10, 10)


def test_rotate_fill_value_outside_and_uint8_rounding():
    t = tl.from_numpy(np.full((3, 5, 5), 100, dtype=np.uint8))
    out = F.rotate(t, 45, fill=[10, 20, 30]).numpy()
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[:, 0, 0], [10, 20, 30])
    np.testing.assert_array_equal(out[:, 2, 2], [100, 100, 100])


def test_rotate_bilinear_matches_torch_grid_sample():
    torch = pytest.importorskip("torch")
    from tensorlib.vision.transforms._geometry import inverse_affine_matrix
    x = np.random.default_rng(1).random((2, 3, 9, 12)).astype(np.float32)
    h, w = 9, 12
    matrix = inverse_affine_matrix([0.0, 0.0], -33.0, [0, 0], 1.0, [0, 0])
    theta = torch.tensor(matrix).float().reshape(1, 2, 3)
    base = torch.empty(1, h, w, 3)
    base[..., 0] = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w)
    base[..., 1] = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h).unsqueeze(-1)
    base[..., 2] = 1
    grid = base.view(1, h * w, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h]))
    grid = grid.view(1, h, w, 2).expand(2, h, w, 2)
    img = torch.cat([torch.from_numpy(x), torch.ones(2, 1, h, w)], 1)
    sampled = torch.nn.functional.grid_sample(img, grid, mode="bilinear", padding_mode="zeros",
                                              align_corners=False)
    mask, sampled = sampled[:, -1:], sampled[:, :-1]
    fill = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1)
    expected = sampled * mask + (1 - mask) * fill
    ours = F.rotate(tl.from_numpy(x), 33.0, InterpolationMode.BILINEAR, fill=[0.2, 0.5, 0.9]).numpy()
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_affine_translation_moves_pixels_and_fills_zero(kind, hwc_uint8):
    out = _as_hwc(F.affine(KINDS[kind](hwc_uint8), angle=0.0, translate=[2, 1], scale=1.0, shear=0.0))
    np.testing.assert_array_equal(out[1:, 2:], hwc_uint8[:-1, :-2])
    assert out[0].sum() == 0 and out[:, :2].sum() == 0


def test_affine_rejects_bad_arguments(hwc_uint8):
    with pytest.raises(ValueError, match="scale should be positive"):
        F.affine(_chw(hwc_uint8), 0.0, [0, 0], 0.0, 0.0)
    with pytest.raises(ValueError, match="translate"):
        F.affine(_chw(hwc_uint8), 0.0, [0, 0, 0], 1.0, 0.0)


@pytest.mark.parametrize("kind", KINDS)
def test_five_and_ten_crop_positions(kind, hwc_uint8):
    crops = [_as_hwc(c) for c in F.five_crop(KINDS[kind](hwc_uint8), [2, 3])]
    expected = [hwc_uint8[0:2, 0:3], hwc_uint8[0:2, 5:8], hwc_uint8[4:6, 0:3], hwc_uint8[4:6, 5:8],
                hwc_uint8[2:4, 2:5]]
    for got, want in zip(crops, expected):
        np.testing.assert_array_equal(got, want)
    ten = [_as_hwc(c) for c in F.ten_crop(KINDS[kind](hwc_uint8), [2, 3])]
    assert len(ten) == 10
    np.testing.assert_array_equal(ten[5], hwc_uint8[:, ::-1][0:2, 0:3])
    vertical = [_as_hwc(c) for c in F.ten_crop(KINDS[kind](hwc_uint8), [2, 3], vertical_flip=True)]
    np.testing.assert_array_equal(vertical[5], hwc_uint8[::-1][0:2, 0:3])
    with pytest.raises(ValueError, match="bigger than input size"):
        F.five_crop(KINDS[kind](hwc_uint8), [7, 3])


def test_batched_tensor_operations_keep_leading_dims(hwc_uint8):
    batch = tl.from_numpy(np.stack([hwc_uint8.transpose(2, 0, 1)] * 2))
    assert tuple(F.resize(batch, [3, 4]).shape) == (2, 3, 3, 4)
    assert tuple(F.center_crop(batch, 4).shape) == (2, 3, 4, 4)
    np.testing.assert_array_equal(F.hflip(batch).numpy()[1], hwc_uint8[:, ::-1].transpose(2, 0, 1))


def test_unsupported_input_type_names_it_and_the_accepted_ones():
    with pytest.raises(TypeError, match=r"PIL Image.*numpy.*Tensor.*builtins\.list"):
        F.hflip([[1, 2], [3, 4]])


def test_dimension_helpers(hwc_uint8):
    for kind, make in KINDS.items():
        img = make(hwc_uint8)
        assert F.get_dimensions(img) == [3, 6, 8], kind
        assert F.get_image_size(img) == [8, 6]
        assert F.get_image_num_channels(img) == 3
