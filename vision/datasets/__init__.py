"""``tensorlib.vision.datasets``: folder datasets plus all of ``tensorlib.datasets`` (MNIST, CIFAR10...).

Mirrors ``torchvision.datasets`` so ``from tensorlib.vision import datasets`` works like torchvision's.
"""

try:
    from tensorlib.datasets import *
except ModuleNotFoundError as exc:  # tensorlib.datasets not installed yet: the folder datasets still work
    if not (exc.name or "").startswith("tensorlib.datasets"):
        raise

from .folder import (
    IMG_EXTENSIONS,
    DatasetFolder,
    ImageFolder,
    default_loader,
    find_classes,
    has_file_allowed_extension,
    is_image_file,
    make_dataset,
    pil_loader,
)
