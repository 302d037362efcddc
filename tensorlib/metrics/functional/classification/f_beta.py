"""F-beta and F1 scores for the binary, multiclass and multilabel tasks, and ``fbeta_score``/``f1_score(task=)``."""

from __future__ import annotations

import numpy as np

import tensorlib as tl

from ... import _host
from . import stat_scores as ss


def fbeta_reduce(stats: np.ndarray, beta: float, average: str | None, multilabel: bool = False,
                 zero_division: float = 0) -> np.ndarray:
    """``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)`` averaged as torchmetrics does."""
    tp, fp, _, fn = stats
    beta2 = beta ** 2
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    score = _host.safe_divide((1 + beta2) * tp, (1 + beta2) * tp + beta2 * fn + fp, zero_division)
    if average in ("binary", "micro"):
        return score
    return ss.adjust_weights_divide(score, average, multilabel, tp, fp, fn)


def check_beta(beta, name: str) -> None:
    if not (isinstance(beta, float) and beta > 0):
        raise ValueError(f"{name}: expected argument `beta` to be a positive float, but got {beta!r}.")


def binary_fbeta_score(preds, target, beta: float, threshold: float = 0.5, multidim_average: str = "global",
                       ignore_index: int | None = None, validate_args: bool = True,
                       zero_division: float = 0, _name: str = "binary_fbeta_score") -> tl.Tensor:
    if validate_args:
        check_beta(beta, _name)
        ss.check_binary_args(threshold, multidim_average, ignore_index, _name)
    stats = ss.binary_batch_stats(preds, target, threshold, ignore_index, _name, validate_args)
    return _host.to_tensor(fbeta_reduce(stats, beta, "binary", zero_division=zero_division))


def multiclass_fbeta_score(preds, target, beta: float, num_classes: int, average: str | None = "macro",
                           top_k: int = 1, multidim_average: str = "global", ignore_index: int | None = None,
                           validate_args: bool = True, zero_division: float = 0,
                           _name: str = "multiclass_fbeta_score") -> tl.Tensor:
    if validate_args:
        check_beta(beta, _name)
        ss.check_multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, _name)
    stats = ss.multiclass_batch_stats(preds, target, num_classes, top_k, ignore_index, _name, validate_args)
    return _host.to_tensor(fbeta_reduce(stats, beta, average, zero_division=zero_division))


def multilabel_fbeta_score(preds, target, beta: float, num_labels: int, threshold: float = 0.5,
                           average: str | None = "macro", multidim_average: str = "global",
                           ignore_index: int | None = None, validate_args: bool = True, zero_division: float = 0,
                           _name: str = "multilabel_fbeta_score") -> tl.Tensor:
    if validate_args:
        check_beta(beta, _name)
        ss.check_multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, _name)
    stats = ss.multilabel_batch_stats(preds, target, num_labels, threshold, ignore_index, _name, validate_args)
    return _host.to_tensor(fbeta_reduce(stats, beta, average, multilabel=True, zero_division=zero_division))


def binary_f1_score(preds, target, threshold: float = 0.5, multidim_average: str = "global",
                    ignore_index: int | None = None, validate_args: bool = True,
                    zero_division: float = 0) -> tl.Tensor:
    return binary_fbeta_score(preds, target, 1.0, threshold, multidim_average, ignore_index, validate_args,
                              zero_division, _name="binary_f1_score")


def multiclass_f1_score(preds, target, num_classes: int, average: str | None = "macro", top_k: int = 1,
                        multidim_average: str = "global", ignore_index: int | None = None,
                        validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    return multiclass_fbeta_score(preds, target, 1.0, num_classes, average, top_k, multidim_average, ignore_index,
                                  validate_args, zero_division, _name="multiclass_f1_score")


def multilabel_f1_score(preds, target, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                        multidim_average: str = "global", ignore_index: int | None = None,
                        validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    return multilabel_fbeta_score(preds, target, 1.0, num_labels, threshold, average, multidim_average,
                                  ignore_index, validate_args, zero_division, _name="multilabel_f1_score")


def fbeta_score(preds, target, task: str, beta: float = 1.0, threshold: float = 0.5,
                num_classes: int | None = None, num_labels: int | None = None, average: str | None = "micro",
                multidim_average: str = "global", top_k: int | None = 1, ignore_index: int | None = None,
                validate_args: bool = True, zero_division: float = 0) -> tl.Tensor:
    task = ss.task_of(task, "fbeta_score")
    if task == "binary":
        return binary_fbeta_score(preds, target, beta, threshold, multidim_average, ignore_index, validate_args,
                                  zero_division)
    if task == "multiclass":
        ss.require_int(num_classes, "num_classes", task, "fbeta_score")
        ss.require_int(top_k, "top_k", task, "fbeta_score")
        return multiclass_fbeta_score(preds, target, beta, num_classes, average, top_k, multidim_average,
                                      ignore_index, validate_args, zero_division)
    ss.require_int(num_labels, "num_labels", task, "fbeta_score")
    return multilabel_fbeta_score(preds, target, beta, num_labels, threshold, average, multidim_average,
                                  ignore_index, validate_args, zero_division)


def f1_score(preds, target, task: str, threshold: float = 0.5, num_classes: int | None = None,
             num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
             top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
             zero_division: float = 0) -> tl.Tensor:
    return fbeta_score(preds, target, task, 1.0, threshold, num_classes, num_labels, average, multidim_average,
                       top_k, ignore_index, validate_args, zero_division)
