"""Transform classes: torchvision semantics, random parameters from tensorlib's RNG, reproducibility."""

import math

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision import transforms as T
from tensorlib.vision.transforms import functional as F


def _chw(hwc):
    return tl.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))


def _pixels(out):
    if isinstance(out, Image.Image):
        return np.asarray(out)
    if isinstance(out, tl.Tensor):
        return out.numpy()
    return out


def _pipeline():
    return T.Compose([
        T.RandomResizedCrop(5, scale=(0.3, 1.0)), T.RandomHorizontalFlip(), T.RandomVerticalFlip(),
        T.ColorJitter(0.4, 0.4, 0.4, 0.1), T.RandomRotation(15),
        T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5),
        T.RandomGrayscale(0.5), T.GaussianBlur(3), T.RandomCrop(4, padding=1),
        T.RandomApply([T.Pad(1)], p=0.5), T.RandomChoice([T.CenterCrop(3), T.CenterCrop(4)]),
        T.RandomOrder([T.RandomHorizontalFlip(), T.RandomVerticalFlip()]),
    ])


@pytest.mark.parametrize("kind", ["pil", "numpy", "tensor"])
def test_full_pipeline_is_reproducible_under_manual_seed(kind, hwc_uint8):
    make = {"pil": Image.fromarray, "numpy": lambda a: a, "tensor": _chw}[kind]
    pipeline = _pipeline()
    tl.manual_seed(123)
    first = [_pixels(pipeline(make(hwc_uint8))) for _ in range(5)]
    tl.manual_seed(123)
    second = [_pixels(pipeline(make(hwc_uint8))) for _ in range(5)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(a.shape != first[0].shape or not np.array_equal(a, first[0]) for a in first[1:])


def test_random_draws_come_from_the_tensorlib_generator():
    tl.manual_seed(7)
    expected = float(tl.rand(1).item())
    tl.manual_seed(7)
    flip = T.RandomHorizontalFlip(p=expected + 1e-6)  # flips iff the draw < p: exactly this draw decides
    assert isinstance(flip(tl.zeros(1, 2, 2)), tl.Tensor)
    tl.manual_seed(7)
    img = tl.from_numpy(np.array([[[1.0, 2.0]]], dtype=np.float32))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=expected + 1e-6)(img).numpy(), [[[2.0, 1.0]]])
    tl.manual_seed(7)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=expected - 1e-6)(img).numpy(), [[[1.0, 2.0]]])


def test_flip_probability_extremes(hwc_uint8):
    img = _chw(hwc_uint8)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(img).numpy(), img.numpy()[..., ::-1])
    assert T.RandomVerticalFlip(0.0)(img) is img


def test_random_crop_get_params_bounds_and_exact_size():
    img = tl.zeros(1, 10, 12)
    tl.manual_seed(0)
    for _ in range(50):
        i, j, h, w = T.RandomCrop.get_params(img, (4, 5))
        assert (h, w) == (4, 5) and 0 <= i <= 6 and 0 <= j <= 7
    assert T.RandomCrop.get_params(img, (10, 12)) == (0, 0, 10, 12)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop.get_params(img, (11, 12))


def test_random_crop_padding_fill_and_pad_if_needed(hwc_uint8):
    img = _chw(hwc_uint8)
    out = T.RandomCrop((10, 12), padding=2, fill=9)(img).numpy()  # padded image is exactly 10x12
    assert out.shape == (3, 10, 12)
    assert (out[:, :2] == 9).all() and (out[:, :, :2] == 9).all()
    np.testing.assert_array_equal(out[:, 2:8, 2:10], img.numpy())
    tl.manual_seed(0)
    grown = T.RandomCrop((8, 11), pad_if_needed=True, fill=5)(img).numpy()
    assert grown.shape == (3, 8, 11)
    # pad_if_needed pads *both* sides by the missing amount (width first, then height), then crops randomly
    tl.manual_seed(0)
    padded = F.pad(F.pad(img, [11 - 8, 0], fill=5), [0, 8 - 6], fill=5)
    assert tuple(padded.shape) == (3, 10, 14)
    np.testing.assert_array_equal(grown, F.crop(padded, *T.RandomCrop.get_params(padded, (8, 11))).numpy())
    reflect = T.RandomCrop((6, 8), padding=1, padding_mode="reflect")
    tl.manual_seed(1)
    assert reflect(Image.fromarray(hwc_uint8)).size == (8, 6)


