"""SVHN (Street View House Numbers, cropped digits) from the upstream MATLAB ``.mat`` files."""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
from PIL import Image

from ._base import DownloadableDataset
from ._cache import cache_path, is_fresh, save_atomic
from ._errors import CorruptDatasetError
from ._fetch import Mirrors, Resource
from ._matlab import load_mat


class SVHN(DownloadableDataset):
    """`SVHN <http://ufldl.stanford.edu/housenumbers/>`_: items ``(PIL.Image 'RGB', int)``, label 10 -> 0.

    ``split`` in {'train', 'test', 'extra'}. ``data``: uint8 NumPy ``(N, 3, 32, 32)`` and ``labels``: int64
    NumPy ``(N,)`` as in torchvision (``targets`` is the same array). Files live directly in ``root``
    (``root/train_32x32.mat``).
    """

    mirrors = ["http://ufldl.stanford.edu/housenumbers/"]
    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }
    classes = [str(d) for d in range(10)]

    def __init__(self, root: str, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 mirrors: Mirrors = None) -> None:
        if split not in self.split_list:
            raise ValueError(f"Unknown value '{split}' for argument split. "
                             "Valid values are {'train', 'test', 'extra'}.")
        super().__init__(root, transform=transform, target_transform=target_transform, mirrors=mirrors)
        self.split = split
        self.url, self.filename, self.file_md5 = self.split_list[split]
        self._prepare(download)
        self.data, self.labels = _load_split(os.path.join(self.root, self.filename))

    @property
    def targets(self) -> np.ndarray:
        return self.labels

    @property
    def class_to_idx(self) -> dict:
        return {name: i for i, name in enumerate(self.classes)}

    @property
    def _folder(self) -> str:
        return self.root

    def _resource_list(self) -> list:
        url, filename, md5 = self.split_list[self.split]
        return [Resource(filename=filename, md5=md5, url=url, extract=False)]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL.Image mode 'RGB', int digit)`` after ``transform``/``target_transform``."""
        index = self._check_index(index)
        img = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        return self._apply_transforms(img, int(self.labels[index]))

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"


def _load_split(path: str) -> tuple[np.ndarray, np.ndarray]:
    images_cache, labels_cache = cache_path(path), path + ".labels.npy"
    if all(is_fresh(c, path) for c in (images_cache, labels_cache)):
        try:
            return np.load(images_cache, allow_pickle=False), np.load(labels_cache, allow_pickle=False)
        except (OSError, ValueError):
            pass
    variables = load_mat(path)
    images, labels = variables.get("X"), variables.get("y")
    if images is None or labels is None:
        raise CorruptDatasetError(f"{path!r}: expected variables 'X' and 'y', found {sorted(variables)}")
    if images.ndim != 4 or images.shape[:3] != (32, 32, 3) or labels.size != images.shape[3]:
        raise CorruptDatasetError(f"{path!r}: expected X of shape (32, 32, 3, N) and N labels, got X "
                                  f"{images.shape} and y {labels.shape}")
    if images.dtype != np.uint8:
        raise CorruptDatasetError(f"{path!r}: expected X of MATLAB class uint8, got {images.dtype}")
    if labels.size and not (np.all(labels == np.floor(labels)) and labels.min() >= 0 and labels.max() <= 10):
        raise CorruptDatasetError(f"{path!r}: expected integer labels y in 0..10, got values in "
                                  f"[{labels.min()}, {labels.max()}]")
    data = np.ascontiguousarray(np.transpose(images, (3, 2, 0, 1)))
    labels = labels.astype(np.int64).reshape(-1)
    labels[labels == 10] = 0  # SVHN stores the digit 0 as label 10
    save_atomic(images_cache, data, path)
    save_atomic(labels_cache, labels, path)
    return data, labels
