"""True/false positives/negatives per class, and the averaging rules shared by accuracy, precision, recall and F.

Counts come from one ``np.bincount`` over ``target * C + pred`` (the confusion matrix), never a loop over samples.
Averaging follows torchmetrics: ``micro`` sums the counts first; ``macro`` averages per-class scores, leaving out
classes that never occur in target or prediction (multiclass, ``top_k=1``; with ``top_k > 1`` those absent from
the target); ``weighted`` weights per-class scores by support (``tp + fn``); ``"none"``/``None`` returns them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorlib as tl

from ... import _host
from . import _inputs


def confusion_counts(pred: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts, rows true class, columns predicted class."""
    cells = np.bincount(target * num_classes + pred, minlength=num_classes * num_classes)
    return cells.reshape(num_classes, num_classes)


def confmat_stats(confmat: np.ndarray) -> np.ndarray:
    """``(4, C)``: tp, fp, tn, fn per class from a ``(C, C)`` confusion matrix."""
    tp = np.diag(confmat)
    fp = confmat.sum(0) - tp
    fn = confmat.sum(1) - tp
    tn = confmat.sum() - (tp + fp + fn)
    return np.stack([tp, fp, tn, fn]).astype(np.int64)


def binary_stats(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(4,)``: tp, fp, tn, fn."""
    return confmat_stats(confusion_counts(pred.astype(np.int64), target, 2))[:, 1]


def multilabel_stats(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(4, L)`` from ``(M, L)`` boolean predictions and 0/1/-1 targets (-1: ignored)."""
    positive, negative = target == 1, target == 0
    return np.stack([(pred & positive).sum(0), (pred & negative).sum(0), (~pred & negative).sum(0),
                     (~pred & positive).sum(0)]).astype(np.int64)


def binary_batch_stats(preds: Any, target: Any, threshold: float, ignore_index: int | None, name: str,
                       validate: bool = True) -> np.ndarray:
    return binary_stats(*_inputs.binary_labels(preds, target, threshold, ignore_index, name, validate))


def multiclass_batch_stats(preds: Any, target: Any, num_classes: int, top_k: int, ignore_index: int | None,
                           name: str, validate: bool = True) -> np.ndarray:
    pred, true = _inputs.multiclass_labels(preds, target, num_classes, top_k, ignore_index, name, validate)
    return confmat_stats(confusion_counts(pred, true, num_classes))


def multilabel_batch_stats(preds: Any, target: Any, num_labels: int, threshold: float, ignore_index: int | None,
                           name: str, validate: bool = True) -> np.ndarray:
    return multilabel_stats(*_inputs.multilabel_labels(preds, target, num_labels, threshold, ignore_index, name,
                                                       validate))


def adjust_weights_divide(score: np.ndarray, average: str | None, multilabel: bool, tp: np.ndarray, fp: np.ndarray,
                          fn: np.ndarray, top_k: int = 1) -> np.ndarray:
    """Reduce per-class ``score`` by ``average`` (torchmetrics' ``_adjust_weights_safe_divide``)."""
    if average is None or average == "none":
        return score
    if average == "weighted":
        weights = (tp + fn).astype(np.float64)
    else:
        weights = np.ones_like(score, dtype=np.float64)
        if not multilabel:
            weights[(tp + fp + fn == 0) if top_k == 1 else (tp + fn == 0)] = 0.0
    return (_host.safe_divide(weights * score, weights.sum(-1, keepdims=True))).sum(-1)


def stats_tensor(stats: np.ndarray) -> tuple[tl.Tensor, tl.Tensor, tl.Tensor, tl.Tensor]:
    return tuple(_host.to_tensor(row, np.int64) for row in stats)


def stat_scores_result(stats: np.ndarray, average: str | None) -> tl.Tensor:
    """``[tp, fp, tn, fn, support]`` reduced by ``average`` (torchmetrics' stat_scores output)."""
    tp, fp, tn, fn = stats
    res = np.stack([tp, fp, tn, fn, tp + fn], axis=-1)
    if res.ndim == 1 or average is None or average == "none":
        return _host.to_tensor(res, np.int64)
    if average == "micro":
        return _host.to_tensor(res.sum(0), np.int64)
    if average == "macro":
        return _host.to_tensor(res.mean(0))
    weight = (tp + fn).astype(np.float64)
    return _host.to_tensor((res * _host.safe_divide(weight, weight.sum())[:, None]).sum(0))


def binary_stat_scores(preds, target, threshold: float = 0.5, multidim_average: str = "global",
                       ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "binary_stat_scores"
    if validate_args:
        _inputs.check_threshold(threshold, name)
        _inputs.check_multidim_average(multidim_average, name)
    return stat_scores_result(binary_batch_stats(preds, target, threshold, ignore_index, name, validate_args), None)


def multiclass_stat_scores(preds, target, num_classes: int, average: str | None = "macro", top_k: int = 1,
                           multidim_average: str = "global", ignore_index: int | None = None,
                           validate_args: bool = True) -> tl.Tensor:
    name = "multiclass_stat_scores"
    if validate_args:
        check_multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, name)
    stats = multiclass_batch_stats(preds, target, num_classes, top_k, ignore_index, name, validate_args)
    return stat_scores_result(stats, average)


def multilabel_stat_scores(preds, target, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                           multidim_average: str = "global", ignore_index: int | None = None,
                           validate_args: bool = True) -> tl.Tensor:
    name = "multilabel_stat_scores"
    if validate_args:
        check_multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, name)
    stats = multilabel_batch_stats(preds, target, num_labels, threshold, ignore_index, name, validate_args)
    return stat_scores_result(stats, average)


def check_binary_args(threshold, multidim_average, ignore_index, name: str) -> None:
    _inputs.check_threshold(threshold, name)
    _inputs.check_multidim_average(multidim_average, name)
    _inputs.check_ignore_index(ignore_index, name)


def check_multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, name: str) -> None:
    _inputs.check_num_classes(num_classes, name)
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"{name}: expected argument `top_k` to be an integer larger than or equal to 1, but got "
                         f"{top_k!r}")
    if top_k > num_classes:
        raise ValueError(f"{name}: expected argument `top_k` to be smaller or equal to `num_classes` but got "
                         f"{top_k} and {num_classes}")
    _inputs.check_average(average, name)
    _inputs.check_multidim_average(multidim_average, name)
    _inputs.check_ignore_index(ignore_index, name)


def check_multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, name: str) -> None:
    _inputs.check_num_classes(num_labels, name, "num_labels")
    _inputs.check_threshold(threshold, name)
    _inputs.check_average(average, name)
    _inputs.check_multidim_average(multidim_average, name)
    _inputs.check_ignore_index(ignore_index, name)


def task_of(task: Any, name: str, allowed: tuple = ("binary", "multiclass", "multilabel")) -> str:
    """The validated ``task=`` string."""
    task = task.replace("-", "_") if isinstance(task, str) else task
    if task not in allowed:
        raise ValueError(f"{name}: invalid Classification: expected one of {list(allowed)}, but got {task!r}.")
    return task


def require_int(value: Any, arg: str, task: str, name: str) -> None:
    """The task wrappers' check that ``num_classes``/``num_labels``/``top_k`` are given for the task."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name}: optional arg `{arg}` must be type `int` when task is {task!r}. Got "
                         f"{type(value).__name__} ({value!r})")
