"""Loss functions at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/loss.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

import warnings
from typing import Optional

from .. import dtypes as _dtypes
from .._backend import xp
from ..kernels.loss import (
    _REDUCTIONS,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropyIndices,
    CrossEntropyProbs,
    ElementwiseLoss,
    KlDiv,
    NllLoss,
)
from ..tensor import Tensor
from ._utils import cast
from .elementwise import div, mul
from .reduction import mean, sum

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
           "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div"]


_CLASS_INDEX_DTYPES = (xp.dtype(xp.int64), xp.dtype(xp.uint8))
_UNSIGNED = {xp.dtype(xp.int64): xp.uint64, xp.dtype(xp.uint8): xp.uint8}


def check_reduction(reduction: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {', '.join(allowed)}")


def _check_class_target(input: Tensor, target: Tensor, ignore_index: int, op: str) -> int:
    """Validate (N, C, d1, ...) input against an (N, d1, ...) class-index target; returns C."""
    if target._data.dtype not in _CLASS_INDEX_DTYPES:
        # PyTorch's message; a float target of the input's shape would be read as class probabilities
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_dtypes.scalar_type_name(target._data.dtype)} ({op}: class-index targets are int64; "
                           f"class-probability targets are floats of the input's shape {tuple(input.shape)})")
    shape, t = input._data.shape, target._data
    if len(shape) == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (C) or (N, C, ...), got shape ()")
    if len(shape) == 1:
        if t.ndim != 0:
            raise RuntimeError(f"{op}: an unbatched input of shape {shape} expects a 0-d target, "
                               f"got target shape {t.shape}")
        n_classes = shape[0]
    else:
        if shape[0] != (t.shape[0] if t.ndim else -1):
            got = t.shape[0] if t.ndim else "none"
            raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({got}). "
                             f"(input shape {shape}, target shape {t.shape})")
        expected = (shape[0],) + shape[2:]
        if t.shape != expected:
            raise RuntimeError(f"{op}: expected target size {expected} for input of shape {shape}, "
                               f"got {t.shape}")
        n_classes = shape[1]
    # one reduction in the usual case: negative indices read as unsigned are huge, so all are in range when the
    # largest unsigned value is below C; only then (e.g. ignore_index=-100 present) the full test runs
    if t.size == 0 or t.view(_UNSIGNED[t.dtype]).max() < n_classes:
        return n_classes
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        value = int(t[bad].reshape(-1)[0])
        raise IndexError(f"Target {value} is out of bounds for {n_classes} classes "
                         f"(valid class indices are 0..{n_classes - 1}, ignore_index={ignore_index})")
    return n_classes


def _check_weight(weight: Optional[Tensor], n_classes: int, op: str):
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {tuple(weight.shape)}")
    return weight._data


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``input`` (N, C, d1, ...) or (C,) against class indices (N, d1, ...) or
    class probabilities (same shape as input)."""
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if target._data.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
        w = _check_weight(weight, n_classes, "cross_entropy")
        return CrossEntropyProbs.apply(input, target, w, reduction=reduction, label_smoothing=label_smoothing)
    n_classes = _check_class_target(input, target, ignore_index, "cross_entropy")
    w = _check_weight(weight, n_classes, "cross_entropy")
    return CrossEntropyIndices.apply(input, target._data, w, reduction=reduction, ignore_index=ignore_index,
                                     label_smoothing=float(label_smoothing))


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: ``-weight[t] * input[n, t]`` for log-probabilities ``input`` (N, C, d1, ...)."""
    check_reduction(reduction)
    n_classes = _check_class_target(input, target, ignore_index, "nll_loss")
    w = _check_weight(weight, n_classes, "nll_loss")
    return NllLoss.apply(input, target._data, w, reduction=reduction, ignore_index=ignore_index)


def _check_same_size(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: using a target size ({tuple(target.shape)}) that is different to the input size "
                         f"({tuple(input.shape)}) is not supported. Please ensure they have the same size.")


def _array_or_none(t: Optional[Tensor], dtype):
    return None if t is None else t._data.astype(dtype, copy=False)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities ``input`` in [0, 1] against ``target`` of the same shape."""
    check_reduction(reduction)
    _check_same_size(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise RuntimeError(f"binary_cross_entropy: all elements of input should be between 0 and 1, got values in "
                           f"[{float(x.min()):.4g}, {float(x.max()):.4g}] (use BCEWithLogitsLoss for logits)")
    if target._data.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {_dtypes.scalar_type_name(target._data.dtype)} but expected "
                           f"{_dtypes.scalar_type_name(x.dtype)} (binary_cross_entropy: the target must have the "
                           f"input's dtype; use target.float())")
    return BinaryCrossEntropy.apply(input, target, _array_or_none(weight, x.dtype), reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    """Sigmoid + BCE in one stable op; ``pos_weight`` broadcasts along the last (class) dimension."""
    check_reduction(reduction)
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"result type {_dtypes.scalar_type_name(input._data.dtype)} can't be cast to the desired "
                           f"output type {_dtypes.scalar_type_name(target._data.dtype)} "
                           "(binary_cross_entropy_with_logits: use a float target, target.float())")
    input, target = _common_float(input, target, "binary_cross_entropy_with_logits")
    dtype = input._data.dtype
    return BinaryCrossEntropyWithLogits.apply(input, target, _array_or_none(weight, dtype),
                                                _array_or_none(pos_weight, dtype), reduction=reduction)


