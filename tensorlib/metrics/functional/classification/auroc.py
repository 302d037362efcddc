"""Area under the ROC curve: ``binary_auroc`` (``max_fpr``), ``multiclass_auroc`` (one-vs-rest),
``multilabel_auroc`` and ``auroc(task=)``. ``thresholds=None`` is exact; an int/list/tensor bins the scores."""

from __future__ import annotations

import tensorlib as tl

from ... import _host
from . import _ranking
from . import stat_scores as ss


def binary_auroc(preds, target, max_fpr: float | None = None, thresholds=None, ignore_index: int | None = None,
                 validate_args: bool = True) -> tl.Tensor:
    name = "binary_auroc"
    thr = _ranking.check_args("binary", thresholds, None, ignore_index, name, max_fpr=max_fpr)
    state = _ranking.binary_update(preds, target, thr, ignore_index, name, validate_args)
    return _host.to_tensor(_ranking.binary_compute("auroc", state, thr, max_fpr))


def multiclass_auroc(preds, target, num_classes: int, average: str | None = "macro", thresholds=None,
                     ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "multiclass_auroc"
    thr = _ranking.check_args("multiclass", thresholds, average, ignore_index, name, num_classes)
    state = _ranking.multiclass_update(preds, target, num_classes, thr, ignore_index, name, validate_args)
    return _host.to_tensor(_ranking.multiclass_compute("auroc", state, num_classes, average, thr))


def multilabel_auroc(preds, target, num_labels: int, average: str | None = "macro", thresholds=None,
                     ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "multilabel_auroc"
    thr = _ranking.check_args("multilabel", thresholds, average, ignore_index, name, num_labels)
    state = _ranking.multilabel_update(preds, target, num_labels, thr, ignore_index, name, validate_args)
    return _host.to_tensor(_ranking.multilabel_compute("auroc", state, num_labels, average, thr))


def auroc(preds, target, task: str, thresholds=None, num_classes: int | None = None, num_labels: int | None = None,
          average: str | None = "macro", max_fpr: float | None = None, ignore_index: int | None = None,
          validate_args: bool = True) -> tl.Tensor:
    task = ss.task_of(task, "auroc")
    if task == "binary":
        return binary_auroc(preds, target, max_fpr, thresholds, ignore_index, validate_args)
    if task == "multiclass":
        ss.require_int(num_classes, "num_classes", task, "auroc")
        return multiclass_auroc(preds, target, num_classes, average, thresholds, ignore_index, validate_args)
    ss.require_int(num_labels, "num_labels", task, "auroc")
    return multilabel_auroc(preds, target, num_labels, average, thresholds, ignore_index, validate_args)
