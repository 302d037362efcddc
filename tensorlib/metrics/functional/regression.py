"""Regression metrics: ``mean_squared_error`` (``squared=False`` gives RMSE), ``mean_absolute_error``, ``r2_score``.

``preds`` and ``target`` have the same shape: ``(N,)``, or ``(N, num_outputs)`` for several outputs.
"""

from __future__ import annotations

import numpy as np

import tensorlib as tl

from .. import _host


def _pair(preds, target, name: str) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(_host.to_array(preds), dtype=np.float64)
    t = np.asarray(_host.to_array(target), dtype=np.float64)
    _host.check_same_shape(p, t, name)
    return p, t


def _per_output(values: np.ndarray, num_outputs: int) -> np.ndarray:
    """Sum over samples: a scalar for one output, ``(num_outputs,)`` otherwise."""
    return values.sum() if num_outputs == 1 else values.reshape(-1, num_outputs).sum(0)


def squared_error_update(preds, target, num_outputs: int, name: str) -> tuple[np.ndarray, int]:
    p, t = _pair(preds, target, name)
    return _per_output((p - t) ** 2, num_outputs), t.size // num_outputs


def absolute_error_update(preds, target, num_outputs: int, name: str) -> tuple[np.ndarray, int]:
    p, t = _pair(preds, target, name)
    return _per_output(np.abs(p - t), num_outputs), t.size // num_outputs


def mean_squared_error(preds, target, squared: bool = True, num_outputs: int = 1) -> tl.Tensor:
    total, count = squared_error_update(preds, target, num_outputs, "mean_squared_error")
    mse = total / count if count else np.full_like(total, np.nan)
    return _host.to_tensor(mse if squared else np.sqrt(mse))


def mean_absolute_error(preds, target, num_outputs: int = 1) -> tl.Tensor:
    total, count = absolute_error_update(preds, target, num_outputs, "mean_absolute_error")
    return _host.to_tensor(total / count if count else np.full_like(total, np.nan))


def r2_update(preds, target, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(sum of squared targets, sum of targets, residual sum of squares, count)`` per output."""
    p, t = _pair(preds, target, name)
    if p.ndim > 2:
        raise ValueError(f"{name}: expected both prediction and target to be 1D or 2D tensors, but received tensors "
                         f"with shape {tuple(p.shape)}")
    return (t * t).sum(0), t.sum(0), ((t - p) ** 2).sum(0), t.shape[0]


def r2_compute(sum_squared_obs, sum_obs, rss, num_obs: int, adjusted: int = 0,
               multioutput: str = "uniform_average") -> np.ndarray:
    """R^2 as torchmetrics: 1 for a perfect fit, 0 for a constant target fitted imperfectly."""
    if num_obs < 2:
        raise ValueError("Needs at least two samples to calculate r2 score.")
    sum_squared_obs, sum_obs, rss = (np.asarray(x, dtype=np.float64) for x in (sum_squared_obs, sum_obs, rss))
    tss = sum_squared_obs - sum_obs * (sum_obs / num_obs)
    nonzero_rss, nonzero_tss = ~np.isclose(rss, 0, atol=1e-4), ~np.isclose(tss, 0, atol=1e-4)
    raw = np.ones_like(rss)
    both = nonzero_rss & nonzero_tss
    raw[both] = 1 - rss[both] / tss[both]
    raw[nonzero_rss & ~nonzero_tss] = 0.0
    if multioutput == "raw_values":
        r2 = raw
    elif multioutput == "uniform_average":
        r2 = raw.mean()
    elif multioutput == "variance_weighted":
        r2 = np.sum(tss / tss.sum() * raw)
    else:
        raise ValueError("Argument `multioutput` must be either `raw_values`, `uniform_average` or "
                         f"`variance_weighted`. Received {multioutput}.")
    if not isinstance(adjusted, int) or adjusted < 0:
        raise ValueError("`adjusted` parameter should be an integer larger or equal to 0.")
    if adjusted:
        if adjusted > num_obs - 1:
            _host.warn("More independent regressions than data points in adjusted r2 score. Falls back to standard "
                       "r2 score.")
        elif adjusted == num_obs - 1:
            _host.warn("Division by zero in adjusted r2 score. Falls back to standard r2 score.")
        else:
            return 1 - (1 - r2) * (num_obs - 1) / (num_obs - adjusted - 1)
    return r2


def r2_score(preds, target, adjusted: int = 0, multioutput: str = "uniform_average") -> tl.Tensor:
    return _host.to_tensor(r2_compute(*r2_update(preds, target, "r2_score"), adjusted, multioutput))
