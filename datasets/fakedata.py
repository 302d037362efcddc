"""FakeData: random images, reproducible per index, for tests and smoke runs (no files, no download)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import numpy as np
from PIL import Image

from ._base import Dataset
from ._repr import dataset_repr


class FakeData(Dataset):
    """``size`` random ``(PIL.Image, int)`` items; ``image_size`` is ``(C, H, W)`` with C in {1, 3, 4}.

    Item ``i`` depends only on ``i + random_offset`` (its own seeded generator), so it is the same on
    every call and in every worker process, and independent of the global RNG.
    """

    def __init__(self, size: int = 1000, image_size: Sequence[int] = (3, 224, 224), num_classes: int = 10,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 random_offset: int = 0) -> None:
        if len(image_size) != 3 or image_size[0] not in (1, 3, 4):
            raise ValueError("FakeData: image_size must be (C, H, W) with C in (1, 3, 4), "
                             f"got {tuple(image_size)}")
        self.size = size
        self.image_size = tuple(int(s) for s in image_size)
        self.num_classes = num_classes
        self.transform = transform
        self.target_transform = target_transform
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index out of range: {index} (size {self.size})")
        index = index % self.size
        rng = np.random.default_rng(index + self.random_offset)
        channels, height, width = self.image_size
        pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
        target = int(rng.integers(0, self.num_classes))
        img = Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return dataset_repr(self, None, transform=self.transform, target_transform=self.target_transform)
