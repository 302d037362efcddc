"""Classification metrics (``torchmetrics.classification``): the ``task=`` classes and the task-specific ones."""

from .accuracy import Accuracy, BinaryAccuracy, MulticlassAccuracy, MultilabelAccuracy
from .calibration_error import BinaryCalibrationError, CalibrationError, MulticlassCalibrationError
from .confusion_matrix import (
                               BinaryConfusionMatrix,
                               ConfusionMatrix,
                               MulticlassConfusionMatrix,
                               MultilabelConfusionMatrix,
)
from .f_beta import (
                               BinaryF1Score,
                               BinaryFBetaScore,
                               F1Score,
                               FBetaScore,
                               MulticlassF1Score,
                               MulticlassFBetaScore,
                               MultilabelF1Score,
                               MultilabelFBetaScore,
)
from .precision_recall import (
                               BinaryPrecision,
                               BinaryRecall,
                               MulticlassPrecision,
                               MulticlassRecall,
                               MultilabelPrecision,
                               MultilabelRecall,
                               Precision,
                               Recall,
)
from .ranking import (
                               AUROC,
                               AveragePrecision,
                               BinaryAUROC,
                               BinaryAveragePrecision,
                               MulticlassAUROC,
                               MulticlassAveragePrecision,
                               MultilabelAUROC,
                               MultilabelAveragePrecision,
)
from .stat_scores import BinaryStatScores, MulticlassStatScores, MultilabelStatScores, StatScores

__all__ = [
    "Accuracy", "BinaryAccuracy", "MulticlassAccuracy", "MultilabelAccuracy",
    "AUROC", "BinaryAUROC", "MulticlassAUROC", "MultilabelAUROC",
    "AveragePrecision", "BinaryAveragePrecision", "MulticlassAveragePrecision", "MultilabelAveragePrecision",
    "CalibrationError", "BinaryCalibrationError", "MulticlassCalibrationError",
    "ConfusionMatrix", "BinaryConfusionMatrix", "MulticlassConfusionMatrix", "MultilabelConfusionMatrix",
    "F1Score", "BinaryF1Score", "MulticlassF1Score", "MultilabelF1Score",
    "FBetaScore", "BinaryFBetaScore", "MulticlassFBetaScore", "MultilabelFBetaScore",
    "Precision", "BinaryPrecision", "MulticlassPrecision", "MultilabelPrecision",
    "Recall", "BinaryRecall", "MulticlassRecall", "MultilabelRecall",
    "StatScores", "BinaryStatScores", "MulticlassStatScores", "MultilabelStatScores",
]
