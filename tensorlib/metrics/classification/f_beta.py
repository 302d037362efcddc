"""``FBetaScore`` and ``F1Score`` (``task=``) and their Binary/Multiclass/Multilabel classes."""

from __future__ import annotations

from typing import Any

import tensorlib as tl

from .. import _host
from ..functional.classification.f_beta import check_beta, fbeta_reduce
from ..metric import Metric
from .stat_scores import (
    BinaryStatScores,
    MulticlassStatScores,
    MultilabelStatScores,
    _ClassificationTaskWrapper,
    make_task_metric,
)


class BinaryFBetaScore(BinaryStatScores):
    higher_is_better = True

    def __init__(self, beta: float, threshold: float = 0.5, multidim_average: str = "global",
                 ignore_index: int | None = None, validate_args: bool = True, zero_division: float = 0,
                 **kwargs: Any) -> None:
        super().__init__(threshold, multidim_average, ignore_index, validate_args, zero_division=zero_division,
                         **kwargs)
        check_beta(beta, type(self).__name__)
        self.beta = beta

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(fbeta_reduce(self._final_state(), self.beta, "binary", zero_division=self.zero_division))


class MulticlassFBetaScore(MulticlassStatScores):
    higher_is_better = True

    def __init__(self, beta: float, num_classes: int | None = None, average: str | None = "macro", top_k: int = 1,
                 multidim_average: str = "global", ignore_index: int | None = None, validate_args: bool = True,
                 zero_division: float = 0, **kwargs: Any) -> None:
        super().__init__(num_classes, top_k, average, multidim_average, ignore_index, validate_args,
                         zero_division=zero_division, **kwargs)
        check_beta(beta, type(self).__name__)
        self.beta = beta

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(fbeta_reduce(self._final_state(), self.beta, self.average,
                                            zero_division=self.zero_division))


class MultilabelFBetaScore(MultilabelStatScores):
    higher_is_better = True

    def __init__(self, beta: float, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                 multidim_average: str = "global", ignore_index: int | None = None, validate_args: bool = True,
                 zero_division: float = 0, **kwargs: Any) -> None:
        super().__init__(num_labels, threshold, average, multidim_average, ignore_index, validate_args,
                         zero_division=zero_division, **kwargs)
        check_beta(beta, type(self).__name__)
        self.beta = beta

    def compute(self) -> tl.Tensor:
        return _host.to_tensor(fbeta_reduce(self._final_state(), self.beta, self.average, multilabel=True,
                                            zero_division=self.zero_division))


class BinaryF1Score(BinaryFBetaScore):
    def __init__(self, threshold: float = 0.5, multidim_average: str = "global", ignore_index: int | None = None,
                 validate_args: bool = True, zero_division: float = 0, **kwargs: Any) -> None:
        super().__init__(1.0, threshold, multidim_average, ignore_index, validate_args, zero_division, **kwargs)


class MulticlassF1Score(MulticlassFBetaScore):
    def __init__(self, num_classes: int | None = None, average: str | None = "macro", top_k: int = 1,
                 multidim_average: str = "global", ignore_index: int | None = None, validate_args: bool = True,
                 zero_division: float = 0, **kwargs: Any) -> None:
        super().__init__(1.0, num_classes, average, top_k, multidim_average, ignore_index, validate_args,
                         zero_division, **kwargs)


class MultilabelF1Score(MultilabelFBetaScore):
    def __init__(self, num_labels: int, threshold: float = 0.5, average: str | None = "macro",
                 multidim_average: str = "global", ignore_index: int | None = None, validate_args: bool = True,
                 zero_division: float = 0, **kwargs: Any) -> None:
        super().__init__(1.0, num_labels, threshold, average, multidim_average, ignore_index, validate_args,
                         zero_division, **kwargs)


class FBetaScore(_ClassificationTaskWrapper):
    def __new__(cls, task: str, beta: float = 1.0, threshold: float = 0.5, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
                top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
                zero_division: float = 0, **kwargs: Any) -> Metric:
        kwargs.update(multidim_average=multidim_average, ignore_index=ignore_index, validate_args=validate_args,
                      zero_division=zero_division)
        return make_task_metric("FBetaScore", task, {
            "binary": lambda: BinaryFBetaScore(beta, threshold, **kwargs),
            "multiclass": lambda: MulticlassFBetaScore(beta, num_classes, average, top_k, **kwargs),
            "multilabel": lambda: MultilabelFBetaScore(beta, num_labels, threshold, average, **kwargs),
        }, num_classes, num_labels, top_k)


class F1Score(_ClassificationTaskWrapper):
    def __new__(cls, task: str, threshold: float = 0.5, num_classes: int | None = None,
                num_labels: int | None = None, average: str | None = "micro", multidim_average: str = "global",
                top_k: int | None = 1, ignore_index: int | None = None, validate_args: bool = True,
                zero_division: float = 0, **kwargs: Any) -> Metric:
        kwargs.update(multidim_average=multidim_average, ignore_index=ignore_index, validate_args=validate_args,
                      zero_division=zero_division)
        return make_task_metric("F1Score", task, {
            "binary": lambda: BinaryF1Score(threshold, **kwargs),
            "multiclass": lambda: MulticlassF1Score(num_classes, average, top_k, **kwargs),
            "multilabel": lambda: MultilabelF1Score(num_labels, threshold, average, **kwargs),
        }, num_classes, num_labels, top_k)
