"""Regression metrics: ``MeanSquaredError`` (``squared=False``: RMSE), ``MeanAbsoluteError``, ``R2Score``.

Before any ``update``, MSE/MAE ``compute()`` warn and return nan (0 / 0), and ``R2Score`` raises ``ValueError``
(fewer than two samples), as in torchmetrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorlib as tl

from . import _host
from .functional import regression as fr
from .metric import Metric


def _check_num_outputs(num_outputs: Any) -> None:
    if not (isinstance(num_outputs, int) and num_outputs > 0):
        raise ValueError(f"Expected num_outputs to be a positive integer but got {num_outputs}")


class MeanSquaredError(Metric):
    is_differentiable = True
    higher_is_better = False
    full_state_update = False

    def __init__(self, squared: bool = True, num_outputs: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(squared, bool):
            raise ValueError(f"Expected argument `squared` to be a boolean but got {squared}")
        _check_num_outputs(num_outputs)
        self.squared = squared
        self.num_outputs = num_outputs
        self.add_state("sum_squared_error", tl.zeros(num_outputs), dist_reduce_fx="sum")
        self.add_state("total", tl.tensor(0), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        total, count = fr.squared_error_update(preds, target, self.num_outputs, type(self).__name__)
        self.sum_squared_error = self.sum_squared_error + _host.to_tensor(np.reshape(total, -1))
        self.total = self.total + count

    def compute(self) -> tl.Tensor:
        total = _host.to_array(self.sum_squared_error).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mse = total / int(self.total.item())
        return _host.to_tensor(mse if self.squared else np.sqrt(mse))


class MeanAbsoluteError(Metric):
    is_differentiable = True
    higher_is_better = False
    full_state_update = False

    def __init__(self, num_outputs: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_num_outputs(num_outputs)
        self.num_outputs = num_outputs
        self.add_state("sum_abs_error", tl.zeros(num_outputs), dist_reduce_fx="sum")
        self.add_state("total", tl.tensor(0), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        total, count = fr.absolute_error_update(preds, target, self.num_outputs, type(self).__name__)
        self.sum_abs_error = self.sum_abs_error + _host.to_tensor(np.reshape(total, -1))
        self.total = self.total + count

    def compute(self) -> tl.Tensor:
        with np.errstate(invalid="ignore", divide="ignore"):
            return _host.to_tensor(_host.to_array(self.sum_abs_error).astype(np.float64) / int(self.total.item()))


class R2Score(Metric):
    """Coefficient of determination; ``adjusted`` regressors, ``multioutput`` as scikit-learn/torchmetrics."""

    is_differentiable = True
    higher_is_better = True
    full_state_update = False

    def __init__(self, num_outputs: int = 1, adjusted: int = 0, multioutput: str = "uniform_average",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_num_outputs(num_outputs)
        if not isinstance(adjusted, int) or adjusted < 0:
            raise ValueError("`adjusted` parameter should be an integer larger or equal to 0.")
        if multioutput not in ("raw_values", "uniform_average", "variance_weighted"):
            raise ValueError("Invalid input to argument `multioutput`. Choose one of the following: "
                             f"('raw_values', 'uniform_average', 'variance_weighted'), got {multioutput!r}")
        self.num_outputs = num_outputs
        self.adjusted = adjusted
        self.multioutput = multioutput
        self.add_state("sum_squared_error", tl.zeros(num_outputs), dist_reduce_fx="sum")
        self.add_state("sum_error", tl.zeros(num_outputs), dist_reduce_fx="sum")
        self.add_state("residual", tl.zeros(num_outputs), dist_reduce_fx="sum")
        self.add_state("total", tl.tensor(0), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        sum_squared_obs, sum_obs, rss, count = fr.r2_update(preds, target, type(self).__name__)
        self.sum_squared_error = self.sum_squared_error + _host.to_tensor(np.reshape(sum_squared_obs, -1))
        self.sum_error = self.sum_error + _host.to_tensor(np.reshape(sum_obs, -1))
        self.residual = self.residual + _host.to_tensor(np.reshape(rss, -1))
        self.total = self.total + count

    def compute(self) -> tl.Tensor:
        value = fr.r2_compute(_host.to_array(self.sum_squared_error), _host.to_array(self.sum_error),
                              _host.to_array(self.residual), int(self.total.item()), self.adjusted, self.multioutput)
        return _host.to_tensor(value)
