"""Expected (``l1``), RMS (``l2``) and maximum (``max``) calibration error over ``n_bins`` equal-width confidence
bins: ``binary_calibration_error``, ``multiclass_calibration_error`` and ``calibration_error(task=)``."""

from __future__ import annotations

import numpy as np

import tensorlib as tl

from ... import _host
from . import _inputs
from . import stat_scores as ss


def check_args(n_bins, norm, ignore_index, name: str) -> None:
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"{name}: expected argument `n_bins` to be an integer larger than 0, but got {n_bins!r}")
    if norm not in ("l1", "l2", "max"):
        raise ValueError(f"{name}: expected argument `norm` to be one of ('l1', 'l2', 'max'), but got {norm!r}")
    _inputs.check_ignore_index(ignore_index, name)


def binary_update(preds, target, ignore_index, name: str, validate: bool = True):
    """``(confidences, accuracies)``: the positive-class probability and the 0/1 target."""
    scores, labels = _inputs.binary_scores(preds, target, ignore_index, name, validate)
    return scores.astype(np.float64), labels.astype(np.float64)


def multiclass_update(preds, target, num_classes: int, ignore_index, name: str, validate: bool = True):
    """``(confidences, accuracies)``: the top class probability and whether the top class is right."""
    scores, labels = _inputs.multiclass_scores(preds, target, num_classes, ignore_index, name, validate)
    return scores.max(axis=1).astype(np.float64), (scores.argmax(axis=1) == labels).astype(np.float64)


def ce_compute(confidences: np.ndarray, accuracies: np.ndarray, n_bins: int, norm: str = "l1") -> np.ndarray:
    """Calibration error with torchmetrics' binning (bin ``i`` holds ``[i/n, (i+1)/n)``; 1.0 has its own bin)."""
    boundaries = np.linspace(0, 1, n_bins + 1)
    index = np.searchsorted(boundaries, confidences, side="right") - 1
    count = np.bincount(index, minlength=n_bins + 1).astype(np.float64)
    conf_bin = _host.safe_divide(np.bincount(index, confidences, minlength=n_bins + 1), count)
    acc_bin = _host.safe_divide(np.bincount(index, accuracies, minlength=n_bins + 1), count)
    prop_bin = _host.safe_divide(count, count.sum())
    if norm == "l1":
        return np.sum(np.abs(acc_bin - conf_bin) * prop_bin)
    if norm == "max":
        return np.max(np.abs(acc_bin - conf_bin))
    ce = np.sum((acc_bin - conf_bin) ** 2 * prop_bin)
    return np.sqrt(ce) if ce > 0 else np.float64(0.0)


def binary_calibration_error(preds, target, n_bins: int = 15, norm: str = "l1", ignore_index: int | None = None,
                             validate_args: bool = True) -> tl.Tensor:
    name = "binary_calibration_error"
    if validate_args:
        check_args(n_bins, norm, ignore_index, name)
    confidences, accuracies = binary_update(preds, target, ignore_index, name, validate_args)
    return _host.to_tensor(ce_compute(confidences, accuracies, n_bins, norm))


def multiclass_calibration_error(preds, target, num_classes: int, n_bins: int = 15, norm: str = "l1",
                                 ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "multiclass_calibration_error"
    if validate_args:
        _inputs.check_num_classes(num_classes, name)
        check_args(n_bins, norm, ignore_index, name)
    confidences, accuracies = multiclass_update(preds, target, num_classes, ignore_index, name, validate_args)
    return _host.to_tensor(ce_compute(confidences, accuracies, n_bins, norm))


def calibration_error(preds, target, task: str, n_bins: int = 15, norm: str = "l1", num_classes: int | None = None,
                      ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    task = ss.task_of(task, "calibration_error", ("binary", "multiclass"))
    if task == "binary":
        return binary_calibration_error(preds, target, n_bins, norm, ignore_index, validate_args)
    ss.require_int(num_classes, "num_classes", task, "calibration_error")
    return multiclass_calibration_error(preds, target, num_classes, n_bins, norm, ignore_index, validate_args)
