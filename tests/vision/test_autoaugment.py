"""AutoAugment / RandAugment / AugMix: torchvision's tables, draw order, sign handling, types and seeding."""

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision import transforms as T
from tensorlib.vision.transforms import autoaugment
from tensorlib.vision.transforms.autoaugment import _apply_op

NEAREST = T.InterpolationMode.NEAREST


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(5).integers(0, 256, (12, 10, 3), dtype=np.uint8)


def _chw(hwc: np.ndarray) -> tl.Tensor:
    return tl.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))


ALL_TRANSFORMS = [
    T.AutoAugment(),
    T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
    T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=0),
    T.RandAugment(),
    T.RandAugment(num_ops=3, magnitude=30, fill=7),
    T.AugMix(),
    T.AugMix(severity=10, mixture_width=2, chain_depth=2, alpha=0.5, all_ops=False),
    T.TrivialAugmentWide(),
]


# ------------------------------------------------------------------------------------------------- tables
def test_policy_tables_match_torchvision():
    assert [p.value for p in T.AutoAugmentPolicy] == ["imagenet", "cifar10", "svhn"]
    imagenet = T.AutoAugment().policies
    cifar10 = T.AutoAugment(T.AutoAugmentPolicy.CIFAR10).policies
    svhn = T.AutoAugment(T.AutoAugmentPolicy.SVHN).policies
    assert len(imagenet) == len(cifar10) == len(svhn) == 25
    assert imagenet[0] == (("Posterize", 0.4, 8), ("Rotate", 0.6, 9))
    assert imagenet[-1] == (("Equalize", 0.8, None), ("Equalize", 0.6, None))
    assert cifar10[1] == (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9))
    assert cifar10[14] == (("Solarize", 0.5, 2), ("Invert", 0.0, None))
    assert svhn[15] == (("Invert", 0.8, None), ("TranslateY", 0.0, 2))
    assert svhn[-1] == (("ShearX", 0.7, 2), ("Invert", 0.1, None))


def test_augmentation_spaces_ops_and_values():
    rand_space = T.RandAugment._augmentation_space(31, (40, 20))
    assert list(rand_space) == ["Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate",
                                "Brightness", "Color", "Contrast", "Sharpness", "Posterize", "Solarize",
                                "AutoContrast", "Equalize"]
    auto_space = T.AutoAugment._augmentation_space(10, (40, 20))
    assert set(auto_space) == set(rand_space) - {"Identity"} | {"Invert"}
    # TranslateX scales with the width, TranslateY with the height: 150/331 of it at the top bin.
    assert auto_space["TranslateX"][0][-1] == np.float32(150.0 / 331.0 * 20)
    assert auto_space["TranslateY"][0][-1] == np.float32(150.0 / 331.0 * 40)
    np.testing.assert_array_equal(auto_space["Posterize"][0], [8, 8, 7, 7, 6, 6, 5, 5, 4, 4])
    assert auto_space["Rotate"][1] and not auto_space["Solarize"][1]
    assert auto_space["Solarize"][0][0] == 255.0 and auto_space["Solarize"][0][-1] == 0.0
    assert auto_space["Invert"][0].ndim == 0

    augmix = T.AugMix()._augmentation_space(10, (30, 9))
    assert list(augmix) == ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Posterize", "Solarize",
                            "AutoContrast", "Equalize", "Brightness", "Color", "Contrast", "Sharpness"]
    assert augmix["TranslateX"][0][-1] == np.float32(3.0) and augmix["TranslateY"][0][-1] == np.float32(10.0)
    np.testing.assert_array_equal(augmix["Posterize"][0], [4, 4, 3, 3, 2, 2, 1, 1, 0, 0])
    assert "Brightness" not in T.AugMix(all_ops=False)._augmentation_space(10, (30, 9))


