"""tensorlib.vision.transforms.v2: torchvision's v2 names, sample handling, ToImage/ToDtype/ToPureTensor."""

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision import transforms as v1
from tensorlib.vision.transforms import v2
from tensorlib.vision.transforms.v2 import functional as F2

V2_NAMES = ["Compose", "RandomApply", "RandomChoice", "RandomOrder", "Transform", "ToImage", "ToDtype",
            "ToPureTensor", "PILToTensor", "ToPILImage", "ToTensor", "Normalize", "Resize", "CenterCrop",
            "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation",
            "RandomAffine", "ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur", "RandomErasing",
            "Pad", "Lambda", "Identity", "RGB", "GaussianNoise", "AutoAugment", "RandAugment", "TrivialAugmentWide",
            "AugMix", "MixUp", "CutMix", "InterpolationMode", "AutoAugmentPolicy", "ConvertImageDtype"]


def _pil(h=20, w=30, seed=0):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


@pytest.mark.parametrize("name", V2_NAMES)
def test_torchvision_v2_names_exist(name):
    assert hasattr(v2, name)


def test_classic_v2_pipeline_equals_v1_to_tensor_normalize():
    image = _pil()
    new = v2.Compose([v2.ToImage(), v2.ToDtype(tl.float32, scale=True), v2.Normalize([0.5] * 3, [0.25] * 3)])
    old = v1.Compose([v1.ToTensor(), v1.Normalize([0.5] * 3, [0.25] * 3)])
    np.testing.assert_allclose(new(image).numpy(), old(image).numpy(), rtol=0, atol=1e-6)


def test_samples_pass_labels_through():
    image = _pil()
    pipeline = v2.Compose([v2.ToImage(), v2.CenterCrop(10)])
    x, label = pipeline(image, 7)
    assert tuple(x.shape) == (3, 10, 10) and label == 7
    out = pipeline({"image": image, "boxes": [1, 2], "label": tl.tensor(3)})
    assert tuple(out["image"].shape) == (3, 10, 10) and out["boxes"] == [1, 2] and out["label"].item() == 3
    # with no PIL image, only the first plain tensor is an image
    tensor_image, target = tl.rand(3, 16, 16), tl.rand(3, 16, 16)
    cropped, untouched = v2.CenterCrop(8)(tensor_image, target)
    assert tuple(cropped.shape) == (3, 8, 8) and untouched is target


def test_to_image_and_to_dtype_match_torch_semantics():
    array = np.random.default_rng(1).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    image = v2.ToImage()(array)
    np.testing.assert_array_equal(image.numpy(), array.transpose(2, 0, 1))
    assert image.dtype == tl.uint8
    assert tuple(v2.ToImage()(array[:, :, 0]).shape) == (1, 5, 6)
    assert tuple(v2.ToImage()(tl.zeros(5, 6)).shape) == (1, 5, 6)
    unscaled = v2.ToDtype(tl.float32)(image)
    np.testing.assert_array_equal(unscaled.numpy(), array.transpose(2, 0, 1).astype(np.float32))
    scaled = v2.ToDtype(tl.float32, scale=True)(image)
    np.testing.assert_allclose(scaled.numpy(), array.transpose(2, 0, 1) / np.float32(255), atol=1e-7)
    back = v2.ToDtype(tl.uint8, scale=True)(scaled)
    np.testing.assert_array_equal(back.numpy(), image.numpy())
    assert v2.ToDtype({tl.Tensor: tl.float64})(image).dtype == tl.float64
    with pytest.raises(ValueError, match="dtype must be"):
        v2.ToDtype("float32")
    assert v2.ToPureTensor()(image) is image


