"""FakeData: deterministic per index, independent of the global RNG."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tensorlib.datasets import FakeData


def test_fakedata_is_deterministic_per_index():
    a = FakeData(size=10, image_size=(3, 8, 6), num_classes=4)
    b = FakeData(size=10, image_size=(3, 8, 6), num_classes=4)
    np.random.seed(123)  # the global RNG must not matter
    img, target = a[7]
    np.random.seed(999)
    img2, target2 = b[7]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (6, 8)
    np.testing.assert_array_equal(np.asarray(img), np.asarray(img2))
    assert target == target2 and 0 <= target < 4 and type(target) is int
    assert not np.array_equal(np.asarray(a[0][0]), np.asarray(a[1][0]))
    shifted = FakeData(size=10, image_size=(3, 8, 6), num_classes=4, random_offset=1)
    np.testing.assert_array_equal(np.asarray(shifted[0][0]), np.asarray(a[1][0]))


def test_fakedata_len_grey_transforms_and_errors():
    ds = FakeData(size=5, image_size=(1, 4, 4), num_classes=2, transform=lambda im: np.asarray(im),
                  target_transform=lambda t: -t - 1)
    assert len(ds) == 5
    arr, target = ds[0]
    assert arr.shape == (4, 4) and arr.dtype == np.uint8 and target in (-1, -2)
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(ValueError, match="image_size"):
        FakeData(image_size=(2, 4, 4))


def test_image_folder_is_reexported_from_datasets():
    import tensorlib.datasets as datasets
    from tensorlib.vision.datasets import DatasetFolder, ImageFolder

    assert datasets.ImageFolder is ImageFolder and datasets.DatasetFolder is DatasetFolder
