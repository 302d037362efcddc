"""Confusion matrices: binary ``(2, 2)``, multiclass ``(C, C)``, multilabel ``(L, 2, 2)``; rows are true classes.

``normalize``: None/"none" (counts), "true" (rows sum to 1), "pred" (columns sum to 1), "all" (matrix sums to 1);
cells of an empty row/column become 0 with a warning, as in torchmetrics.
"""

from __future__ import annotations

import numpy as np

import tensorlib as tl

from ... import _host
from . import _inputs
from . import stat_scores as ss

_NORMALIZE = ("true", "pred", "all", "none", None)


def check_normalize(normalize, name: str) -> None:
    if normalize not in _NORMALIZE:
        raise ValueError(f"{name}: argument `normalize` needs to be one of the following: {_NORMALIZE}, got "
                         f"{normalize!r}")


def confusion_matrix_reduce(confmat: np.ndarray, normalize: str | None) -> tl.Tensor:
    """Counts (int64) or normalised float32 values."""
    if normalize is None or normalize == "none":
        return _host.to_tensor(confmat, np.int64)
    confmat = confmat.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            confmat = confmat / confmat.sum(-1, keepdims=True)
        elif normalize == "pred":
            confmat = confmat / confmat.sum(-2, keepdims=True)
        else:
            confmat = confmat / confmat.sum((-2, -1), keepdims=True)
    nans = np.isnan(confmat)
    if nans.any():
        _host.warn(f"{int(nans.sum())} NaN values found in confusion matrix have been replaced with zeros.")
        confmat[nans] = 0.0
    return _host.to_tensor(confmat)


def binary_confmat(preds, target, threshold, ignore_index, name, validate=True) -> np.ndarray:
    pred, true = _inputs.binary_labels(preds, target, threshold, ignore_index, name, validate)
    return ss.confusion_counts(pred.astype(np.int64), true, 2)


def multiclass_confmat(preds, target, num_classes, ignore_index, name, validate=True) -> np.ndarray:
    pred, true = _inputs.multiclass_labels(preds, target, num_classes, 1, ignore_index, name, validate)
    return ss.confusion_counts(pred, true, num_classes)


def multilabel_confmat(preds, target, num_labels, threshold, ignore_index, name, validate=True) -> np.ndarray:
    """``(L, 2, 2)``: per label [[tn, fp], [fn, tp]]."""
    tp, fp, tn, fn = ss.multilabel_stats(*_inputs.multilabel_labels(preds, target, num_labels, threshold,
                                                                    ignore_index, name, validate))
    return np.stack([np.stack([tn, fp], -1), np.stack([fn, tp], -1)], -2)


def binary_confusion_matrix(preds, target, threshold: float = 0.5, normalize: str | None = None,
                            ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "binary_confusion_matrix"
    if validate_args:
        _inputs.check_threshold(threshold, name)
        _inputs.check_ignore_index(ignore_index, name)
        check_normalize(normalize, name)
    return confusion_matrix_reduce(binary_confmat(preds, target, threshold, ignore_index, name, validate_args),
                                   normalize)


def multiclass_confusion_matrix(preds, target, num_classes: int, normalize: str | None = None,
                                ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "multiclass_confusion_matrix"
    if validate_args:
        _inputs.check_num_classes(num_classes, name)
        _inputs.check_ignore_index(ignore_index, name)
        check_normalize(normalize, name)
    return confusion_matrix_reduce(multiclass_confmat(preds, target, num_classes, ignore_index, name,
                                                      validate_args), normalize)


def multilabel_confusion_matrix(preds, target, num_labels: int, threshold: float = 0.5,
                                normalize: str | None = None, ignore_index: int | None = None,
                                validate_args: bool = True) -> tl.Tensor:
    name = "multilabel_confusion_matrix"
    if validate_args:
        _inputs.check_num_classes(num_labels, name, "num_labels")
        _inputs.check_threshold(threshold, name)
        _inputs.check_ignore_index(ignore_index, name)
        check_normalize(normalize, name)
    return confusion_matrix_reduce(multilabel_confmat(preds, target, num_labels, threshold, ignore_index, name,
                                                      validate_args), normalize)


def confusion_matrix(preds, target, task: str, threshold: float = 0.5, num_classes: int | None = None,
                     num_labels: int | None = None, normalize: str | None = None, ignore_index: int | None = None,
                     validate_args: bool = True) -> tl.Tensor:
    task = ss.task_of(task, "confusion_matrix")
    if task == "binary":
        return binary_confusion_matrix(preds, target, threshold, normalize, ignore_index, validate_args)
    if task == "multiclass":
        ss.require_int(num_classes, "num_classes", task, "confusion_matrix")
        return multiclass_confusion_matrix(preds, target, num_classes, normalize, ignore_index, validate_args)
    ss.require_int(num_labels, "num_labels", task, "confusion_matrix")
    return multilabel_confusion_matrix(preds, target, num_labels, threshold, normalize, ignore_index, validate_args)
