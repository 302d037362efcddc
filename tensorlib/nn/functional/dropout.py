"""Functional dropout: ``dropout``, ``dropout1d/2d/3d``, ``alpha_dropout``, ``feature_alpha_dropout``.

Masks come from tensorlib's global RNG, so ``tensorlib.manual_seed`` reproduces them.
"""

from __future__ import annotations

import warnings

from ...functional.dropout import alpha_dropout as _alpha_dropout
from ...functional.dropout import dropout as _dropout
from ...functional.dropout import feature_dropout as _feature_dropout
from ...functional.inplace import unary_
from ...tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def _check(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _run(input: Tensor, fn, inplace: bool, name: str) -> Tensor:
    return unary_(input, fn, name) if inplace else fn(input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)``; identity when not training."""
    _check(p)
    if not training or p == 0.0:
        return input
    return _run(input, lambda t: _dropout(t, p), inplace, "dropout_")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input."""
    _check(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if not training or p == 0.0:
        return input
    batched = input.ndim == 3
    return _run(input, lambda t: _feature_dropout(t, p, batched), inplace, "dropout1d_")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` input (3-D input is read as ``(N, C, L)``, as PyTorch does)."""
    _check(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead.", stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one without "
                      "a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    if not training or p == 0.0:
        return input
    return _run(input, lambda t: _feature_dropout(t, p, True), inplace, "dropout2d_")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input."""
    _check(p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release.", stacklevel=2)
    if not training or p == 0.0:
        return input
    batched = input.ndim == 5
    return _run(input, lambda t: _feature_dropout(t, p, batched), inplace, "dropout3d_")


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: keeps mean 0 and variance 1 of standard-normal inputs."""
    _check(p)
    if not training or p == 0.0:
        return input
    return _run(input, lambda t: _alpha_dropout(t, p), inplace, "alpha_dropout_")


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    _check(p)
    if not training or p == 0.0:
        return input
    return _run(input, lambda t: _alpha_dropout(t, p, feature=True), inplace, "feature_alpha_dropout_")
