"""``Precision`` and ``Recall`` (``task=``) and their Binary/Multiclass/Multilabel classes."""

from __future__ import annotations

from typing import Any

import tensorlib as tl

from .. import _host
from ..functional.classification.precision_recall import precision_recall_reduce
from ..metric import Metric
from .stat_scores import (
    BinaryStatScores,
    MulticlassStatScores,
    MultilabelStatScores,
    _ClassificationTaskWrapper,
    make_task_metric,
)


class BinaryPrecision(BinaryStatScores):
    higher_is_better = True
    _stat = "precision"

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(precision_recall_reduce(self._stat, self._final_state(), "binary",
                                                       zero_division=self.zero_division))


class MulticlassPrecision(MulticlassStatScores):
    higher_is_better = True
    _stat = "precision"

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(precision_recall_reduce(self._stat, self._final_state(), self.average,
                                                       top_k=self.top_k, zero_division=self.zero_division))


class MultilabelPrecision(MultilabelStatScores):
    higher_is_better = True
    _stat = "precision"

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(precision_recall_reduce(self._stat, self._final_state(), self.average,
                                                       multilabel=True, zero_division=self.zero_division))


class BinaryRecall(BinaryPrecision):
    _stat = "recall"


class MulticlassRecall(MulticlassPrecision):
    _stat = "recall"


class MultilabelRecall(MultilabelPrecision):
    _stat = "recall"


def _make(wrapper, task, classes, threshold, num_classes, num_labels, average, multidim_average, top_k,
          ignore_index, validate_args, kwargs) -> Metric:
    kwargs.update(multidim_average=multidim_average, ignore_index=ignore_index, validate_args=validate_args)
    binary, multiclass, multilabel = classes
    return make_task_metric(wrapper, task, {
        "binary": lambda: binary(threshold, **kwargs),
        "multiclass": lambda: multiclass(num_classes, top_k, average, **kwargs),
        "multilabel": lambda: multilabel(num_labels, threshold, average, **kwargs),
    }, num_classes, num_labels, top_k)


class Precision(_ClassificationTaskWrapper):
    def __new__(cls, task: str, threshold: float = 0.5, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
                top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
                **kwargs: Any) -> Metric:
        return _make("Precision", task, (BinaryPrecision, MulticlassPrecision, MultilabelPrecision), threshold,
                     num_classes, num_labels, average, multidim_average, top_k, ignore_index, validate_args, kwargs)


class Recall(_ClassificationTaskWrapper):
    def __new__(cls, task: str, threshold: float = 0.5, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
                top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
                **kwargs: Any) -> Metric:
        return _make("Recall", task, (BinaryRecall, MulticlassRecall, MultilabelRecall), threshold, num_classes,
                     num_labels, average, multidim_average, top_k, ignore_index, validate_args, kwargs)