def _broadcast_warning(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Apply 'none' | 'mean' | 'sum' to an elementwise loss tensor."""
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


def _common_float(input: Tensor, target: Tensor, op: str):
    """``input`` and ``target`` in their promoted dtype (int64 target + float32 input -> float32, as PyTorch)."""
    dtype = _dtypes.result_dtype(input._data.dtype, target._data.dtype)
    if dtype.kind != "f":
        if op == "l1":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                               f"complex dtype. Got: {_dtypes.scalar_type_name(dtype)}")
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'{_dtypes.scalar_type_name(dtype)}\'')
    return (input if input._data.dtype == dtype else cast(input, dtype),
            target if target._data.dtype == dtype else cast(target, dtype))


def _regression(kind: str, input: Tensor, target: Tensor, reduction: str, beta: float,
                weight: Optional[Tensor], weighted_mean: bool) -> Tensor:
    check_reduction(reduction)
    _broadcast_warning(input, target)
    input, target = _common_float(input, target, kind)
    if weight is None:
        return ElementwiseLoss.apply(input, target, kind=kind, beta=float(beta), reduction=reduction)
    loss = ElementwiseLoss.apply(input, target, kind=kind, beta=float(beta))
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"Weights and input must have the same size, got weight {tuple(weight.shape)} and input "
                         f"{tuple(input.shape)}")
    loss = mul(loss, weight)
    if reduction == "mean" and weighted_mean:
        return div(sum(loss), sum(weight))
    return reduce_loss(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Squared error; with ``weight`` the mean is ``sum(w * l) / sum(w)`` as in PyTorch."""
    return _regression("mse", input, target, reduction, 0.0, weight, weighted_mean=True)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Absolute error; with ``weight`` the mean is ``sum(w * l) / sum(w)`` as in PyTorch."""
    return _regression("l1", input, target, reduction, 0.0, weight, weighted_mean=True)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` for ``|d| < beta`` else ``|d| - beta / 2`` (plain L1 when beta == 0)."""
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    return _regression("smooth_l1", input, target, reduction, beta, None, weighted_mean=False)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """``0.5 d^2`` for ``|d| < delta`` else ``delta (|d| - delta / 2)``; weighted mean is ``mean(w * l)``."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    return _regression("huber", input, target, reduction, delta, weight, weighted_mean=False)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence with ``input`` as log-probabilities; ``'batchmean'`` divides the sum by ``input.size(0)``."""
    check_reduction(reduction, _REDUCTIONS + ("batchmean",))
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=3)
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    loss = KlDiv.apply(input, target, log_target=log_target)
    if reduction == "batchmean":
        total = sum(loss)
        return total / input.shape[0] if input.ndim else total
    return reduce_loss(loss, reduction)
