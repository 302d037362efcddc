"""Shared update/compute of the threshold-free scores (AUROC, average precision) for every task.

A state is either exact ``(scores, targets)`` arrays or, with ``thresholds``, binned ``(T, C, 2, 2)`` counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _host
from . import _curves, _inputs

_ALLOWED_AVERAGE = {"multiclass": ("macro", "weighted", "none", None),
                    "multilabel": ("micro", "macro", "weighted", "none", None)}


def check_args(task: str, thresholds: Any, average: Any, ignore_index: Any, name: str, num_classes: Any = None,
               max_fpr: Any = None) -> np.ndarray | None:
    if task != "binary":
        _inputs.check_num_classes(num_classes, name, "num_classes" if task == "multiclass" else "num_labels")
        _inputs.check_average(average, name, _ALLOWED_AVERAGE[task])
    if max_fpr is not None and not (isinstance(max_fpr, float) and 0 < max_fpr <= 1):
        raise ValueError(f"{name}: arguments `max_fpr` should be a float in range (0, 1], but got: {max_fpr!r}")
    _inputs.check_ignore_index(ignore_index, name)
    return _curves.thresholds_array(thresholds, name)


def binary_update(preds, target, thresholds: np.ndarray | None, ignore_index, name: str, validate: bool = True):
    scores, labels = _inputs.binary_scores(preds, target, ignore_index, name, validate)
    if thresholds is None:
        return scores, labels
    return _curves.binned_counts(scores[:, None], labels[:, None], thresholds)[:, 0]


def multiclass_update(preds, target, num_classes: int, thresholds: np.ndarray | None, ignore_index, name: str,
                      validate: bool = True):
    scores, labels = _inputs.multiclass_scores(preds, target, num_classes, ignore_index, name, validate)
    if thresholds is None:
        return scores, labels
    one_hot = labels[:, None] == np.arange(num_classes)
    return _curves.binned_counts(scores, one_hot.astype(np.int64), thresholds)


def multilabel_update(preds, target, num_labels: int, thresholds: np.ndarray | None, ignore_index, name: str,
                      validate: bool = True):
    scores, labels = _inputs.multilabel_arrays(preds, target, num_labels, ignore_index, name, validate, scores=True)
    scores = _host.sigmoid_if_logits(scores)
    if thresholds is None:
        return scores, labels
    return _curves.binned_counts(scores, labels, thresholds)


def _binary_score(kind: str, state, binned: bool, max_fpr: float | None = None,
                  all_negative: bool | None = None, per_class: bool = False) -> float:
    if kind == "auroc":
        fpr, tpr = _curves.roc_binned(state) if binned else _curves.roc_exact(*state)
        return _curves.auroc_from_roc(fpr, tpr, max_fpr)
    precision, recall = _curves.pr_binned(state) if binned else _curves.pr_exact(*state, all_negative)
    return _curves.average_precision_from_pr(precision, recall, keep_nan=per_class and not binned)


def binary_compute(kind: str, state, thresholds: np.ndarray | None, max_fpr: float | None = None) -> np.ndarray:
    return np.float64(_binary_score(kind, state, thresholds is not None, max_fpr))


def _label(kind: str) -> str:
    return "AUROC" if kind == "auroc" else "Average precision"


def multiclass_compute(kind: str, state, num_classes: int, average, thresholds: np.ndarray | None) -> np.ndarray:
    """One-vs-rest score per class, reduced by ``average`` (``weighted``: by class support)."""
    if thresholds is None:
        scores, labels = state
        all_zero = bool((labels == 0).all())
        per_class = np.array([_binary_score(kind, (scores[:, c], (labels == c).astype(np.int64)), False,
                                            all_negative=all_zero, per_class=True) for c in range(num_classes)])
        support = np.bincount(labels, minlength=num_classes)
    else:
        per_class = np.array([_binary_score(kind, state[:, c], True) for c in range(num_classes)])
        support = state[0, :, 1, :].sum(-1)
    return _curves.reduce_per_class(per_class, average, support, _label(kind))


def multilabel_compute(kind: str, state, num_labels: int, average, thresholds: np.ndarray | None) -> np.ndarray:
    """Per-label score reduced by ``average``; ``micro`` scores all (sample, label) pairs as one binary task."""
    if thresholds is None:
        scores, labels = state
        if average == "micro":
            keep = labels != -1
            return binary_compute(kind, (scores[keep], labels[keep]), None)
        kept = [labels[:, c] != -1 for c in range(num_labels)]
        per_label = np.array([_binary_score(kind, (scores[kept[c], c], labels[kept[c], c]), False, per_class=True)
                              for c in range(num_labels)])
        support = (labels == 1).sum(0)
    else:
        if average == "micro":
            return binary_compute(kind, state.sum(1), thresholds)
        per_label = np.array([_binary_score(kind, state[:, c], True) for c in range(num_labels)])
        support = state[0, :, 1, :].sum(-1)
    return _curves.reduce_per_class(per_label, average, support, _label(kind))