def test_magnitude_bins_match_torch():
    torch = pytest.importorskip("torch")
    for num_bins in (10, 31, 17):
        space = T.RandAugment._augmentation_space(num_bins, (33, 57))
        for name, (start, end) in {"ShearX": (0.0, 0.3), "Rotate": (0.0, 30.0), "Brightness": (0.0, 0.9),
                                   "TranslateX": (0.0, 150.0 / 331.0 * 57), "Solarize": (255.0, 0.0)}.items():
            np.testing.assert_array_equal(space[name][0], torch.linspace(start, end, num_bins).numpy(), name)
        posterize = 8 - (torch.arange(num_bins) / ((num_bins - 1) / 4)).round().int()
        np.testing.assert_array_equal(space["Posterize"][0], posterize.numpy())
        augmix_posterize = 4 - (torch.arange(num_bins) / ((num_bins - 1) / 4)).round().int()
        np.testing.assert_array_equal(T.AugMix()._augmentation_space(num_bins, (9, 9))["Posterize"][0],
                                      augmix_posterize.numpy())


def test_cached_tables_are_read_only():
    magnitudes = T.RandAugment._augmentation_space(31, (8, 8))["Rotate"][0]
    with pytest.raises(ValueError):
        magnitudes[0] = 1.0


# ------------------------------------------------------------------------------------- draws and sign rules
def test_rand_augment_draw_order_and_sign(rgb):
    """One op at bin ``magnitude``: op index, then (signed ops only) a coin where 1 means negative."""
    image = _chw(rgb)
    transform = T.RandAugment(num_ops=1, magnitude=7, num_magnitude_bins=11)
    space = T.RandAugment._augmentation_space(11, (12, 10))
    names = list(space)
    seen_signs = set()
    for seed in range(30):
        tl.manual_seed(seed)
        name = names[int(tl.randint(len(names), (1,)).item())]
        magnitudes, signed = space[name]
        magnitude = float(magnitudes[7]) if magnitudes.ndim else 0.0
        if signed and int(tl.randint(2, (1,)).item()):
            magnitude = -magnitude
        seen_signs.add(np.sign(magnitude))
        expected = _apply_op(image, name, magnitude, NEAREST, None)
        tl.manual_seed(seed)
        np.testing.assert_array_equal(transform(image).numpy(), expected.numpy(), err_msg=name)
    assert {-1.0, 1.0} <= seen_signs


def test_auto_augment_follows_get_params_and_sign_convention(rgb):
    """Sub-policy step i runs when probs[i] <= p; signed magnitudes are negative when signs[i] == 0."""
    image = _chw(rgb)
    transform = T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=[10, 20, 30])
    space = T.AutoAugment._augmentation_space(10, (12, 10))
    for seed in range(20):
        tl.manual_seed(seed)
        policy_id, probs, signs = T.AutoAugment.get_params(25)
        assert 0 <= policy_id < 25 and probs.shape == (2,) and signs.shape == (2,)
        expected = image
        for i, (name, p, bin_id) in enumerate(transform.policies[policy_id]):
            if probs[i].item() <= p:
                magnitudes, signed = space[name]
                magnitude = float(magnitudes[bin_id]) if bin_id is not None else 0.0
                if signed and signs[i].item() == 0:
                    magnitude = -magnitude
                expected = _apply_op(expected, name, magnitude, NEAREST, [10.0, 20.0, 30.0])
        tl.manual_seed(seed)
        np.testing.assert_array_equal(transform(image).numpy(), expected.numpy())


def test_augmix_mixing_weights(rgb, monkeypatch):
    """All weight on the original returns it; all weight on one chain of one op returns that op's result."""
    image = _chw(rgb)
    transform = T.AugMix(mixture_width=1, chain_depth=1, all_ops=False, interpolation=NEAREST)
    monkeypatch.setattr(transform, "_sample_dirichlet", lambda c: np.eye(c.shape[1], dtype=np.float32)[:1])
    np.testing.assert_array_equal(transform(image).numpy(), rgb.transpose(2, 0, 1))

    monkeypatch.setattr(transform, "_sample_dirichlet",
                        lambda c: np.eye(c.shape[1], dtype=np.float32)[-1:])  # Beta weight 1 on the chain
    space = transform._augmentation_space(10, (12, 10))
    names = list(space)
    for seed in range(10):
        tl.manual_seed(seed)
        name = names[int(tl.randint(len(names), (1,)).item())]
        magnitudes, signed = space[name]
        magnitude = float(magnitudes[int(tl.randint(3, (1,)).item())]) if magnitudes.ndim else 0.0
        if signed and int(tl.randint(2, (1,)).item()):
            magnitude = -magnitude
        expected = _apply_op(image, name, magnitude, NEAREST, None)
        tl.manual_seed(seed)
        np.testing.assert_array_equal(transform(image).numpy(), expected.numpy(), err_msg=name)


