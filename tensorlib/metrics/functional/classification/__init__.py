"""Functional classification metrics (``torchmetrics.functional.classification``)."""

from .accuracy import accuracy, binary_accuracy, multiclass_accuracy, multilabel_accuracy
from .auroc import auroc, binary_auroc, multiclass_auroc, multilabel_auroc
from .average_precision import (
                                average_precision,
                                binary_average_precision,
                                multiclass_average_precision,
                                multilabel_average_precision,
)
from .calibration_error import binary_calibration_error, calibration_error, multiclass_calibration_error
from .confusion_matrix import (
                                binary_confusion_matrix,
                                confusion_matrix,
                                multiclass_confusion_matrix,
                                multilabel_confusion_matrix,
)
from .f_beta import (
                                binary_f1_score,
                                binary_fbeta_score,
                                f1_score,
                                fbeta_score,
                                multiclass_f1_score,
                                multiclass_fbeta_score,
                                multilabel_f1_score,
                                multilabel_fbeta_score,
)
from .precision_recall import (
                                binary_precision,
                                binary_recall,
                                multiclass_precision,
                                multiclass_recall,
                                multilabel_precision,
                                multilabel_recall,
                                precision,
                                recall,
)
from .stat_scores import binary_stat_scores, multiclass_stat_scores, multilabel_stat_scores

__all__ = [
    "accuracy", "binary_accuracy", "multiclass_accuracy", "multilabel_accuracy",
    "auroc", "binary_auroc", "multiclass_auroc", "multilabel_auroc",
    "average_precision", "binary_average_precision", "multiclass_average_precision", "multilabel_average_precision",
    "calibration_error", "binary_calibration_error", "multiclass_calibration_error",
    "confusion_matrix", "binary_confusion_matrix", "multiclass_confusion_matrix", "multilabel_confusion_matrix",
    "f1_score", "binary_f1_score", "multiclass_f1_score", "multilabel_f1_score",
    "fbeta_score", "binary_fbeta_score", "multiclass_fbeta_score", "multilabel_fbeta_score",
    "precision", "binary_precision", "multiclass_precision", "multilabel_precision",
    "recall", "binary_recall", "multiclass_recall", "multilabel_recall",
    "binary_stat_scores", "multiclass_stat_scores", "multilabel_stat_scores",
]