def test_to_dtype_scale_matches_torchvision_formula():
    torch = pytest.importorskip("torch")
    values = np.linspace(0, 1, 11, dtype=np.float32).reshape(1, 1, 11)
    ours = v2.ToDtype(tl.uint8, scale=True)(tl.from_numpy(values)).numpy()
    # torchvision's to_dtype for float -> uint8: image.mul(255 + 1.0 - 1e-3).to(uint8)
    theirs = torch.from_numpy(values).mul(255 + 1.0 - 1e-3).to(torch.uint8).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_random_transforms_follow_the_seed_like_v1():
    image = tl.rand(3, 20, 24)
    tl.manual_seed(3)
    new = v2.RandomResizedCrop(size=(8, 8), antialias=True)(image)
    tl.manual_seed(3)
    old = v1.RandomResizedCrop(size=(8, 8), antialias=True)(image)
    np.testing.assert_array_equal(new.numpy(), old.numpy())
    flipped = v2.RandomHorizontalFlip(p=1.0)(image)
    np.testing.assert_array_equal(flipped.numpy(), image.numpy()[:, :, ::-1])
    assert repr(v2.RandomHorizontalFlip(p=0.3)) == "RandomHorizontalFlip(p=0.3)"


def test_containers_pass_whole_samples():
    image = tl.rand(3, 8, 8)
    out, label = v2.RandomApply([v2.RandomHorizontalFlip(p=1.0)], p=1.0)(image, 1)
    np.testing.assert_array_equal(out.numpy(), image.numpy()[:, :, ::-1])
    assert label == 1
    out, label = v2.RandomOrder([v2.CenterCrop(4), v2.Identity()])(image, 2)
    assert tuple(out.shape) == (3, 4, 4) and label == 2
    doubled = v2.Lambda(lambda x: x * 2, int)(image, 5)
    assert doubled[0] is image and doubled[1] == 10


def test_custom_transform_subclass_torchvision_style():
    class AddConstant(v2.Transform):
        def make_params(self, flat_inputs):
            return {"value": len(flat_inputs)}

        def transform(self, inpt, params):
            return inpt + params["value"]

    out, label = AddConstant()(tl.zeros(1, 2, 2), 9)
    assert out.sum().item() == 4 and label == 9


def test_v2_to_tensor_warns_and_works():
    with pytest.warns(UserWarning, match="ToTensor"):
        transform = v2.ToTensor()
    assert transform(_pil()).dtype == tl.float32


def test_functional():
    gray = tl.rand(1, 4, 4)
    assert tuple(F2.grayscale_to_rgb(gray).shape) == (3, 4, 4)
    assert F2.get_size(tl.rand(3, 4, 5)) == [4, 5] and F2.get_num_channels(tl.rand(3, 4, 5)) == 3
    np.testing.assert_array_equal(F2.horizontal_flip(gray).numpy(), gray.numpy()[:, :, ::-1])
    noisy = F2.gaussian_noise(tl.full((3, 8, 8), 0.5), sigma=10.0)
    assert noisy.min().item() >= 0 and noisy.max().item() <= 1 and noisy.std().item() > 0
    with pytest.raises(ValueError, match="float dtype"):
        F2.gaussian_noise(tl.zeros(3, 2, 2, dtype=tl.uint8))
    assert F2.to_dtype(tl.tensor([[[255]]], dtype=tl.uint8), tl.float32, scale=True).item() == 1.0
    assert tuple(F2.to_image(_pil()).shape) == (3, 20, 30)


def test_random_resize_and_channel_permutation():
    image = tl.rand(3, 20, 40)
    tl.manual_seed(0)
    resized, label = v2.RandomResize(8, 12)(image, 1)
    assert resized.shape[-2] in range(8, 12) and resized.shape[-1] == 2 * resized.shape[-2] and label == 1
    permuted = v2.RandomChannelPermutation()(image)
    np.testing.assert_allclose(np.sort(permuted.numpy(), axis=0), np.sort(image.numpy(), axis=0))
    assert sorted(permuted.sum((1, 2)).tolist()) == pytest.approx(sorted(image.sum((1, 2)).tolist()))


def test_v2_pipelines_pickle_for_spawned_workers():
    import pickle

    pipeline = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(8), v2.ToDtype(tl.float32, scale=True)])
    clone = pickle.loads(pickle.dumps(pipeline))
    assert type(clone.transforms[1]) is v2.RandomResizedCrop and repr(clone) == repr(pipeline)
