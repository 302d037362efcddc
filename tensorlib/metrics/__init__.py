"""tensorlib.metrics: torchmetrics' stateful metrics on tensorlib (``import tensorlib.metrics as torchmetrics``).

``Metric`` objects accumulate states across ``update(preds, target)`` calls, ``compute()`` the value over
everything seen (reducing states across processes when ``tensorlib.distributed`` is initialised) and
``reset()``; calling one (``forward``) returns the batch value while accumulating. Functional forms live in
``tensorlib.metrics.functional``. A trainer logging a Metric object calls ``compute()`` at epoch end and then
``reset()``.
"""

from . import functional
from .aggregation import CatMetric, MaxMetric, MeanMetric, MinMetric, SumMetric
from .classification import *  # noqa: F403
from .classification import __all__ as _classification_all
from .collections import MetricCollection
from .metric import Metric
from .plot import MetricFigure, plot_confusion_matrix
from .regression import MeanAbsoluteError, MeanSquaredError, R2Score
from .report import format_classification_report, format_confusion_matrix

__all__ = [
    "Metric", "MetricCollection", "functional",
    "CatMetric", "MaxMetric", "MeanMetric", "MinMetric", "SumMetric",
    *_classification_all,
    "MeanAbsoluteError", "MeanSquaredError", "R2Score",
    "MetricFigure", "plot_confusion_matrix", "format_classification_report", "format_confusion_matrix",
]
