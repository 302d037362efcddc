"""``tensorlib.datasets``: torchvision/torchtext-style datasets with robust, mirror-aware downloads.

Image datasets return ``(PIL.Image, int)`` and expose ``data`` (uint8 NumPy), ``targets``, ``classes``
and ``class_to_idx``; text datasets return ``(label, text)``. Set ``TENSORLIB_DATASETS_MIRROR`` (a base
URL or a local folder of upstream files) or pass ``mirrors=[...]`` to fetch from your own copy first.
"""

from . import utils
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .svhn import SVHN
from .text import AG_NEWS, IMDB, TextClassificationDataset

__all__ = ["AG_NEWS", "CIFAR10", "CIFAR100", "EMNIST", "IMDB", "KMNIST", "MNIST", "SVHN", "FakeData",
           "FashionMNIST", "TextClassificationDataset", "utils"]
