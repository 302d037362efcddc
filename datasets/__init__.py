"""``tensorlib.datasets``: torchvision/torchtext-style datasets with robust, mirror-aware downloads.

Image datasets return ``(PIL.Image, int)`` and expose ``data``, ``targets``, ``classes`` and ``class_to_idx``
typed as torchvision's (MNIST family: tensors; CIFAR: NumPy data, list targets; SVHN: NumPy data and labels);
text datasets return ``(label, text)``. Set ``TENSORLIB_DATASETS_MIRROR`` (a base URL or a local folder of
upstream files) or pass ``mirrors=[...]`` to fetch from your own copy first. A malformed dataset file raises
``CorruptDatasetError`` (a ``ValueError`` and a ``RuntimeError``) naming the file.
"""

from . import utils
from ._errors import CorruptDatasetError
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .qmnist import QMNIST
from .svhn import SVHN
from .text import AG_NEWS, IMDB, TextClassificationDataset

__all__ = ["AG_NEWS", "CIFAR10", "CIFAR100", "CorruptDatasetError", "EMNIST", "IMDB", "KMNIST", "MNIST", "QMNIST",
           "SVHN", "FakeData", "FashionMNIST", "TextClassificationDataset", "utils"]

_FOLDER_NAMES = ("ImageFolder", "DatasetFolder", "default_loader", "IMG_EXTENSIONS")


def __getattr__(name: str):
    # generic image folders live in tensorlib.vision (which re-exports this package); imported lazily so the
    # two packages can import each other in either order
    if name in _FOLDER_NAMES:
        from ..vision.datasets import folder

        return getattr(folder, name)
    raise AttributeError(f"module 'tensorlib.datasets' has no attribute '{name}'")