def test_augmix_changes_images_and_weighs_batch_items_separately(rgb):
    image = _chw(rgb)
    tl.manual_seed(0)
    outs = [T.AugMix()(image).numpy() for _ in range(5)]
    assert all(o.dtype == np.uint8 and o.shape == (3, 12, 10) for o in outs)
    assert any(not np.array_equal(o, image.numpy()) for o in outs)
    batch = tl.from_numpy(np.stack([rgb.transpose(2, 0, 1)] * 2))
    tl.manual_seed(1)
    mixed = T.AugMix()(batch).numpy()
    assert mixed.shape == (2, 3, 12, 10)
    assert not np.array_equal(mixed[0], mixed[1])  # each batch item has its own Dirichlet weights


def test_rand_augment_zero_ops_is_identity(rgb):
    image = _chw(rgb)
    assert T.RandAugment(num_ops=0)(image) is image
    pil = Image.fromarray(rgb)
    assert T.RandAugment(num_ops=0)(pil) is pil


# --------------------------------------------------------------------------------- kinds, seeding, repr
@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=repr)
def test_keeps_kind_shape_dtype(transform, rgb):
    tl.manual_seed(3)
    for _ in range(4):
        out = transform(_chw(rgb))
        assert isinstance(out, tl.Tensor) and out.dtype == tl.uint8 and tuple(out.shape) == (3, 12, 10)
        pil = transform(Image.fromarray(rgb))
        assert isinstance(pil, Image.Image) and pil.mode == "RGB" and pil.size == (10, 12)
        gray = transform(Image.fromarray(rgb[:, :, 0]))
        assert gray.mode == "L" and gray.size == (10, 12)
        array = transform(rgb)
        assert isinstance(array, np.ndarray) and array.dtype == np.uint8 and array.shape == (12, 10, 3)


@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=repr)
def test_seeded_runs_repeat_and_differ_across_seeds(transform, rgb):
    image = _chw(rgb)

    def run(seed):
        tl.manual_seed(seed)
        return np.stack([transform(image).numpy() for _ in range(6)])

    assert np.array_equal(run(11), run(11))
    assert any(not np.array_equal(run(11), run(seed)) for seed in (12, 13, 14))


def test_reprs():
    assert repr(T.AutoAugment()) == "AutoAugment(policy=AutoAugmentPolicy.IMAGENET, fill=None)"
    assert repr(T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=[1, 2, 3])) == \
        "AutoAugment(policy=AutoAugmentPolicy.SVHN, fill=[1, 2, 3])"
    assert repr(T.RandAugment()) == ("RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31, "
                                     "interpolation=InterpolationMode.NEAREST, fill=None)")
    assert repr(T.AugMix()) == ("AugMix(severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, all_ops=True, "
                                "interpolation=InterpolationMode.BILINEAR, fill=None)")


def test_public_names_import_from_the_usual_places():
    from tensorlib.vision.transforms.transforms import TrivialAugmentWide

    assert T.TrivialAugmentWide is TrivialAugmentWide is autoaugment.TrivialAugmentWide
    assert set(autoaugment.__all__) == {"AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide",
                                        "AugMix"}


def test_bad_arguments_raise_torchvision_errors(rgb):
    with pytest.raises(ValueError, match="policy imagenet is not recognized"):
        T.AutoAugment(policy="imagenet")
    for severity in (0, 11):
        with pytest.raises(ValueError, match=r"severity must be between \[1, 10\]"):
            T.AugMix(severity=severity)
    tl.manual_seed(0)
    with pytest.raises(IndexError):  # bin 31 of 31 fails as soon as an op with magnitudes is drawn
        T.RandAugment(num_ops=10, magnitude=31)(_chw(rgb))
