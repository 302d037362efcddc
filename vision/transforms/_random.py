"""Scalar random draws for augmentation parameters, all from tensorlib's global generator.

Going through ``tl.rand`` / ``tl.randint`` / ``tl.randperm`` / ``uniform_`` (never Python's ``random`` or
NumPy's global state) is what makes ``tl.manual_seed`` reproduce augmentations and lets the DataLoader seed
each worker.
"""

from __future__ import annotations

from typing import List

import tensorlib as tl


def rand() -> float:
    """One draw from U[0, 1), like ``torch.rand(1)``."""
    return float(tl.rand(1).item())


def uniform(low: float, high: float) -> float:
    """One draw from U[low, high), like ``torch.empty(1).uniform_(low, high)``."""
    return float(tl.empty(1).uniform_(float(low), float(high)).item())


def randint(low: int, high: int) -> int:
    """One integer in [low, high), like ``torch.randint(low, high, size=(1,))``."""
    return int(tl.randint(int(low), int(high), size=(1,)).item())


def randperm(n: int) -> List[int]:
    """A random permutation of ``range(n)``, like ``torch.randperm(n)``."""
    return [int(i) for i in tl.randperm(n).tolist()]


def beta(alpha: float) -> float:
    """One draw from Beta(alpha, alpha) using the global generator's NumPy stream."""
    return float(tl.random.default_generator.np_rng.beta(alpha, alpha))
