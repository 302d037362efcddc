"""``CalibrationError`` (``task=``), ``BinaryCalibrationError`` and ``MulticlassCalibrationError``.

States ``confidences`` and ``accuracies`` keep every sample (``cat``); ``compute()`` bins them into ``n_bins``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorlib as tl

from .. import _host, _sync
from ..functional.classification import _inputs
from ..functional.classification.calibration_error import binary_update, ce_compute, check_args, multiclass_update
from ..metric import Metric
from .stat_scores import _ClassificationTaskWrapper, make_task_metric


class _CalibrationBase(Metric):
    full_state_update = False
    is_differentiable = False
    higher_is_better = False

    def _setup(self, n_bins: int, norm: str, ignore_index: Any, validate_args: bool) -> None:
        check_args(n_bins, norm, ignore_index, type(self).__name__)
        self.n_bins = n_bins
        self.norm = norm
        self.ignore_index = ignore_index
        self.validate_args = validate_args
        self.add_state("confidences", [], dist_reduce_fx="cat")
        self.add_state("accuracies", [], dist_reduce_fx="cat")

    def _add(self, confidences: np.ndarray, accuracies: np.ndarray) -> None:
        self.confidences.append(_host.to_tensor(confidences))
        self.accuracies.append(_host.to_tensor(accuracies))

    def compute(self) -> tl.Tensor:
        confidences = _host.to_array(_sync.dim_zero_cat(self.confidences)).astype(np.float64)
        accuracies = _host.to_array(_sync.dim_zero_cat(self.accuracies)).astype(np.float64)
        return _host.to_tensor(ce_compute(confidences, accuracies, self.n_bins, self.norm))


class BinaryCalibrationError(_CalibrationBase):
    def __init__(self, n_bins: int = 15, norm: str = "l1", ignore_index: int | None = None,
                 validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(n_bins, norm, ignore_index, validate_args)

    def update(self, preds, target) -> None:
        self._add(*binary_update(preds, target, self.ignore_index, type(self).__name__, self.validate_args))


class MulticlassCalibrationError(_CalibrationBase):
    def __init__(self, num_classes: int, n_bins: int = 15, norm: str = "l1", ignore_index: int | None = None,
                 validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _inputs.check_num_classes(num_classes, type(self).__name__)
        self.num_classes = num_classes
        self._setup(n_bins, norm, ignore_index, validate_args)

    def update(self, preds, target) -> None:
        self._add(*multiclass_update(preds, target, self.num_classes, self.ignore_index, type(self).__name__,
                                        self.validate_args))


class CalibrationError(_ClassificationTaskWrapper):
    def __new__(cls, task: str, n_bins: int = 15, norm: str = "l1", num_classes: int | None = None,
                ignore_index: int | None = None, validate_args: bool = True, **kwargs: Any) -> Metric:
        kwargs.update(n_bins=n_bins, norm=norm, ignore_index=ignore_index, validate_args=validate_args)
        return make_task_metric("CalibrationError", task, {
            "binary": lambda: BinaryCalibrationError(**kwargs),
            "multiclass": lambda: MulticlassCalibrationError(num_classes, **kwargs),
        }, num_classes)
