"""Functional losses (``F.cross_entropy``, ``F.mse_loss`` ...) with PyTorch's signatures.

Maps the legacy ``size_average``/``reduce`` arguments onto ``reduction`` and calls the fused kernels of
``tensorlib.kernels.loss``; the margin losses are short compositions of tensor ops.
"""

from __future__ import annotations

import warnings
from typing import Optional

from ...functional import abs as _abs
from ...functional import clamp, exp, log1p, mul, relu, sqrt, where
from ...functional import loss as _loss
from ...functional import sum as _sum
from ...tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "soft_margin_loss"]


def legacy_reduction(size_average: Optional[bool], reduce: Optional[bool], reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  f"{_legacy_string(size_average, reduce)}' instead.", stacklevel=3)
    return _legacy_string(size_average, reduce)


def _legacy_string(size_average: Optional[bool], reduce: Optional[bool]) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  size_average: Optional[bool] = None, ignore_index: int = -100, reduce: Optional[bool] = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits (N, C, d1, ...) against class indices (N, d1, ...) or class probabilities."""
    return _loss.cross_entropy(input, target, weight, ignore_index,
                               legacy_reduction(size_average, reduce, reduction), label_smoothing)


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
             ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities (N, C, d1, ...)."""
    return _loss.nll_loss(input, target, weight, ignore_index, legacy_reduction(size_average, reduce, reduction))


def mse_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
             reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Mean squared error (``weight``: same shape as input; mean is ``sum(w l) / sum(w)``)."""
    return _loss.mse_loss(input, target, legacy_reduction(size_average, reduce, reduction), weight)


def l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
            reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Mean absolute error (``weight``: same shape as input; mean is ``sum(w l) / sum(w)``)."""
    return _loss.l1_loss(input, target, legacy_reduction(size_average, reduce, reduction), weight)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
                   reduce: Optional[bool] = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Quadratic below ``beta``, linear above (``0.5 d^2 / beta`` vs ``|d| - beta / 2``)."""
    return _loss.smooth_l1_loss(input, target, legacy_reduction(size_average, reduce, reduction), beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """Quadratic below ``delta``, linear above (``0.5 d^2`` vs ``delta (|d| - delta / 2)``)."""
    return _loss.huber_loss(input, target, reduction, delta, weight)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities in [0, 1]; logs clamped to >= -100 as in PyTorch."""
    return _loss.binary_cross_entropy(input, target, weight, legacy_reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    """Sigmoid + BCE in one numerically stable op; ``pos_weight`` scales the positive term per class."""
    return _loss.binary_cross_entropy_with_logits(input, target, weight,
                                                  legacy_reduction(size_average, reduce, reduction), pos_weight)


def kl_div(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence; ``input`` holds log-probabilities, ``target`` probabilities (or logs with log_target)."""
    return _loss.kl_div(input, target, legacy_reduction(size_average, reduce, reduction), log_target)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if tuple(input1.shape) != tuple(input2.shape) or input1.ndim not in (1, 2):
        raise RuntimeError(f"cosine_embedding_loss: expected inputs of equal shape (N, D) or (D,), got "
                           f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    expected = tuple(input1.shape[:-1])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"cosine_embedding_loss: expected target of shape {expected} for inputs of shape "
                           f"{tuple(input1.shape)}, got {tuple(target.shape)}")
    eps = 1e-12
    dim = input1.ndim - 1
    dot = _sum(mul(input1, input2), dim)
    denominator = sqrt(mul(_sum(mul(input1, input1), dim) + eps, _sum(mul(input2, input2), dim) + eps))
    cos = dot / denominator
    zeros = cos * 0
    loss = where(target == 1, 1 - cos, zeros) + where(target == -1, clamp(cos - margin, min=0), zeros)
    return _loss.reduce_loss(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target * (x1 - x2) + margin)``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if not (tuple(input1.shape) == tuple(input2.shape) == tuple(target.shape)):
        raise RuntimeError(f"margin_ranking_loss: expected input1, input2 and target of the same shape, got "
                           f"{tuple(input1.shape)}, {tuple(input2.shape)} and {tuple(target.shape)}")
    return _loss.reduce_loss(relu(-target * (input1 - input2) + margin), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
                     reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))``, computed without overflow."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _loss.check_reduction(reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"soft_margin_loss: target size {tuple(target.shape)} must match input size "
                         f"{tuple(input.shape)}")
    z = -target * input
    return _loss.reduce_loss(relu(z) + log1p(exp(-_abs(z))), reduction)
