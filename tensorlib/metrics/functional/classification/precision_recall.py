"""Precision and recall for the binary, multiclass and multilabel tasks, and ``precision``/``recall(task=)``."""

from __future__ import annotations

import numpy as np

import tensorlib as tl

from ... import _host
from . import stat_scores as ss


def precision_recall_reduce(stat: str, stats: np.ndarray, average: str | None, multilabel: bool = False,
                            top_k: int = 1, zero_division: float = 0) -> np.ndarray:
    """``tp / (tp + fp)`` (precision) or ``tp / (tp + fn)`` (recall), averaged as torchmetrics does."""
    tp, fp, _, fn = stats
    other = fp if stat == "precision" else fn
    if average == "binary":
        return _host.safe_divide(tp, tp + other, zero_division)
    if average == "micro":
        return _host.safe_divide(tp.sum(), (tp + other).sum(), zero_division)
    score = _host.safe_divide(tp, tp + other, zero_division)
    return ss.adjust_weights_divide(score, average, multilabel, tp, fp, fn, top_k)


def _binary(stat, preds, target, threshold, multidim_average, ignore_index, validate_args, zero_division):
    name = f"binary_{stat}"
    if validate_args:
        ss.check_binary_args(threshold, multidim_average, ignore_index, name)
    stats = ss.binary_batch_stats(preds, target, threshold, ignore_index, name, validate_args)
    return _host.to_tensor(precision_recall_reduce(stat, stats, "binary", zero_division=zero_division))


def _multiclass(stat, preds, target, num_classes, average, top_k, multidim_average, ignore_index, validate_args,
                zero_division):
    name = f"multiclass_{stat}"
    if validate_args:
        ss.check_multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, name)
    stats = ss.multiclass_batch_stats(preds, target, num_classes, top_k, ignore_index, name, validate_args)
    return _host.to_tensor(precision_recall_reduce(stat, stats, average, top_k=top_k, zero_division=zero_division))


def _multilabel(stat, preds, target, num_labels, threshold, average, multidim_average, ignore_index, validate_args,
                zero_division):
    name = f"multilabel_{stat}"
    if validate_args:
        ss.check_multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, name)
    stats = ss.multilabel_batch_stats(preds, target, num_labels, threshold, ignore_index, name, validate_args)
    return _host.to_tensor(precision_recall_reduce(stat, stats, average, multilabel=True,
                                                   zero_division=zero_division))


def binary_precision(preds, target, threshold: float = 0.5, multidim_average: str = "global",
                     ignore_index: int | None = None, validate_args: bool = True,
                     zero_division: float = 0) -> tl.Tensor:
    return _binary("precision", preds, target, threshold, multidim_average, ignore_index, validate_args,
                   zero_division)


def binary_recall(preds, target, threshold: float = 0.5, multidim_average: str = "global",
                  ignore_index: int | None = None, validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    return _binary("recall", preds, target, threshold, multidim_average, ignore_index, validate_args, zero_division)


def multiclass_precision(preds, target, num_classes: int, average: str | None = "macro", top_k: int = 1,
                         multidim_average: str = "global", ignore_index: int | None = None,
                         validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    return _multiclass("precision", preds, target, num_classes, average, top_k, multidim_average, ignore_index,
                       validate_args, zero_division)


def multiclass_recall(preds, target, num_classes: int, average: str | None = "macro", top_k: int = 1,
                      multidim_average: str = "global", ignore_index: int | None = None,
                      validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    return _multiclass("recall", preds, target, num_classes, average, top_k, multidim_average, ignore_index,
                       validate_args, zero_division)


def multilabel_precision(preds, target, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                         multidim_average: str = "global", ignore_index: int | None = None,
                         validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    return _multilabel("precision", preds, target, num_labels, threshold, average, multidim_average, ignore_index,
                       validate_args, zero_division)


def multilabel_recall(preds, target, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                      multidim_average: str = "global", ignore_index: int | None = None,
                      validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    return _multilabel("recall", preds, target, num_labels, threshold, average, multidim_average, ignore_index,
                       validate_args, zero_division)


def _dispatch(stat, preds, target, task, threshold, num_classes, num_labels, average, multidim_average, top_k,
              ignore_index, validate_args, zero_division):
    task = ss.task_of(task, stat)
    if task == "binary":
        return _binary(stat, preds, target, threshold, multidim_average, ignore_index, validate_args, zero_division)
    if task == "multiclass":
        ss.require_int(num_classes, "num_classes", task, stat)
        ss.require_int(top_k, "top_k", task, stat)
        return _multiclass(stat, preds, target, num_classes, average, top_k, multidim_average, ignore_index,
                           validate_args, zero_division)
    ss.require_int(num_labels, "num_labels", task, stat)
    return _multilabel(stat, preds, target, num_labels, threshold, average, multidim_average, ignore_index,
                       validate_args, zero_division)


def precision(preds, target, task: str, threshold: float = 0.5, num_classes: int | None = None,
              num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
              top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
              zero_division: float = 0) -> tl.Tensor:
    return _dispatch("precision", preds, target, task, threshold, num_classes, num_labels, average, multidim_average,
                     top_k, ignore_index, validate_args, zero_division)


def recall(preds, target, task: str, threshold: float = 0.5, num_classes: int | None = None,
           num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
           top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
           zero_division: float = 0) -> tl.Tensor:
    return _dispatch("recall", preds, target, task, threshold, num_classes, num_labels, average, multidim_average,
                     top_k, ignore_index, validate_args, zero_division)
