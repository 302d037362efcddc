"""Dropout variants (Tensor level): draw the keep mask from the framework RNG, apply the mask kernel."""

from __future__ import annotations

import math

from .. import random as _random
from .._backend import xp
from ..kernels.dropout import _SELU_ALPHA_PRIME, NativeDropout
from ..tensor import Tensor

__all__ = ["dropout", "feature_dropout", "alpha_dropout"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_with_shape(input: Tensor, p: float, mask_shape, generator=None) -> Tensor:
    dtype = input._data.dtype
    if p == 1.0:
        mask = xp.zeros(mask_shape, dtype=dtype)
    else:
        mask = _keep_mask(mask_shape, p, dtype, generator) * xp.asarray(1.0 / (1.0 - p), dtype=dtype)
    return NativeDropout.apply(input, mask=mask, shift=None)


def dropout(input: Tensor, p: float = 0.5, generator=None) -> Tensor:
    """Inverted dropout (training mode): zero each element with probability ``p``, scale the rest by 1/(1-p)."""
    _check_p(p)
    return _dropout_with_shape(input, p, input._data.shape, generator)


def feature_dropout(input: Tensor, p: float = 0.5, batched: bool = True, generator=None) -> Tensor:
    """Zero whole channels: mask of shape ``(N, C, 1, ...)`` (``batched``) or ``(C, 1, ...)``."""
    _check_p(p)
    keep = 2 if batched else 1
    shape = input._data.shape[:keep] + (1,) * (input.ndim - keep)
    return _dropout_with_shape(input, p, shape, generator)


def alpha_dropout(input: Tensor, p: float = 0.5, feature: bool = False, generator=None) -> Tensor:
    """SELU-preserving dropout: dropped units are set to the negative saturation, then mean/var corrected."""
    _check_p(p)
    dtype = input._data.dtype
    shape = input._data.shape if not feature else input._data.shape[:2] + (1,) * (input.ndim - 2)
    if p == 1.0:
        return NativeDropout.apply(input, mask=xp.zeros(shape, dtype=dtype), shift=None)
    noise = _keep_mask(shape, p, dtype, generator)
    alpha = _SELU_ALPHA_PRIME
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    shift = ((noise - 1) * (alpha * a) + alpha * a * p).astype(dtype)
    return NativeDropout.apply(input, mask=(noise * a).astype(dtype), shift=shift)


def _keep_mask(shape, p: float, dtype, generator):
    """Bernoulli(1 - p) draws from tensorlib's RNG, as ``dtype`` 0/1."""
    rng = _random.np_rng(generator)
    return (rng.random(shape, dtype=xp.float32) >= xp.float32(p)).astype(dtype)
