"""QMNIST: MNIST's digits with the full NIST provenance, as ``torchvision.datasets.QMNIST``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from PIL import Image

from ._archive import decompressed_name
from ._cache import cached_array
from ._fetch import Resource
from ._idx import read_idx
from .mnist import MNIST, _read_images


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_ with ``what`` in ``subsets``.

    ``what``: 'train' (60k), 'test' (60k), 'test10k' (the first 10k of 'test', matching MNIST's test set),
    'test50k' (the rest) or 'nist' (all NIST digits); default 'train' or 'test' from ``train``. ``data``:
    uint8 tensor ``(N, 28, 28)``; ``targets``: int64 tensor ``(N, 8)`` (class, NIST series, writer, ...). With
    ``compat=True`` (default) an item's target is the class as an int, else the row of 8 as a tensor. Files
    live in ``root/QMNIST/raw/``.
    """

    mirrors = ["https://raw.githubusercontent.com/facebookresearch/qmnist/master/"]
    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test", "nist": "nist"}
    resources = {  # subset -> (file name, md5) of its images and labels, as torchvision
        "train": [("qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                  ("qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4")],
        "test": [("qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                 ("qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa")],
        "nist": [("xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
                 ("xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")],
    }

    def __init__(self, root: str, what: str | None = None, compat: bool = True, train: bool = True,
                 **kwargs: Any) -> None:
        if what is None:
            what = "train" if train else "test"
        if what not in self.subsets:
            raise ValueError(f"Unknown value '{what}' for argument what. "
                             f"Valid values are {{{', '.join(repr(s) for s in self.subsets)}}}.")
        self.what = what
        self.compat = compat
        super().__init__(root, train=train, **kwargs)

    def _files(self) -> list[tuple[str, str]]:
        return self.resources[self.subsets[self.what]]

    def _resource_list(self) -> list[Resource]:
        return [Resource(filename=name, md5=md5, payload=((decompressed_name(name), None),))
                for name, md5 in self._files()]

    @property
    def images_file(self) -> str:
        return os.path.join(self.raw_folder, decompressed_name(self._files()[0][0]))

    @property
    def labels_file(self) -> str:
        return os.path.join(self.raw_folder, decompressed_name(self._files()[1][0]))

    def _load_data(self) -> tuple[np.ndarray, np.ndarray]:
        images = cached_array(self.images_file, _read_images)
        labels = cached_array(self.labels_file, _read_label_rows)
        if len(images) != len(labels):
            raise RuntimeError(f"{self.images_file!r} holds {len(images)} images but {self.labels_file!r} "
                               f"holds {len(labels)} label rows; expected the same number")
        if self.what == "test10k":
            return images[:10000], labels[:10000]
        if self.what == "test50k":
            return images[10000:], labels[10000:]
        return images, labels

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL.Image 'L', class int)`` with ``compat``, else ``(PIL.Image 'L', int64 tensor (8,))``."""
        index = self._check_index(index)
        img = Image.fromarray(self._images[index])
        target = int(self._labels[index, 0]) if self.compat else self.targets[index]
        return self._apply_transforms(img, target)

    def extra_repr(self) -> str:
        return f"Split: {self.what}"


def _read_label_rows(path: str) -> np.ndarray:
    labels = read_idx(path, expected_ndim=2)
    if labels.dtype.kind != "i":
        raise RuntimeError(f"{path!r}: expected integer label rows, got {labels.dtype}")
    return labels.astype(np.int64)
