"""Accuracy: ``binary_accuracy``, ``multiclass_accuracy`` (top_k), ``multilabel_accuracy`` and ``accuracy(task=)``."""

from __future__ import annotations

import numpy as np

import tensorlib as tl

from ... import _host
from . import stat_scores as ss


def accuracy_reduce(stats: np.ndarray, average: str | None, multilabel: bool = False, top_k: int = 1) -> np.ndarray:
    """Accuracy from ``(4,)`` or ``(4, C)`` counts (torchmetrics' ``_accuracy_reduce``)."""
    tp, fp, tn, fn = stats
    if average == "binary":
        return _host.safe_divide(tp + tn, tp + tn + fp + fn)
    if average == "micro":
        if multilabel:
            return _host.safe_divide((tp + tn).sum(), (tp + tn + fp + fn).sum())
        return _host.safe_divide(tp.sum(), (tp + fn).sum())
    score = _host.safe_divide(tp + tn, tp + tn + fp + fn) if multilabel else _host.safe_divide(tp, tp + fn)
    return ss.adjust_weights_divide(score, average, multilabel, tp, fp, fn, top_k)


def binary_accuracy(preds, target, threshold: float = 0.5, multidim_average: str = "global",
                    ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    """Fraction of correct 0/1 predictions (``preds`` probabilities, logits or labels)."""
    name = "binary_accuracy"
    if validate_args:
        ss.check_binary_args(threshold, multidim_average, ignore_index, name)
    stats = ss.binary_batch_stats(preds, target, threshold, ignore_index, name, validate_args)
    return _host.to_tensor(accuracy_reduce(stats, "binary"))


def multiclass_accuracy(preds, target, num_classes: int, average: str | None = "macro", top_k: int = 1,
                        multidim_average: str = "global", ignore_index: int | None = None,
                        validate_args: bool = True) -> tl.Tensor:
    """Per-class recall averaged by ``average`` (``micro`` = overall fraction correct); ``top_k`` hits count."""
    name = "multiclass_accuracy"
    if validate_args:
        ss.check_multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, name)
    stats = ss.multiclass_batch_stats(preds, target, num_classes, top_k, ignore_index, name, validate_args)
    return _host.to_tensor(accuracy_reduce(stats, average, top_k=top_k))


def multilabel_accuracy(preds, target, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                        multidim_average: str = "global", ignore_index: int | None = None,
                        validate_args: bool = True) -> tl.Tensor:
    name = "multilabel_accuracy"
    if validate_args:
        ss.check_multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, name)
    stats = ss.multilabel_batch_stats(preds, target, num_labels, threshold, ignore_index, name, validate_args)
    return _host.to_tensor(accuracy_reduce(stats, average, multilabel=True))


def accuracy(preds, target, task: str, threshold: float = 0.5, num_classes: int | None = None,
             num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
             top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    task = ss.task_of(task, "accuracy")
    if task == "binary":
        return binary_accuracy(preds, target, threshold, multidim_average, ignore_index, validate_args)
    if task == "multiclass":
        ss.require_int(num_classes, "num_classes", task, "accuracy")
        ss.require_int(top_k, "top_k", task, "accuracy")
        return multiclass_accuracy(preds, target, num_classes, average, top_k, multidim_average, ignore_index,
                                   validate_args)
    ss.require_int(num_labels, "num_labels", task, "accuracy")
    return multilabel_accuracy(preds, target, num_labels, threshold, average, multidim_average, ignore_index,
                               validate_args)
