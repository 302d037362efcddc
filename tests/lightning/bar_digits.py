"""Learnable MNIST-shaped data: digit k is a bright bar across rows 2k+3..2k+5 of a noisy 28x28 image."""

from __future__ import annotations

import numpy as np


def bar_digits(n: int, seed: int = 0) -> tuple:
    """``(images uint8 (n, 28, 28), labels uint8 (n,))``."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 90, (n, 28, 28)).astype(np.uint8)
    rows = 2 * labels[:, None] + 3 + np.arange(3)[None, :]
    images[np.arange(n)[:, None], rows, 4:24] = 230
    return images, labels
