"""ROC and precision-recall curves on arrays: exact (from all scores) or binned (from per-threshold counts).

Exact curves sort the scores once and take cumulative sums at the distinct score values (scikit-learn's and
torchmetrics' ``_binary_clf_curve``). Binned curves keep a ``(T, [C,] 2, 2)`` confusion matrix per threshold,
which accumulates in constant memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _host


def thresholds_array(thresholds: Any, name: str) -> np.ndarray | None:
    """None (exact curves), or the thresholds: an int count spread over [0, 1], a list, or a 1-D tensor."""
    if thresholds is None:
        return None
    if isinstance(thresholds, bool):
        raise ValueError(f"{name}: expected argument `thresholds` to be None, an int, a list of floats or a 1-D "
                         f"tensor, but got {thresholds!r}")
    if isinstance(thresholds, int):
        if thresholds < 2:
            raise ValueError(f"{name}: if argument `thresholds` is an integer, expected it to be larger than 1, but "
                             f"got {thresholds}")
        return np.linspace(0, 1, thresholds, dtype=np.float32)
    values = np.asarray(_host.to_array(thresholds), dtype=np.float32)
    if values.ndim != 1:
        raise ValueError(f"{name}: expected argument `thresholds` to be a 1-D list or tensor, got shape "
                         f"{tuple(values.shape)}")
    if values.size and (values.min() < 0 or values.max() > 1):
        raise ValueError(f"{name}: expected all `thresholds` to be probabilities in the [0,1] range, but got "
                         f"{values[(values < 0) | (values > 1)].tolist()}")
    return values


def clf_curve(preds: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False/true positive counts and the thresholds at each distinct score, highest score first."""
    order = np.argsort(-preds, kind="stable")
    preds, target = preds[order], target[order] == 1
    distinct = np.nonzero(np.diff(preds))[0]
    ends = np.append(distinct, target.size - 1)
    tps = np.cumsum(target)[ends]
    fps = 1 + ends - tps
    return fps.astype(np.float64), tps.astype(np.float64), preds[ends]


def roc_exact(preds: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, tpr)`` starting at (0, 0); a curve without negatives (positives) has fpr (tpr) all zero."""
    fps, tps, _ = clf_curve(preds, target)
    fps, tps = np.concatenate([[0.0], fps]), np.concatenate([[0.0], tps])
    if fps[-1] <= 0:
        _host.warn("No negative samples in targets, false positive value should be meaningless. Returning zero "
                   "tensor in false positive score")
        fpr = np.zeros_like(fps)
    else:
        fpr = fps / fps[-1]
    if tps[-1] <= 0:
        _host.warn("No positive samples in targets, true positive value should be meaningless. Returning zero "
                   "tensor in true positive score")
        tpr = np.zeros_like(tps)
    else:
        tpr = tps / tps[-1]
    return fpr, tpr


def pr_exact(preds: np.ndarray, target: np.ndarray, all_negative: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)`` with recall decreasing to the final (1, 0) point.

    Without positives recall is 0/0 (NaN, so the class drops out of a macro average), except that when
    ``all_negative`` (default: no positives) recall is set to one, as torchmetrics does. One-vs-rest callers pass
    torchmetrics' multiclass condition (every original target is class 0).
    """
    fps, tps, _ = clf_curve(preds, target)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tps / (tps + fps)
        recall = tps / tps[-1] if tps.size else tps
    if all_negative if all_negative is not None else not (target == 1).any():
        _host.warn("No positive samples found in target, recall is undefined. Setting recall to one for all "
                   "thresholds.")
        recall = np.ones_like(recall)
    return np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0)


def binned_counts(preds: np.ndarray, target: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``(T, C, 2, 2)`` counts [[tn, fp], [fn, tp]] of ``preds >= threshold`` for ``(M, C)`` scores.

    Target entries other than 0 and 1 (ignored ones) count nowhere.
    """
    positive, negative = target == 1, target == 0
    above = preds[..., None] >= thresholds  # (M, C, T)
    tp = np.einsum("mct,mc->tc", above, positive, dtype=np.int64)
    fp = np.einsum("mct,mc->tc", above, negative, dtype=np.int64)
    fn = positive.sum(0, dtype=np.int64) - tp
    tn = negative.sum(0, dtype=np.int64) - fp
    return np.stack([np.stack([tn, fp], -1), np.stack([fn, tp], -1)], -2)


def roc_binned(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, tpr)`` from ``(T, 2, 2)`` counts, ordered from the highest threshold."""
    tps, fps, fns, tns = state[:, 1, 1], state[:, 0, 1], state[:, 1, 0], state[:, 0, 0]
    return _host.safe_divide(fps, fps + tns)[::-1], _host.safe_divide(tps, tps + fns)[::-1]


def pr_binned(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tps, fps, fns = state[:, 1, 1], state[:, 0, 1], state[:, 1, 0]
    precision = _host.safe_divide(tps, tps + fps, np.nan)
    recall = _host.safe_divide(tps, tps + fns, np.nan)
    return np.append(precision, 1.0), np.append(recall, 0.0)


def trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def auroc_from_roc(fpr: np.ndarray, tpr: np.ndarray, max_fpr: float | None = None) -> float:
    """Area under the ROC curve; with ``max_fpr`` the McClish-standardised partial area over [0, max_fpr]."""
    if max_fpr is None or max_fpr == 1 or fpr.sum() == 0 or tpr.sum() == 0:
        return trapezoid(fpr, tpr)
    stop = int(np.searchsorted(fpr, max_fpr, side="right"))
    weight = (max_fpr - fpr[stop - 1]) / (fpr[stop] - fpr[stop - 1])
    interpolated = tpr[stop - 1] + weight * (tpr[stop] - tpr[stop - 1])
    partial = trapezoid(np.append(fpr[:stop], max_fpr), np.append(tpr[:stop], interpolated))
    min_area = 0.5 * max_fpr ** 2
    return 0.5 * (1 + (partial - min_area) / (max_fpr - min_area))


def average_precision_from_pr(precision: np.ndarray, recall: np.ndarray, keep_nan: bool = False) -> float:
    """Step-sum area; ``keep_nan`` lets an undefined curve (a class without positives) give NaN, which the
    per-class reduction leaves out (torchmetrics does so for one-vs-rest exact curves, and zeroes NaNs otherwise)."""
    if not keep_nan:
        precision, recall = np.nan_to_num(precision, nan=0.0), np.nan_to_num(recall, nan=0.0)
    return float(-np.sum((recall[1:] - recall[:-1]) * precision[:-1]))


def reduce_per_class(scores: np.ndarray, average: str | None, weights: np.ndarray, what: str) -> np.ndarray:
    """``macro`` / ``weighted`` / ``none`` over per-class scores; NaN classes are left out (with a warning)."""
    if average is None or average == "none":
        return scores
    nan = np.isnan(scores)
    if nan.any():
        _host.warn(f"{what} score for one or more classes was `nan`. Ignoring these classes in {average}-average")
    if average == "macro":
        return scores[~nan].mean() if (~nan).any() else np.float64(np.nan)
    kept = weights[~nan].astype(np.float64)
    return (scores[~nan] * _host.safe_divide(kept, kept.sum())).sum()
