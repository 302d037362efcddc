"""MNIST, FashionMNIST, KMNIST and EMNIST: idx files under ``root/<ClassName>/raw/`` as in torchvision."""

from __future__ import annotations

import os
import string
import warnings
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from ._archive import decompress_file, decompressed_name
from ._base import DownloadableDataset
from ._cache import cached_array
from ._errors import CorruptDatasetError
from ._fetch import Mirrors, Resource
from ._idx import read_idx
from ._tensor import int64_tensor, uint8_tensor


class MNIST(DownloadableDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 28x28 grey digits; items ``(PIL.Image 'L', int)``.

    ``data``: uint8 tensor ``(N, 28, 28)``; ``targets``: int64 tensor ``(N,)``, as torchvision (both share memory
    with NumPy arrays: ``data.numpy()`` costs nothing; assigning either, e.g. to keep a subset, works). Files live in
    ``root/MNIST/raw/``. ``resources`` lists ``(file name, md5 of the .gz, md5 of the decompressed file)``:
    a download is accepted when either md5 matches (mirrors may re-compress).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    # (file name, md5 of the .gz as published, md5 of the decompressed idx file)
    resources: list[tuple[str, ...]] = [
        ("train-images-idx3-ubyte.gz",
         "f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
        ("train-labels-idx1-ubyte.gz",
         "d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
        ("t10k-images-idx3-ubyte.gz",
         "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
        ("t10k-labels-idx1-ubyte.gz",
         "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 mirrors: Mirrors = None) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform, mirrors=mirrors)
        self.train = train
        self._prepare(download)
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def _folder(self) -> str:
        return self.raw_folder

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _resource_list(self) -> list[Resource]:
        result = []
        for filename, md5, *payload_md5 in self.resources:
            payload = ((decompressed_name(filename), payload_md5[0] if payload_md5 else None),)
            result.append(Resource(filename=filename, md5=md5, payload=payload))
        return result

    @property
    def _file_prefix(self) -> str:
        return "train" if self.train else "t10k"

    @property
    def images_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    def _load_data(self) -> tuple[np.ndarray, Any]:
        images = cached_array(self.images_file, _read_images)
        labels = cached_array(self.labels_file, _read_labels)
        if len(images) != len(labels):
            raise CorruptDatasetError(f"{self.images_file!r} holds {len(images)} images but "
                                      f"{self.labels_file!r} holds {len(labels)} labels; expected the same number")
        if len(labels) and int(labels.max()) >= len(self.classes):
            raise CorruptDatasetError(f"{self.labels_file!r}: label {int(labels.max())} is out of range for "
                                      f"{len(self.classes)} classes")
        return images, labels

    @property
    def data(self) -> Any:
        """The images, a uint8 tensor ``(N, H, W)`` (``data.numpy()`` is the array behind it, no copy)."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = uint8_tensor(value)
        self._images = self._data.numpy()  # __getitem__ reads the array: indexing a tensor per item is slower

    @property
    def targets(self) -> Any:
        """The labels, an int64 tensor ``(N,)`` (``targets.numpy()`` is the array behind it, no copy)."""
        return self._targets

    @targets.setter
    def targets(self, value: Any) -> None:
        self._targets = int64_tensor(value)
        self._labels = self._targets.numpy()

    @property
    def train_labels(self) -> Any:
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self) -> Any:
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self) -> Any:
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self) -> Any:
        warnings.warn("test_data has been renamed data")
        return self.data

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL.Image mode 'L', int class index)`` after ``transform``/``target_transform``."""
        index = self._check_index(index)
        img = Image.fromarray(self._images[index])
        return self._apply_transforms(img, int(self._labels[index]))

    def __len__(self) -> int:
        return len(self._images)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_, same layout as MNIST."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", None),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", None),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", None),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", None),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_, same layout as MNIST."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7", None),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344", None),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7", None),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134", None),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_ with ``split`` in ``splits``.

    Upstream ships one ``gzip.zip`` holding ``gzip/emnist-<split>-<train|test>-*.gz``; they are unpacked
    to ``root/EMNIST/raw/emnist-<split>-<train|test>-{images-idx3,labels-idx1}-ubyte``.
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    mirrors = ["https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/"]
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # Letters whose upper and lower case look alike are merged in 'bymerge' and 'balanced'.
    _merged_classes = set("cijklmopsuvwxyz")
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str, split: str, **kwargs: Any) -> None:
        if split not in self.splits:
            raise ValueError(f"Unknown value '{split}' for argument split. "
                             f"Valid values are {{{', '.join(repr(s) for s in self.splits)}}}.")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    @property
    def _file_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    def _split_files(self) -> list[str]:
        return [f"emnist-{self.split}-{part}-{kind}" for part in ("train", "test")
                for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]

    def _resource_list(self) -> list[Resource]:
        payload = tuple((f"gzip/{name}.gz", None) for name in self._split_files())
        return [Resource(filename="gzip.zip", md5=self.md5, payload=payload, url=self.url)]

    def _not_found_message(self, resources: Sequence[Resource], failures: list[str] | None) -> str:
        decompressed = ", ".join(os.path.join(self.raw_folder, name) for name in self._split_files())
        return (super()._not_found_message(resources, failures)
                + f"\nAlready decompressed files work too: {decompressed}")

    def _prepare(self, download: bool) -> None:
        wanted = [os.path.join(self.raw_folder, name) for name in self._split_files()]
        if all(os.path.isfile(path) for path in wanted):
            return
        super()._prepare(download)
        for path in wanted:
            if not os.path.isfile(path):
                decompress_file(os.path.join(self.raw_folder, "gzip", os.path.basename(path) + ".gz"), path)


def _read_images(path: str) -> np.ndarray:
    images = read_idx(path, expected_ndim=3)
    if images.dtype != np.uint8:
        raise CorruptDatasetError(f"{path!r}: expected uint8 images, got {images.dtype}")
    return images


def _read_labels(path: str) -> np.ndarray:
    labels = read_idx(path, expected_ndim=1)
    if labels.dtype != np.uint8:
        raise CorruptDatasetError(f"{path!r}: expected uint8 labels, got {labels.dtype}")
    return labels
