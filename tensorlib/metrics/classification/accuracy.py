"""``Accuracy`` (``task=``), ``BinaryAccuracy``, ``MulticlassAccuracy`` (top_k, average), ``MultilabelAccuracy``.

Before any ``update``, ``compute()`` warns and returns 0 (all counts are zero), as torchmetrics.
"""

from __future__ import annotations

from typing import Any

import tensorlib as tl

from .. import _host
from ..functional.classification.accuracy import accuracy_reduce
from ..metric import Metric
from .stat_scores import (
    BinaryStatScores,
    MulticlassStatScores,
    MultilabelStatScores,
    _ClassificationTaskWrapper,
    make_task_metric,
)


class BinaryAccuracy(BinaryStatScores):
    higher_is_better = True

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(accuracy_reduce(self._final_state(), "binary"))


class MulticlassAccuracy(MulticlassStatScores):
    higher_is_better = True

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(accuracy_reduce(self._final_state(), self.average, top_k=self.top_k))


class MultilabelAccuracy(MultilabelStatScores):
    higher_is_better = True

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(accuracy_reduce(self._final_state(), self.average, multilabel=True))


class Accuracy(_ClassificationTaskWrapper):
    """``Accuracy(task="multiclass", num_classes=10)`` returns a ``MulticlassAccuracy`` (etc.)."""

    def __new__(cls, task: str, threshold: float = 0.5, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
                top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
                **kwargs: Any) -> Metric:
        kwargs.update(multidim_average=multidim_average, ignore_index=ignore_index, validate_args=validate_args)
        return make_task_metric("Accuracy", task, {
            "binary": lambda: BinaryAccuracy(threshold, **kwargs),
            "multiclass": lambda: MulticlassAccuracy(num_classes, top_k, average, **kwargs),
            "multilabel": lambda: MultilabelAccuracy(num_labels, threshold, average, **kwargs),
        }, num_classes, num_labels, top_k)
