"""Aggregation metrics: ``MeanMetric``, ``SumMetric``, ``MaxMetric``, ``MinMetric``, ``CatMetric``.

``update(value)`` takes a number, a list or a Tensor of any shape (flattened). NaNs follow ``nan_strategy``:
"error" raises, "warn" drops them with a warning (the default), "ignore" drops them silently, "disable" keeps them,
and a float replaces them.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import tensorlib as tl

from . import _host
from .metric import Metric

_NAN_STRATEGIES = ("error", "warn", "ignore", "disable")


class BaseAggregator(Metric):
    """One state (``state_name``) reduced across ranks by ``fn``; compute() returns it."""

    is_differentiable = None
    higher_is_better = None
    full_state_update = False

    def __init__(self, fn: str | Callable, default_value: tl.Tensor | list, nan_strategy: str | float = "error",
                 state_name: str = "value", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if nan_strategy not in _NAN_STRATEGIES and not isinstance(nan_strategy, float):
            raise ValueError(f"Arg `nan_strategy` should either be a float or one of {_NAN_STRATEGIES} but got "
                             f"{nan_strategy}.")
        self.nan_strategy = nan_strategy
        self.add_state(state_name, default=default_value, dist_reduce_fx=fn)
        self.state_name = state_name

    def _values_and_weights(self, value: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Flattened float32 values and weights with NaNs handled by ``nan_strategy``."""
        x = np.asarray(_host.to_array(value), dtype=np.float32)
        w = np.ones_like(x) if weight is None else np.asarray(_host.to_array(weight), dtype=np.float32)
        x, w = x.reshape(-1), np.broadcast_to(w, x.shape).reshape(-1)
        if self.nan_strategy == "disable":
            return x, w
        nans = np.isnan(x) | np.isnan(w)
        if nans.any():
            if self.nan_strategy == "error":
                raise RuntimeError(f"{type(self).__name__}: Encountered `nan` values in tensor")
            if self.nan_strategy in ("ignore", "warn"):
                if self.nan_strategy == "warn":
                    _host.warn(f"{type(self).__name__}: Encountered `nan` values in tensor. Will be removed.")
                x, w = x[~nans], w[~nans]
            else:
                x, w = np.where(nans, np.float32(self.nan_strategy), x), np.where(nans, np.float32(1.0), w)
        return x, w

    def update(self, value: Any) -> None:  # overridden by each aggregator
        raise NotImplementedError

    def compute(self) -> tl.Tensor:
        return getattr(self, self.state_name)


class SumMetric(BaseAggregator):
    """Running sum of all values seen. ``compute()`` before ``update()`` gives 0."""

    def __init__(self, nan_strategy: str | float = "warn", **kwargs: Any) -> None:
        super().__init__("sum", tl.tensor(0.0), nan_strategy, state_name="sum_value", **kwargs)

    def update(self, value: Any) -> None:
        x, _ = self._values_and_weights(value)
        if x.size:
            self.sum_value = self.sum_value + _host.to_tensor(x.sum(dtype=np.float32))


class MaxMetric(BaseAggregator):
    """Running maximum. ``compute()`` before ``update()`` gives -inf."""

    full_state_update = True

    def __init__(self, nan_strategy: str | float = "warn", **kwargs: Any) -> None:
        super().__init__("max", tl.tensor(float("-inf")), nan_strategy, state_name="max_value", **kwargs)

    def update(self, value: Any) -> None:
        x, _ = self._values_and_weights(value)
        if x.size:
            self.max_value = tl.maximum(self.max_value, _host.to_tensor(x.max()))


class MinMetric(BaseAggregator):
    """Running minimum. ``compute()`` before ``update()`` gives inf."""

    full_state_update = True

    def __init__(self, nan_strategy: str | float = "warn", **kwargs: Any) -> None:
        super().__init__("min", tl.tensor(float("inf")), nan_strategy, state_name="min_value", **kwargs)

    def update(self, value: Any) -> None:
        x, _ = self._values_and_weights(value)
        if x.size:
            self.min_value = tl.minimum(self.min_value, _host.to_tensor(x.min()))


class CatMetric(BaseAggregator):
    """All values seen, concatenated into one 1-D tensor. ``compute()`` before ``update()`` gives ``[]``."""

    def __init__(self, nan_strategy: str | float = "warn", **kwargs: Any) -> None:
        super().__init__("cat", [], nan_strategy, **kwargs)

    def update(self, value: Any) -> None:
        x, _ = self._values_and_weights(value)
        if x.size:
            self.value.append(_host.to_tensor(x))

    def compute(self) -> tl.Tensor | list:
        if isinstance(self.value, list) and self.value:
            return tl.cat(self.value)
        return self.value


class MeanMetric(BaseAggregator):
    """Weighted running mean: ``update(value, weight=1.0)``. ``compute()`` before ``update()`` gives nan."""

    def __init__(self, nan_strategy: str | float = "warn", **kwargs: Any) -> None:
        super().__init__("sum", tl.tensor(0.0), nan_strategy, state_name="mean_value", **kwargs)
        self.add_state("weight", default=tl.tensor(0.0), dist_reduce_fx="sum")

    def update(self, value: Any, weight: Any = None) -> None:
        x, w = self._values_and_weights(value, weight)
        if x.size == 0:
            return
        self.mean_value = self.mean_value + _host.to_tensor((x.astype(np.float64) * w).sum())
        self.weight = self.weight + _host.to_tensor(w.sum(dtype=np.float64))

    def compute(self) -> tl.Tensor:
        return self.mean_value / self.weight
