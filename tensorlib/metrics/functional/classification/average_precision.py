"""Average precision (area under the precision-recall curve as a step sum): ``binary_average_precision``,
``multiclass_average_precision``, ``multilabel_average_precision`` and ``average_precision(task=)``."""

from __future__ import annotations

import tensorlib as tl

from ... import _host
from . import _ranking
from . import stat_scores as ss


def binary_average_precision(preds, target, thresholds=None, ignore_index: int | None = None,
                             validate_args: bool = True) -> tl.Tensor:
    name = "binary_average_precision"
    thr = _ranking.check_args("binary", thresholds, None, ignore_index, name)
    state = _ranking.binary_update(preds, target, thr, ignore_index, name, validate_args)
    return _host.to_tensor(_ranking.binary_compute("ap", state, thr))


def multiclass_average_precision(preds, target, num_classes: int, average: str | None = "macro", thresholds=None,
                                 ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "multiclass_average_precision"
    thr = _ranking.check_args("multiclass", thresholds, average, ignore_index, name, num_classes)
    state = _ranking.multiclass_update(preds, target, num_classes, thr, ignore_index, name, validate_args)
    return _host.to_tensor(_ranking.multiclass_compute("ap", state, num_classes, average, thr))


def multilabel_average_precision(preds, target, num_labels: int, average: str | None = "macro", thresholds=None,
                                 ignore_index: int | None = None, validate_args: bool = True) -> tl.Tensor:
    name = "multilabel_average_precision"
    thr = _ranking.check_args("multilabel", thresholds, average, ignore_index, name, num_labels)
    state = _ranking.multilabel_update(preds, target, num_labels, thr, ignore_index, name, validate_args)
    return _host.to_tensor(_ranking.multilabel_compute("ap", state, num_labels, average, thr))


def average_precision(preds, target, task: str, thresholds=None, num_classes: int | None = None,
                      num_labels: int | None = None, average: str | None = "macro", ignore_index: int | None = None,
                      validate_args: bool = True) -> tl.Tensor:
    task = ss.task_of(task, "average_precision")
    if task == "binary":
        return binary_average_precision(preds, target, thresholds, ignore_index, validate_args)
    if task == "multiclass":
        ss.require_int(num_classes, "num_classes", task, "average_precision")
        return multiclass_average_precision(preds, target, num_classes, average, thresholds, ignore_index,
                                            validate_args)
    ss.require_int(num_labels, "num_labels", task, "average_precision")
    return multilabel_average_precision(preds, target, num_labels, average, thresholds, ignore_index, validate_args)
