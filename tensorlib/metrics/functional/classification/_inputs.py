"""Checking and formatting classification inputs the way torchmetrics reads them.

* binary: ``preds`` and ``target`` of the same shape ``(N, ...)``; float ``preds`` are probabilities, or logits
  (sigmoid applied) when any value lies outside [0, 1]; integer ``preds`` are labels 0/1.
* multiclass: ``preds`` ``(N, C, ...)`` float scores (logits or probabilities) or ``(N, ...)`` integer labels;
  ``target`` ``(N, ...)`` class indices in ``[0, C)``.
* multilabel: ``preds`` and ``target`` ``(N, L, ...)``; like binary per label.

Extra dimensions ``...`` are flattened into the sample axis. ``ignore_index`` marks target entries to skip.
Every error names the metric (``name``) and the offending values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _host


def _show(values: np.ndarray, limit: int = 10) -> str:
    values = np.unique(values)
    shown = ", ".join(str(v) for v in values[:limit].tolist())
    return f"[{shown}{', ...' if values.size > limit else ''}]"


def check_threshold(threshold: Any, name: str) -> None:
    if not (isinstance(threshold, float) and 0.0 <= threshold <= 1.0):
        raise ValueError(f"{name}: expected argument `threshold` to be a float in the [0,1] range, but got "
                         f"{threshold!r}")


def check_ignore_index(ignore_index: Any, name: str) -> None:
    if ignore_index is not None and not isinstance(ignore_index, int):
        raise ValueError(f"{name}: expected argument `ignore_index` to either be `None` or an integer, but got "
                         f"{ignore_index!r}")


def check_num_classes(num_classes: Any, name: str, what: str = "num_classes") -> None:
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise ValueError(f"{name}: expected argument `{what}` to be an integer larger than 1, but got "
                         f"{num_classes!r}")


def check_average(average: Any, name: str, allowed: tuple = ("micro", "macro", "weighted", "none", None)) -> None:
    if average not in allowed:
        raise ValueError(f"{name}: expected argument `average` to be one of {allowed}, but got {average!r}")


def check_multidim_average(multidim_average: Any, name: str) -> None:
    if multidim_average != "global":
        raise ValueError(f"{name}: only multidim_average='global' is supported, got {multidim_average!r}")


def _binary_values(array: np.ndarray, what: str, name: str, ignore_index: int | None) -> None:
    allowed = (array == 0) | (array == 1)
    if ignore_index is not None and what == "target":
        allowed |= array == ignore_index
    if not allowed.all():
        expected = [0, 1] if ignore_index is None or what != "target" else [0, 1, ignore_index]
        raise RuntimeError(f"{name}: detected the following values in `{what}`: {_show(array[~allowed])} but "
                           f"expected only the following values {expected}"
                           + (" since `preds` is a label tensor" if what == "preds" else ""))


def binary_labels(preds: Any, target: Any, threshold: float, ignore_index: int | None, name: str,
                  validate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Flat boolean predictions and 0/1 targets, ignored entries removed."""
    p, t = _host.to_array(preds), _host.to_array(target)
    if validate:
        _host.check_same_shape(p, t, name)
        _binary_values(t, "target", name, ignore_index)
        if not _host.is_floating(p):
            _binary_values(p, "preds", name, None)
    p, t = p.reshape(-1), t.reshape(-1)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    p = _host.sigmoid_if_logits(p) > threshold if _host.is_floating(p) else p == 1
    return p, t.astype(np.int64)


