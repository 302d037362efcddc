"""``ConfusionMatrix`` (``task=``) and its Binary/Multiclass/Multilabel classes; ``plot()`` draws a PNG.

The state ``confmat`` holds int64 counts (rows true class, columns predicted); ``normalize`` applies in
``compute()``.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

import tensorlib as tl

from .. import _host
from ..functional.classification import _inputs
from ..functional.classification.confusion_matrix import (
    binary_confmat,
    check_normalize,
    confusion_matrix_reduce,
    multiclass_confmat,
    multilabel_confmat,
)
from ..metric import Metric
from ..plot import MetricFigure, plot_confusion_matrix
from .stat_scores import _ClassificationTaskWrapper, make_task_metric


class _ConfusionMatrixBase(Metric):
    full_state_update = False
    is_differentiable = False

    def _setup(self, shape: tuple, normalize: Any, ignore_index: Any, validate_args: bool) -> None:
        _inputs.check_ignore_index(ignore_index, type(self).__name__)
        check_normalize(normalize, type(self).__name__)
        self.normalize = normalize
        self.ignore_index = ignore_index
        self.validate_args = validate_args
        self.add_state("confmat", tl.zeros(shape, dtype=tl.int64), dist_reduce_fx="sum")

    def _add(self, counts: np.ndarray) -> None:
        self.confmat = self.confmat + _host.to_tensor(counts, np.int64)

    def compute(self) -> tl.Tensor:
        return confusion_matrix_reduce(_host.to_array(self.confmat), self.normalize)

    def plot(self, val: tl.Tensor | None = None, ax: Any = None, add_text: bool = True,
             labels: Sequence[str] | None = None, cmap: Any = None,
             path: str | os.PathLike | None = None) -> tuple[MetricFigure, None]:
        """Draw ``val`` (default: ``compute()``) with class ``labels``; write a PNG to ``path`` if given.

        Returns ``(figure, None)`` in place of matplotlib's ``(fig, ax)``: ``figure.savefig("cm.png")`` works,
        ``figure.image`` is the PIL image. ``ax`` and ``cmap`` (matplotlib objects) are not supported.
        """
        if ax is not None or cmap is not None:
            raise ValueError(f"{type(self).__name__}.plot draws with Pillow: `ax` and `cmap` (matplotlib) are not "
                             "supported; use figure.savefig(path) or path=")
        value = self.compute() if val is None else val
        return plot_confusion_matrix(value, labels, path, add_text, title=type(self).__name__), None


class BinaryConfusionMatrix(_ConfusionMatrixBase):
    """``(2, 2)`` counts ``[[tn, fp], [fn, tp]]``."""

    def __init__(self, threshold: float = 0.5, ignore_index: int | None = None, normalize: str | None = None,
                 validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _inputs.check_threshold(threshold, type(self).__name__)
        self.threshold = threshold
        self._setup((2, 2), normalize, ignore_index, validate_args)

    def update(self, preds, target) -> None:
        self._add(binary_confmat(preds, target, self.threshold, self.ignore_index, type(self).__name__,
                                    self.validate_args))


class MulticlassConfusionMatrix(_ConfusionMatrixBase):
    """``(C, C)`` counts: entry ``[i, j]`` is the number of samples of class ``i`` predicted as ``j``."""

    def __init__(self, num_classes: int, ignore_index: int | None = None, normalize: str | None = None,
                 validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _inputs.check_num_classes(num_classes, type(self).__name__)
        self.num_classes = num_classes
        self._setup((num_classes, num_classes), normalize, ignore_index, validate_args)

    def update(self, preds, target) -> None:
        self._add(multiclass_confmat(preds, target, self.num_classes, self.ignore_index, type(self).__name__,
                                        self.validate_args))


class MultilabelConfusionMatrix(_ConfusionMatrixBase):
    """``(L, 2, 2)``: one binary confusion matrix per label."""

    def __init__(self, num_labels: int, threshold: float = 0.5, ignore_index: int | None = None,
                 normalize: str | None = None, validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _inputs.check_num_classes(num_labels, type(self).__name__, "num_labels")
        _inputs.check_threshold(threshold, type(self).__name__)
        self.num_labels = num_labels
        self.threshold = threshold
        self._setup((num_labels, 2, 2), normalize, ignore_index, validate_args)

    def update(self, preds, target) -> None:
        self._add(multilabel_confmat(preds, target, self.num_labels, self.threshold, self.ignore_index,
                                        type(self).__name__, self.validate_args))


class ConfusionMatrix(_ClassificationTaskWrapper):
    def __new__(cls, task: str, threshold: float = 0.5, num_classes: int | None = None,
                num_labels: int | None = None, normalize: str | None = None, ignore_index: int | None = None,
                validate_args: bool = True, **kwargs: Any) -> Metric:
        kwargs.update(normalize=normalize, ignore_index=ignore_index, validate_args=validate_args)
        return make_task_metric("ConfusionMatrix", task, {
            "binary": lambda: BinaryConfusionMatrix(threshold, **kwargs),
            "multiclass": lambda: MulticlassConfusionMatrix(num_classes, **kwargs),
            "multilabel": lambda: MultilabelConfusionMatrix(num_labels, threshold, **kwargs),
        }, num_classes, num_labels)
