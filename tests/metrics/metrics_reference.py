"""Direct NumPy definitions of the metrics (independent of tensorlib.metrics' code) and random inputs."""

from __future__ import annotations

import numpy as np

import tensorlib as tl


# ------------------------------------------------------------------------------------------------ inputs
def binary_inputs(rng: np.random.Generator, n: int, kind: str):
    """``kind``: probs, logits or labels; returns (preds, target) as NumPy arrays."""
    target = rng.integers(0, 2, n)
    if kind == "labels":
        return rng.integers(0, 2, n), target
    probs = np.clip(0.35 * target + 0.65 * rng.random(n), 0, 1).astype(np.float32)
    return (probs if kind == "probs" else np.log(probs + 1e-3) - np.log1p(1e-3 - probs)).astype(np.float32), target


def multiclass_inputs(rng: np.random.Generator, n: int, c: int, kind: str, absent: tuple = ()):
    """Targets never take the classes in ``absent``; preds are (n, c) scores or (n,) labels."""
    allowed = np.array([k for k in range(c) if k not in absent])
    target = rng.choice(allowed, n)
    if kind == "labels":
        return np.where(rng.random(n) < 0.5, target, rng.choice(allowed, n)), target
    logits = rng.normal(size=(n, c)).astype(np.float32) + 1.5 * (np.arange(c) == target[:, None])
    if kind == "logits":
        return logits.astype(np.float32), target
    exp = np.exp(logits - logits.max(1, keepdims=True))
    return (exp / exp.sum(1, keepdims=True)).astype(np.float32), target


def multilabel_inputs(rng: np.random.Generator, n: int, labels: int, kind: str):
    target = rng.integers(0, 2, (n, labels))
    if kind == "labels":
        return np.where(rng.random((n, labels)) < 0.7, target, 1 - target), target
    probs = np.clip(0.4 * target + 0.6 * rng.random((n, labels)), 0, 1).astype(np.float32)
    return (probs if kind == "probs" else 4 * probs - 2).astype(np.float32), target


def t(array) -> tl.Tensor:
    return tl.from_numpy(np.ascontiguousarray(array))


# ------------------------------------------------------------------------------------ label predictions
def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def binary_hard(preds, threshold=0.5):
    if np.issubdtype(preds.dtype, np.floating):
        probs = preds if (preds.min() >= 0 and preds.max() <= 1) else sigmoid(preds)
        return (probs > threshold).astype(int)
    return preds


def multiclass_hard(preds):
    return preds.argmax(1) if preds.ndim == 2 else preds


# --------------------------------------------------------------------------------- per-class counting
def per_class_counts(pred, target, c):
    """tp, fp, fn, support per class by direct comparison."""
    classes = np.arange(c)[:, None]
    tp = ((pred == classes) & (target == classes)).sum(1)
    fp = ((pred == classes) & (target != classes)).sum(1)
    fn = ((pred != classes) & (target == classes)).sum(1)
    return tp, fp, fn


def divide(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))


def average(scores, tp, fp, fn, how, present=None):
    """macro over classes present in target or prediction, weighted by support, none as is."""
    if how in (None, "none"):
        return scores
    if how == "weighted":
        support = tp + fn
        return (scores * support).sum() / support.sum() if support.sum() else 0.0
    present = (tp + fp + fn) > 0 if present is None else present
    return scores[present].mean() if present.any() else 0.0


def multiclass_score(name, pred, target, c, how, beta=1.0):
    tp, fp, fn = per_class_counts(pred, target, c)
    if how == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    if name in ("accuracy", "recall"):
        score = divide(tp, tp + fn)
    elif name == "precision":
        score = divide(tp, tp + fp)
    else:
        b2 = beta ** 2
        score = divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
    return score if how == "micro" else average(score, tp, fp, fn, how)


def confusion(pred, target, c):
    out = np.zeros((c, c), dtype=np.int64)
    np.add.at(out, (target, pred), 1)
    return out


# ----------------------------------------------------------------------------------- ranking metrics
def rank_auroc(scores, target):
    """AUROC as the Mann-Whitney U statistic with average ranks for ties."""
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = target == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def step_average_precision(scores, target):
    """sum over distinct thresholds of (recall gain) x precision, highest threshold first."""
    ap, previous_recall = 0.0, 0.0
    positives = (target == 1).sum()
    for threshold in np.unique(scores)[::-1]:
        chosen = scores >= threshold
        tp = (chosen & (target == 1)).sum()
        precision, recall = tp / chosen.sum(), tp / positives
        ap += (recall - previous_recall) * precision
        previous_recall = recall
    return ap


def calibration_l1(confidences, correct, n_bins):
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidences >= low) & (confidences < high)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidences[inside].mean())
    exact_one = confidences == 1.0
    if exact_one.any():
        total += exact_one.mean() * abs(correct[exact_one].mean() - 1.0)
    return total