def binary_scores(preds: Any, target: Any, ignore_index: int | None, name: str,
                  validate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Flat float probabilities (sigmoid applied to logits) and 0/1 targets, ignored entries removed."""
    p, t = _host.to_array(preds), _host.to_array(target)
    if validate:
        _host.check_same_shape(p, t, name)
        if not _host.is_floating(p):
            raise ValueError(f"{name}: expected `preds` to be a float tensor of probabilities or logits, but got "
                             f"dtype {p.dtype}")
        if _host.is_floating(t):
            raise ValueError(f"{name}: expected `target` to be an integer tensor of labels, but got dtype {t.dtype}")
        _binary_values(t, "target", name, ignore_index)
    p, t = p.reshape(-1), t.reshape(-1)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return _host.sigmoid_if_logits(p), t.astype(np.int64)


def _class_range(array: np.ndarray, what: str, num_classes: int, name: str, ignore_index: int | None) -> None:
    bad = (array < 0) | (array >= num_classes)
    if ignore_index is not None:
        bad &= array != ignore_index
    if bad.any():
        raise RuntimeError(f"{name}: detected values {_show(array[bad])} in `{what}` outside the class range "
                           f"[0, {num_classes - 1}] (num_classes={num_classes}"
                           + (f", ignore_index={ignore_index})" if ignore_index is not None else ")"))


def _multiclass_shapes(p: np.ndarray, t: np.ndarray, num_classes: int, name: str) -> None:
    if p.ndim == t.ndim + 1:
        if not _host.is_floating(p):
            raise ValueError(f"{name}: if `preds` have one dimension more than `target`, `preds` should be a float "
                             f"tensor of scores, got dtype {p.dtype}")
        if p.shape[1] != num_classes:
            raise ValueError(f"{name}: `preds.shape[1]` should be the number of classes ({num_classes}), got preds "
                             f"of shape {tuple(p.shape)}")
        if p.shape[0] != t.shape[0] or p.shape[2:] != t.shape[1:]:
            raise ValueError(f"{name}: the shape of `preds` should be (N, C, ...) and the shape of `target` (N, ...), "
                             f"got preds {tuple(p.shape)} and target {tuple(t.shape)}")
    elif p.ndim == t.ndim:
        if p.shape != t.shape:
            raise ValueError(f"{name}: the `preds` and `target` should have the same shape, got preds "
                             f"{tuple(p.shape)} and target {tuple(t.shape)}")
    else:
        raise ValueError(f"{name}: either `preds` and `target` both should have the (same) shape (N, ...), or "
                         f"`target` should be (N, ...) and `preds` (N, C, ...); got preds {tuple(p.shape)} and "
                         f"target {tuple(t.shape)}")


def class_scores(p: np.ndarray, num_classes: int) -> np.ndarray:
    """``(N, C, ...)`` scores as ``(N * ..., C)``."""
    return np.moveaxis(p, 1, -1).reshape(-1, num_classes)


def multiclass_labels(preds: Any, target: Any, num_classes: int, top_k: int, ignore_index: int | None, name: str,
                      validate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Flat predicted and true class indices, ignored samples removed.

    With ``top_k > 1`` a sample counts as predicting its true class when that class is among the ``top_k`` highest
    scores, and its top-1 class otherwise (torchmetrics' rule).
    """
    p, t = _host.to_array(preds), _host.to_array(target)
    if validate:
        _multiclass_shapes(p, t, num_classes, name)
        _class_range(t, "target", num_classes, name, ignore_index)
        if p.ndim == t.ndim:
            _class_range(p, "preds", num_classes, name, None)
    scored = p.ndim == t.ndim + 1
    if top_k > 1 and not scored:
        raise ValueError(f"{name}: top_k={top_k} needs `preds` of scores with shape (N, C, ...), got labels of shape "
                         f"{tuple(p.shape)}")
    t = t.reshape(-1).astype(np.int64)
    if scored:
        scores = class_scores(p, num_classes)
        if ignore_index is not None:
            keep = t != ignore_index
            scores, t = scores[keep], t[keep]
        labels = scores.argmax(axis=1)
        if top_k > 1:
            top = np.argpartition(-scores, top_k - 1, axis=1)[:, :top_k]
            labels = np.where((top == t[:, None]).any(axis=1), t, labels)
        return labels.astype(np.int64), t
    labels = p.reshape(-1).astype(np.int64)
    if ignore_index is not None:
        keep = t != ignore_index
        labels, t = labels[keep], t[keep]
    return labels, t


def multiclass_scores(preds: Any, target: Any, num_classes: int, ignore_index: int | None, name: str,
                      validate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(M, C)`` probabilities (softmax applied to logits) and ``(M,)`` targets, ignored samples removed."""
    p, t = _host.to_array(preds), _host.to_array(target)
    if validate:
        if p.ndim != t.ndim + 1:
            raise ValueError(f"{name}: expected `preds` to have one more dimension than `target` (scores of shape "
                             f"(N, C, ...)), got preds {tuple(p.shape)} and target {tuple(t.shape)}")
        _multiclass_shapes(p, t, num_classes, name)
        _class_range(t, "target", num_classes, name, ignore_index)
    scores, t = class_scores(p, num_classes), t.reshape(-1).astype(np.int64)
    if ignore_index is not None:
        keep = t != ignore_index
        scores, t = scores[keep], t[keep]
    return _host.softmax_if_logits(scores), t


def multilabel_arrays(preds: Any, target: Any, num_labels: int, ignore_index: int | None, name: str,
                      validate: bool = True, scores: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(M, L)`` predictions and targets (``...`` flattened into M); ignored target entries become -1."""
    p, t = _host.to_array(preds), _host.to_array(target)
    if validate:
        _host.check_same_shape(p, t, name)
        if p.ndim < 2 or p.shape[1] != num_labels:
            raise ValueError(f"{name}: expected `preds.shape[1]` and `target.shape[1]` to be the number of labels "
                             f"({num_labels}), got shape {tuple(p.shape)}")
        _binary_values(t, "target", name, ignore_index)
        if scores and not _host.is_floating(p):
            raise ValueError(f"{name}: expected `preds` to be a float tensor of probabilities or logits, but got "
                             f"dtype {p.dtype}")
        if not _host.is_floating(p):
            _binary_values(p, "preds", name, None)
    p, t = class_scores(p, num_labels), class_scores(t, num_labels).astype(np.int64)
    if ignore_index is not None:
        t = np.where(t == ignore_index, -1, t)
    return p, t


def multilabel_labels(preds: Any, target: Any, num_labels: int, threshold: float, ignore_index: int | None,
                      name: str, validate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    p, t = multilabel_arrays(preds, target, num_labels, ignore_index, name, validate)
    p = _host.sigmoid_if_logits(p) > threshold if _host.is_floating(p) else p == 1
    return p, t
