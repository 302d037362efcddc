"""The host boundary of tensorlib.metrics: Tensors in and out, NumPy arrays for the counting in between.

Metric states are tensorlib Tensors; the per-batch statistics (bincounts, sorts, cumulative sums) are computed on
the arrays behind them and turned back into Tensors here, so the classification and regression code reads as
array maths without touching the autograd layer.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import tensorlib as tl


def to_array(value: Any) -> np.ndarray:
    """The NumPy array behind a Tensor (detached), array, list or number."""
    if isinstance(value, tl.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def to_tensor(array: Any, dtype: np.dtype | type | None = np.float32) -> tl.Tensor:
    """A Tensor owning a copy of ``array`` (cast to ``dtype`` unless it is None)."""
    array = np.asarray(array) if dtype is None else np.asarray(array, dtype=dtype)
    return tl.from_numpy(np.array(array, copy=True))


def copy_tensor(tensor: tl.Tensor) -> tl.Tensor:
    """A detached copy with the same shape and dtype (``Tensor.clone()`` turns 0-d tensors into shape (1,) in this
    version of the core, so the copy goes through the array)."""
    return tl.from_numpy(tensor.detach().numpy().copy())


def is_floating(array: np.ndarray) -> bool:
    return np.issubdtype(array.dtype, np.floating)


def safe_divide(num: np.ndarray, denom: np.ndarray, zero_division: float = 0.0) -> np.ndarray:
    """``num / denom`` in float64 with ``zero_division`` where ``denom == 0`` (torchmetrics' ``_safe_divide``)."""
    num = np.asarray(num, dtype=np.float64)
    denom = np.asarray(denom, dtype=np.float64)
    zero = denom == 0
    out = num / np.where(zero, 1.0, denom)
    return np.where(zero, zero_division, out)


def sigmoid_if_logits(preds: np.ndarray) -> np.ndarray:
    """Scores outside [0, 1] anywhere in the batch mean logits: apply the sigmoid (as torchmetrics)."""
    if preds.size and (preds.min() < 0 or preds.max() > 1):
        return 0.5 * (1.0 + np.tanh(0.5 * preds.astype(np.float64)))  # overflow-free sigmoid
    return preds


def softmax_if_logits(preds: np.ndarray, axis: int = 1) -> np.ndarray:
    """Scores outside [0, 1] anywhere in the batch mean logits: softmax over the class axis (as torchmetrics)."""
    if preds.size and (preds.min() < 0 or preds.max() > 1):
        shifted = preds.astype(np.float64) - preds.max(axis=axis, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=axis, keepdims=True)
    return preds


def check_same_shape(preds: np.ndarray, target: np.ndarray, name: str) -> None:
    if preds.shape != target.shape:
        raise RuntimeError(f"{name}: predictions and targets are expected to have the same shape, but got "
                           f"preds {tuple(preds.shape)} and target {tuple(target.shape)}")


def warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)
