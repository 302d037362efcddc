"""``AUROC`` and ``AveragePrecision`` (``task=``) and their Binary/Multiclass/Multilabel classes.

With ``thresholds=None`` (exact) the states ``preds``/``target`` keep every score (``cat`` states, gathered across
ranks); with ``thresholds`` (an int, list or tensor) the state ``confmat`` keeps ``(T, [C,] 2, 2)`` counts.
``compute()`` before ``update()`` warns and, for the exact form, raises ``ValueError("No samples to
concatenate")``, as torchmetrics does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorlib as tl

from .. import _host, _sync
from ..functional.classification import _ranking
from ..metric import Metric
from .stat_scores import _ClassificationTaskWrapper, make_task_metric


class _RankingMetric(Metric):
    full_state_update = False
    is_differentiable = False
    higher_is_better = True
    _kind = "auroc"

    def _setup(self, task: str, thresholds: Any, average: Any, ignore_index: Any, validate_args: bool,
               size: int | None = None, max_fpr: Any = None) -> None:
        thr = _ranking.check_args(task, thresholds, average, ignore_index, type(self).__name__, size, max_fpr)
        self.thresholds = None if thr is None else _host.to_tensor(thr)
        self._thresholds = thr
        self.average = average
        self.ignore_index = ignore_index
        self.validate_args = validate_args
        if thr is None:
            self.add_state("preds", [], dist_reduce_fx="cat")
            self.add_state("target", [], dist_reduce_fx="cat")
        else:
            shape = (len(thr), 2, 2) if size is None else (len(thr), size, 2, 2)
            self.add_state("confmat", tl.zeros(shape, dtype=tl.int64), dist_reduce_fx="sum")

    def _add(self, state) -> None:
        if self._thresholds is None:
            scores, labels = state
            self.preds.append(_host.to_tensor(scores))
            self.target.append(_host.to_tensor(labels, np.int64))
        else:
            self.confmat = self.confmat + _host.to_tensor(state, np.int64)

    def _state(self):
        if self._thresholds is None:
            return _host.to_array(_sync.dim_zero_cat(self.preds)), _host.to_array(_sync.dim_zero_cat(self.target))
        return _host.to_array(self.confmat)


class BinaryAUROC(_RankingMetric):
    def __init__(self, max_fpr: float | None = None, thresholds: Any = None, ignore_index: int | None = None,
                 validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_fpr = max_fpr
        self._setup("binary", thresholds, None, ignore_index, validate_args, max_fpr=max_fpr)

    def update(self, preds, target) -> None:
        self._add(_ranking.binary_update(preds, target, self._thresholds, self.ignore_index, type(self).__name__,
                                         self.validate_args))

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(_ranking.binary_compute(self._kind, self._state(), self._thresholds,
                                                       getattr(self, "max_fpr", None)))


class MulticlassAUROC(_RankingMetric):
    def __init__(self, num_classes: int, average: str | None = "macro", thresholds: Any = None,
                 ignore_index: int | None = None, validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self._setup("multiclass", thresholds, average, ignore_index, validate_args, num_classes)

    def update(self, preds, target) -> None:
        self._add(_ranking.multiclass_update(preds, target, self.num_classes, self._thresholds, self.ignore_index,
                                             type(self).__name__, self.validate_args))

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(_ranking.multiclass_compute(self._kind, self._state(), self.num_classes,
                                                           self.average, self._thresholds))


class MultilabelAUROC(_RankingMetric):
    def __init__(self, num_labels: int, average: str | None = "macro", thresholds: Any = None,
                 ignore_index: int | None = None, validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_labels = num_labels
        self._setup("multilabel", thresholds, average, ignore_index, validate_args, num_labels)

    def update(self, preds, target) -> None:
        self._add(_ranking.multilabel_update(preds, target, self.num_labels, self._thresholds, self.ignore_index,
                                             type(self).__name__, self.validate_args))

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(_ranking.multilabel_compute(self._kind, self._state(), self.num_labels,
                                                           self.average, self._thresholds))


class BinaryAveragePrecision(BinaryAUROC):
    _kind = "ap"

    def __init__(self, thresholds: Any = None, ignore_index: int | None = None, validate_args: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(None, thresholds, ignore_index, validate_args, **kwargs)


class MulticlassAveragePrecision(MulticlassAUROC):
    _kind = "ap"


class MultilabelAveragePrecision(MultilabelAUROC):
    _kind = "ap"


class AUROC(_ClassificationTaskWrapper):
    def __new__(cls, task: str, thresholds: Any = None, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "macro", max_fpr: float | None = None,
                ignore_index: int | None = None, validate_args: bool = True, **kwargs: Any) -> Metric:
        kwargs.update(thresholds=thresholds, ignore_index=ignore_index, validate_args=validate_args)
        return make_task_metric("AUROC", task, {
            "binary": lambda: BinaryAUROC(max_fpr, **kwargs),
            "multiclass": lambda: MulticlassAUROC(num_classes, average, **kwargs),
            "multilabel": lambda: MultilabelAUROC(num_labels, average, **kwargs),
        }, num_classes, num_labels)


class AveragePrecision(_ClassificationTaskWrapper):
    def __new__(cls, task: str, thresholds: Any = None, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "macro", ignore_index: int | None = None,
                validate_args: bool = True, **kwargs: Any) -> Metric:
        kwargs.update(thresholds=thresholds, ignore_index=ignore_index, validate_args=validate_args)
        return make_task_metric("AveragePrecision", task, {
            "binary": lambda: BinaryAveragePrecision(**kwargs),
            "multiclass": lambda: MulticlassAveragePrecision(num_classes, average, **kwargs),
            "multilabel": lambda: MultilabelAveragePrecision(num_labels, average, **kwargs),
        }, num_classes, num_labels)
