"""Stateful tp/fp/tn/fn counting shared by accuracy, precision, recall and F-scores, and the ``task=`` wrappers.

States ``tp``, ``fp``, ``tn``, ``fn`` are int64 tensors (scalars for binary, ``(C,)`` per class/label), summed
across batches and ranks.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import tensorlib as tl

from .. import _host
from ..functional.classification import stat_scores as ss
from ..metric import Metric


class _AbstractStatScores(Metric):
    full_state_update = False
    is_differentiable = False

    def _create_state(self, size: int | None) -> None:
        shape = () if size is None else (size,)
        for name in ("tp", "fp", "tn", "fn"):
            self.add_state(name, tl.zeros(shape, dtype=tl.int64), dist_reduce_fx="sum")

    def _update_state(self, stats: np.ndarray) -> None:
        self.tp = self.tp + _host.to_tensor(stats[0], np.int64)
        self.fp = self.fp + _host.to_tensor(stats[1], np.int64)
        self.tn = self.tn + _host.to_tensor(stats[2], np.int64)
        self.fn = self.fn + _host.to_tensor(stats[3], np.int64)

    def _final_state(self) -> np.ndarray:
        """``(4, ...)`` int64 array of the accumulated tp, fp, tn, fn."""
        return np.stack([_host.to_array(state) for state in (self.tp, self.fp, self.tn, self.fn)])


class BinaryStatScores(_AbstractStatScores):
    """``[tp, fp, tn, fn, support]`` for 0/1 targets; ``preds`` are probabilities, logits or 0/1 labels."""

    def __init__(self, threshold: float = 0.5, multidim_average: str = "global", ignore_index: int | None = None,
                 validate_args: bool = True, **kwargs: Any) -> None:
        self.zero_division = kwargs.pop("zero_division", 0)
        super().__init__(**kwargs)
        if validate_args:
            ss.check_binary_args(threshold, multidim_average, ignore_index, type(self).__name__)
        self.threshold = threshold
        self.multidim_average = multidim_average
        self.ignore_index = ignore_index
        self.validate_args = validate_args
        self._create_state(None)

    def update(self, preds, target) -> None:
        self._update_state(ss.binary_batch_stats(preds, target, self.threshold, self.ignore_index,
                                                 type(self).__name__, self.validate_args))

    def compute(self) -> tl.Tensor:
        return ss.stat_scores_result(self._final_state(), None)


class MulticlassStatScores(_AbstractStatScores):
    """Per-class counts for class-index targets; ``preds`` are ``(N, C, ...)`` scores or ``(N, ...)`` labels."""

    def __init__(self, num_classes: int | None = None, top_k: int = 1, average: str | None = "macro",
                 multidim_average: str = "global", ignore_index: int | None = None, validate_args: bool = True,
                 **kwargs: Any) -> None:
        self.zero_division = kwargs.pop("zero_division", 0)
        super().__init__(**kwargs)
        ss.check_multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, type(self).__name__)
        self.num_classes = num_classes
        self.top_k = top_k
        self.average = average
        self.multidim_average = multidim_average
        self.ignore_index = ignore_index
        self.validate_args = validate_args
        self._create_state(num_classes)

    def update(self, preds, target) -> None:
        self._update_state(ss.multiclass_batch_stats(preds, target, self.num_classes, self.top_k, self.ignore_index,
                                                     type(self).__name__, self.validate_args))

    def compute(self) -> tl.Tensor:
        return ss.stat_scores_result(self._final_state(), self.average)


class MultilabelStatScores(_AbstractStatScores):
    """Per-label counts for ``(N, L, ...)`` 0/1 targets."""

    def __init__(self, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                 multidim_average: str = "global", ignore_index: int | None = None, validate_args: bool = True,
                 **kwargs: Any) -> None:
        self.zero_division = kwargs.pop("zero_division", 0)
        super().__init__(**kwargs)
        ss.check_multilabel_args(num_labels, threshold, average, multidim_average, ignore_index,
                                 type(self).__name__)
        self.num_labels = num_labels
        self.threshold = threshold
        self.average = average
        self.multidim_average = multidim_average
        self.ignore_index = ignore_index
        self.validate_args = validate_args
        self._create_state(num_labels)

    def update(self, preds, target) -> None:
        self._update_state(ss.multilabel_batch_stats(preds, target, self.num_labels, self.threshold,
                                                     self.ignore_index, type(self).__name__, self.validate_args))

    def compute(self) -> tl.Tensor:
        return ss.stat_scores_result(self._final_state(), self.average)


class _ClassificationTaskWrapper(Metric):
    """Base of the ``task=`` classes: ``__new__`` returns the Binary*/Multiclass*/Multilabel* metric."""

    def update(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} metric does not have a global `update` method. Use the "
                                  "task specific metric.")

    def compute(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} metric does not have a global `compute` method. Use the "
                                  "task specific metric.")


def make_task_metric(wrapper: str, task: Any, builders: dict[str, Callable[[], Metric]], num_classes: Any = None,
                     num_labels: Any = None, top_k: Any = 1) -> Metric:
    """Build ``builders[task]()``; ``num_classes``/``num_labels`` (and ``top_k``) must be ints for their tasks."""
    task = ss.task_of(task, wrapper, tuple(builders))
    if task == "multiclass":
        ss.require_int(num_classes, "num_classes", task, wrapper)
        ss.require_int(top_k, "top_k", task, wrapper)
    if task == "multilabel":
        ss.require_int(num_labels, "num_labels", task, wrapper)
    return builders[task]()


class StatScores(_ClassificationTaskWrapper):
    def __new__(cls, task: str, threshold: float = 0.5, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
                top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
                **kwargs: Any) -> Metric:
        kwargs.update(multidim_average=multidim_average, ignore_index=ignore_index, validate_args=validate_args)
        return make_task_metric("StatScores", task, {
            "binary": lambda: BinaryStatScores(threshold, **kwargs),
            "multiclass": lambda: MulticlassStatScores(num_classes, top_k, average, **kwargs),
            "multilabel": lambda: MultilabelStatScores(num_labels, threshold, average, **kwargs),
        }, num_classes, num_labels, top_k)
