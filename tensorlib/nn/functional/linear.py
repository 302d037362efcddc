"""Functional linear maps and vector similarities: ``linear``, ``bilinear``, ``normalize``,
``cosine_similarity``, ``pairwise_distance``."""

from __future__ import annotations

from typing import Optional

from ...functional import clamp_min, norm, sum
from ...functional.linear import bilinear, linear
from ...tensor import Tensor

__all__ = ["linear", "bilinear", "normalize", "cosine_similarity", "pairwise_distance"]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Optional[Tensor] = None
              ) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    denom = clamp_min(norm(input, p, dim, keepdim=True), eps)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast), each norm clamped to ``eps``."""
    n1 = clamp_min(norm(x1, 2, dim, keepdim=True), eps)
    n2 = clamp_min(norm(x2, 2, dim, keepdim=True), eps)
    return sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim."""
    return norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