def test_random_resized_crop_params_respect_scale_and_ratio():
    img = tl.zeros(1, 100, 80)
    tl.manual_seed(3)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.2, 0.6), (0.5, 2.0))
        assert 0 <= i <= 100 - h and 0 <= j <= 80 - w
        area = h * w / (100 * 80)
        assert 0.18 <= area <= 0.63
        assert 0.45 <= w / h <= 2.2


def test_random_resized_crop_fallback_is_centre_crop_with_ratio_clamp():
    # ratio range (2, 3) on a tall 40x10 image can never fit -> fallback: w = 10, h = round(10 / 2) = 5
    img = tl.zeros(1, 40, 10)
    tl.manual_seed(0)
    assert T.RandomResizedCrop.get_params(img, (0.9, 1.0), (2.0, 3.0)) == ((40 - 5) // 2, 0, 5, 10)
    wide = tl.zeros(1, 10, 40)  # in_ratio 4 > max ratio 1.5 -> h = 10, w = round(10 * 1.5) = 15
    assert T.RandomResizedCrop.get_params(wide, (0.99, 1.0), (1.0, 1.5)) == (0, (40 - 15) // 2, 10, 15)


def test_random_resized_crop_output_size_and_type(hwc_uint8):
    for img in (Image.fromarray(hwc_uint8), hwc_uint8, _chw(hwc_uint8)):
        out = T.RandomResizedCrop((3, 4))(img)
        assert F.get_image_size(out) == [4, 3] and type(out) is type(img)


def test_resize_transform_and_center_crop(hwc_uint8):
    out = T.Resize(3)(_chw(hwc_uint8))
    assert tuple(out.shape) == (3, 3, 4) and out.dtype == tl.uint8
    assert T.Resize((2, 5))(Image.fromarray(hwc_uint8)).size == (5, 2)
    with pytest.raises(ValueError, match="1 or 2 values"):
        T.Resize([1, 2, 3])
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    np.testing.assert_array_equal(T.CenterCrop(2)(hwc_uint8), hwc_uint8[2:4, 3:5])


def test_to_tensor_normalize_pipeline_dtype_and_values(hwc_uint8):
    pipeline = T.Compose([T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    out = pipeline(Image.fromarray(hwc_uint8))
    assert out.dtype == tl.float32
    np.testing.assert_allclose(out.numpy(), hwc_uint8.transpose(2, 0, 1) / 127.5 - 1.0, atol=1e-6)
    assert "ToTensor()" in repr(pipeline) and "Normalize(mean=[0.5, 0.5, 0.5]" in repr(pipeline)


def test_pil_to_tensor_convert_dtype_and_to_pil_round_trip(hwc_uint8):
    pipeline = T.Compose([T.PILToTensor(), T.ConvertImageDtype(tl.float32), T.ToPILImage()])
    np.testing.assert_array_equal(np.asarray(pipeline(Image.fromarray(hwc_uint8))), hwc_uint8)


def test_random_rotation_angle_range_and_fill():
    tl.manual_seed(0)
    angles = [T.RandomRotation.get_params([-10.0, 30.0]) for _ in range(200)]
    assert min(angles) >= -10.0 and max(angles) < 30.0 and max(angles) - min(angles) > 30
    out = T.RandomRotation((45, 45), fill=3)(tl.from_numpy(np.ones((2, 5, 5), dtype=np.float32))).numpy()
    np.testing.assert_array_equal(out[:, 0, 0], [3.0, 3.0])
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-5)


def test_random_affine_get_params_ranges():
    tl.manual_seed(0)
    for _ in range(50):
        angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params([-5.0, 5.0], [0.1, 0.2], [0.8, 1.2],
                                                                     [-3.0, 3.0, 1.0, 2.0], [50, 40])
        assert -5 <= angle <= 5 and abs(tx) <= 5 and abs(ty) <= 8 and 0.8 <= scale <= 1.2
        assert -3 <= sx <= 3 and 1 <= sy <= 2
        assert isinstance(tx, int) and isinstance(ty, int)
    assert T.RandomAffine.get_params([0.0, 0.0], None, None, None, [5, 5]) == (0.0, (0, 0), 1.0, (0.0, 0.0))
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomAffine(0, translate=(1.5, 0))


def test_color_jitter_ranges_and_random_order():
    jitter = T.ColorJitter(brightness=0.5, contrast=(0.2, 0.3), saturation=0, hue=0.1)
    assert jitter.brightness == [0.5, 1.5] and jitter.contrast == [0.2, 0.3]
    assert jitter.saturation is None and jitter.hue == [-0.1, 0.1]
    tl.manual_seed(0)
    orders = {tuple(T.ColorJitter.get_params(None, None, None, None)[0]) for _ in range(30)}
    assert len(orders) > 3 and all(sorted(o) == [0, 1, 2, 3] for o in orders)
    _, b, c, s, h = T.ColorJitter.get_params([0.5, 1.5], [0.2, 0.3], None, [-0.1, 0.1])
    assert 0.5 <= b <= 1.5 and 0.2 <= c <= 0.3 and s is None and -0.1 <= h <= 0.1
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="non negative"):
        T.ColorJitter(brightness=-1)


def test_color_jitter_brightness_only_matches_functional(hwc_uint8):
    img = _chw(hwc_uint8)
    tl.manual_seed(5)
    out = T.ColorJitter(brightness=0.5)(img).numpy()
    tl.manual_seed(5)
    _, factor, _, _, _ = T.ColorJitter.get_params([0.5, 1.5], None, None, None)
    np.testing.assert_array_equal(out, F.adjust_brightness(img, factor).numpy())


def test_grayscale_and_random_grayscale_keep_channel_count(hwc_uint8):
    assert tuple(T.Grayscale()(_chw(hwc_uint8)).shape) == (1, 6, 8)
    assert T.Grayscale(3)(Image.fromarray(hwc_uint8)).mode == "RGB"
    out = T.RandomGrayscale(p=1.0)(_chw(hwc_uint8)).numpy()
    assert out.shape == (3, 6, 8) and (out[0] == out[1]).all() and (out[1] == out[2]).all()


def test_pad_lambda_apply_choice_order(hwc_uint8):
    assert T.Pad((1, 2))(Image.fromarray(hwc_uint8)).size == (10, 10)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    assert T.Lambda(lambda x: x + 1)(1) == 2
    assert T.RandomApply([T.Lambda(lambda x: x + 1)], p=0.0)(1) == 1
    assert T.RandomApply([T.Lambda(lambda x: x + 1)], p=1.0)(1) == 2
    tl.manual_seed(0)
    choice = T.RandomChoice([T.Lambda(lambda x: 0), T.Lambda(lambda x: 1)], p=[1, 3])
    picks = [choice(None) for _ in range(400)]
    assert 0.65 < sum(picks) / 400 < 0.85
    with pytest.raises(ValueError, match="Length of p"):
        T.RandomChoice([T.Lambda(lambda x: x)], p=[0.5, 0.5])
    seen = set()
    for _ in range(30):
        seen.add(T.RandomOrder([T.Lambda(lambda s: s + "a"), T.Lambda(lambda s: s + "b")])(""))
    assert seen == {"ab", "ba"}


def test_random_erasing_values_and_probability():
    img = tl.from_numpy(np.ones((3, 20, 20), dtype=np.float32))
    tl.manual_seed(0)
    out = T.RandomErasing(p=1.0, value=0)(img).numpy()
    erased = (out == 0).all(axis=0)
    assert 0 < erased.sum() < 400 and float(img.numpy().min()) == 1.0
    rows, cols = np.nonzero(erased)
    assert erased[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # one rectangle
    per_channel = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(img).numpy()
    changed = (per_channel != 1).any(axis=0)
    np.testing.assert_allclose(per_channel[:, changed][:, 0], [0.1, 0.2, 0.3], rtol=1e-6)
    noisy = T.RandomErasing(p=1.0, value="random")(img).numpy()
    assert len(np.unique(noisy[(noisy != 1)])) > 10
    assert T.RandomErasing(p=0.0)(img) is img
    with pytest.raises(ValueError, match="'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="number of input channels"):
        T.RandomErasing(p=1.0, value=(1, 2))(img)


def test_random_erasing_get_params_area_ratio_bounds():
    img = tl.zeros(3, 50, 40)
    tl.manual_seed(1)
    for _ in range(30):
        i, j, h, w, v = T.RandomErasing.get_params(img, (0.02, 0.33), (0.3, 3.3), value=[0.0])
        assert h < 50 and w < 40 and 0 <= i <= 50 - h and 0 <= j <= 40 - w
        assert h * w <= 0.4 * 2000
        assert tuple(v.shape) == (1, 1, 1)


def test_gaussian_blur_transform_sigma_draw_and_validation():
    tl.manual_seed(0)
    sigmas = [T.GaussianBlur.get_params(0.1, 2.0) for _ in range(100)]
    assert 0.1 <= min(sigmas) and max(sigmas) <= 2.0
    with pytest.raises(ValueError, match="odd and positive"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="positive and of the form"):
        T.GaussianBlur(3, sigma=(2.0, 1.0))


def test_five_crop_ten_crop_transforms(hwc_uint8):
    crops = T.FiveCrop(2)(_chw(hwc_uint8))
    assert len(crops) == 5 and all(tuple(c.shape) == (3, 2, 2) for c in crops)
    assert len(T.TenCrop((2, 3), vertical_flip=True)(Image.fromarray(hwc_uint8))) == 10


def test_mixup_soft_labels_sum_to_one_and_mix_images():
    images = tl.from_numpy(np.stack([np.full((1, 2, 2), k, dtype=np.float32) for k in range(4)]))
    labels = tl.tensor([0, 1, 2, 1])
    tl.manual_seed(0)
    mixed, soft = T.MixUp(alpha=1.0, num_classes=3)(images, labels)
    assert mixed.dtype == tl.float32 and tuple(soft.shape) == (4, 3)
    np.testing.assert_allclose(soft.numpy().sum(axis=1), 1.0, rtol=1e-6)
    lam = soft.numpy()[0, 0]  # sample 0 (class 0) mixed with sample 3 (class 1) weighted (1 - lam)
    np.testing.assert_allclose(mixed.numpy()[0, 0, 0, 0], 0 * lam + 3 * (1 - lam), rtol=1e-5)
    with pytest.raises(ValueError, match="num_classes"):
        T.MixUp(num_classes=0)


def test_cutmix_pastes_box_and_labels_follow_area():
    images = tl.from_numpy(np.stack([np.full((1, 8, 8), k, dtype=np.float32) for k in range(3)]))
    labels = tl.tensor([0, 1, 2])
    tl.manual_seed(4)
    out, soft = T.CutMix(alpha=1.0, num_classes=3)(images, labels)
    pasted_fraction = float((out.numpy()[1] == 0).mean())  # sample 1 receives pixels of sample 0
    np.testing.assert_allclose(soft.numpy()[1], [pasted_fraction, 1 - pasted_fraction, 0.0], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        T.CutMix(num_classes=3)(tl.zeros(3, 8, 8), labels)


def test_transform_given_unsupported_type_names_it():
    with pytest.raises(TypeError, match="str"):
        T.RandomHorizontalFlip(1.0)("not an image")
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got list"):
        T.ToTensor()([1, 2])


def test_get_params_use_log_uniform_ratio():
    # a pure check of the maths: the aspect ratio is exp(uniform(log r0, log r1))
    tl.manual_seed(11)
    img = tl.zeros(1, 1000, 1000)
    ratios = []
    for _ in range(300):
        _, _, h, w = T.RandomResizedCrop.get_params(img, (0.5, 0.5), (0.25, 4.0))
        ratios.append(math.log(w / h))
    assert abs(float(np.mean(ratios))) < 0.25


def test_normalize_hot_path_matches_functional_and_still_validates():
    import tensorlib.vision.transforms.functional as F_
    from tensorlib.vision import transforms as T_

    norm = T_.Normalize((0.5, 0.2, 0.1), (0.5, 0.25, 0.5))
    image = tl.rand(3, 5, 4)
    expected = F_.normalize(image, (0.5, 0.2, 0.1), (0.5, 0.25, 0.5))
    for _ in range(2):  # the second call takes the cached path
        out = norm(image)
        assert out.dtype == tl.float32 and tl.allclose(out, expected)
    with pytest.raises(RuntimeError, match="channels"):
        norm(tl.rand(2, 5, 4))
