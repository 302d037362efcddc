"""CIFAR10 and CIFAR100 from the upstream python-pickle batches (read with a restricted unpickler)."""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
from PIL import Image

from ._base import DownloadableDataset
from ._cache import cache_path, is_fresh, save_atomic
from ._errors import CorruptDatasetError
from ._fetch import Mirrors, Resource
from ._safe_pickle import safe_load_file

_IMAGE_BYTES = 3 * 32 * 32


class CIFAR10(DownloadableDataset):
    """`CIFAR10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: items ``(PIL.Image 'RGB', int)``.

    ``data``: uint8 NumPy ``(N, 32, 32, 3)`` (HWC); ``targets``: list of ints. Files live in
    ``root/cifar-10-batches-py/`` (unpacked from ``root/cifar-10-python.tar.gz``).
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root: str, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 mirrors: Mirrors = None) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform, mirrors=mirrors)
        self.train = train
        self._prepare(download)
        batches = [_load_batch(os.path.join(self.root, self.base_folder, name))
                   for name, _ in (self.train_list if train else self.test_list)]
        self.data = np.concatenate([images for images, _ in batches]) if len(batches) > 1 else batches[0][0]
        self.targets: list[int] = [int(t) for _, labels in batches for t in labels.tolist()]
        self._load_meta()
        if self.targets and max(self.targets) >= len(self.classes):
            raise CorruptDatasetError(f"{os.path.join(self.root, self.base_folder)!r}: label {max(self.targets)} "
                                      f"is out of range for {len(self.classes)} classes")

    @property
    def _folder(self) -> str:
        return self.root

    def _resource_list(self) -> list[Resource]:
        files = self.train_list + self.test_list + [[self.meta["filename"], self.meta["md5"]]]
        payload = tuple((f"{self.base_folder}/{name}", md5) for name, md5 in files)
        return [Resource(filename=self.filename, md5=self.tgz_md5, payload=payload, url=self.url)]

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        meta = safe_load_file(path)
        names = meta.get(self.meta["key"]) if isinstance(meta, dict) else None
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)
                and len(set(names)) == len(names)):
            raise CorruptDatasetError(f"{path!r}: expected a dict whose {self.meta['key']!r} is a list of distinct "
                                      "class names")
        self.classes: list[str] = list(names)
        self.class_to_idx: dict[str, int] = {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL.Image mode 'RGB', int class index)`` after ``transform``/``target_transform``."""
        index = self._check_index(index)
        return self._apply_transforms(Image.fromarray(self.data[index]), self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """`CIFAR100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_ (fine labels).

    Files live in ``root/cifar-100-python/``.
    """

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}


def _load_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 32, 32, 3)`` uint8 and labels ``(N,)`` int64 of one batch, via the ``.npy`` cache."""
    images_cache, labels_cache = cache_path(path), path + ".labels.npy"
    if all(is_fresh(c, path) for c in (images_cache, labels_cache)):
        try:
            return np.load(images_cache, allow_pickle=False), np.load(labels_cache, allow_pickle=False)
        except (OSError, ValueError):
            pass
    images, labels = _parse_batch(path)
    save_atomic(images_cache, images, path)
    save_atomic(labels_cache, labels, path)
    return images, labels


def _parse_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    entry = safe_load_file(path)
    if not isinstance(entry, dict) or "data" not in entry:
        raise CorruptDatasetError(f"{path!r}: expected a pickled dict with keys 'data' and 'labels'/'fine_labels'")
    data = entry["data"]
    labels = entry.get("labels", entry.get("fine_labels"))
    valid = isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
    if not valid or data.shape[1] != _IMAGE_BYTES:
        got = f"{type(data).__name__} {getattr(data, 'dtype', '')} {getattr(data, 'shape', '')}"
        raise CorruptDatasetError(f"{path!r}: expected 'data' to be a uint8 array of shape (N, {_IMAGE_BYTES}), "
                                  f"got {got}")
    labels = _check_labels(labels, len(data), path)
    images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels


def _check_labels(labels: Any, count: int, path: str) -> np.ndarray:
    """``labels`` as int64 ``(count,)``: a list of ints or a 1-D integer array, each in ``[0, 2**31)``."""
    if isinstance(labels, np.ndarray):
        valid = labels.ndim == 1 and labels.dtype.kind in "iu"
    else:
        valid = isinstance(labels, list) and all(type(t) is int for t in labels)
    if not valid:
        raise CorruptDatasetError(f"{path!r}: expected 'labels' or 'fine_labels' to be a list of ints, got "
                                  f"{type(labels).__name__}")
    if len(labels) != count:
        raise CorruptDatasetError(f"{path!r}: expected {count} labels under 'labels' or 'fine_labels', got "
                                  f"{len(labels)}")
    if count and not all(0 <= int(bound) < 2**31 for bound in (min(labels), max(labels))):
        raise CorruptDatasetError(f"{path!r}: labels range over [{min(labels)}, {max(labels)}], expected "
                                  "non-negative class indices")
    return np.asarray(labels, dtype=np.int64)
