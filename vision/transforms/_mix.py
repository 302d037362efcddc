"""Batch-level MixUp and CutMix (torchvision.transforms.v2 semantics) on (NCHW images, int labels)."""

from __future__ import annotations

from typing import Tuple

import numpy as np

import tensorlib as tl

from . import _random


class _BaseMix:
    def __init__(self, *, alpha: float = 1.0, num_classes: int):
        if alpha <= 0:
            raise ValueError(f"alpha should be a positive number, got {alpha}")
        if num_classes is None or num_classes < 1:
            raise ValueError(f"num_classes should be a positive integer, got {num_classes}")
        self.alpha = float(alpha)
        self.num_classes = int(num_classes)

    def _check(self, images, labels) -> Tuple[np.ndarray, np.ndarray]:
        if not isinstance(images, tl.Tensor) or images.dim() != 4:
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise ValueError(f"{type(self).__name__} expects a batch of images as a (N, C, H, W) tensor, got "
                             f"{shape}")
        if not isinstance(labels, tl.Tensor) or labels.dim() != 1 or labels.shape[0] != images.shape[0]:
            shape = tuple(labels.shape) if hasattr(labels, "shape") else type(labels).__name__
            raise ValueError(f"{type(self).__name__} expects integer labels of shape ({images.shape[0]},), "
                             f"got {shape}")
        pixels = images.numpy()
        if pixels.dtype.kind != "f":
            raise TypeError(f"{type(self).__name__} expects float images, got {pixels.dtype}")
        one_hot = np.eye(self.num_classes, dtype=pixels.dtype)[labels.numpy().astype(np.int64)]
        return pixels, one_hot

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_BaseMix):
    """Blend each sample with its neighbour in the batch (``roll(1)``) by ``lam ~ Beta(alpha, alpha)``.

    Returns (mixed images (N, C, H, W), soft labels (N, num_classes)).
    """

    def __call__(self, images, labels):
        pixels, one_hot = self._check(images, labels)
        lam = _random.beta(self.alpha)
        mixed = np.roll(pixels, 1, axis=0) * (1.0 - lam) + pixels * lam
        soft = np.roll(one_hot, 1, axis=0) * (1.0 - lam) + one_hot * lam
        return tl.from_numpy(mixed.astype(pixels.dtype)), tl.from_numpy(soft.astype(pixels.dtype))


class CutMix(_BaseMix):
    """Paste a random box from the neighbouring sample; labels mix by the pasted area fraction.

    Returns (images (N, C, H, W), soft labels (N, num_classes)).
    """

    def __call__(self, images, labels):
        pixels, one_hot = self._check(images, labels)
        lam = _random.beta(self.alpha)
        height, width = pixels.shape[-2:]
        center_x = _random.randint(0, width)
        center_y = _random.randint(0, height)
        radius = 0.5 * np.sqrt(1.0 - lam)
        half_w, half_h = int(radius * width), int(radius * height)
        x1, y1 = max(center_x - half_w, 0), max(center_y - half_h, 0)
        x2, y2 = min(center_x + half_w, width), min(center_y + half_h, height)
        out = pixels.copy()
        out[..., y1:y2, x1:x2] = np.roll(pixels, 1, axis=0)[..., y1:y2, x1:x2]
        lam_adjusted = 1.0 - (x2 - x1) * (y2 - y1) / (width * height)
        soft = np.roll(one_hot, 1, axis=0) * (1.0 - lam_adjusted) + one_hot * lam_adjusted
        return tl.from_numpy(out), tl.from_numpy(soft.astype(pixels.dtype))
