"""Functional metrics (``torchmetrics.functional``): one call on a whole batch, no state."""

from .classification import *  # noqa: F403
from .classification import __all__ as _classification_all
from .regression import mean_absolute_error, mean_squared_error, r2_score

__all__ = [*_classification_all, "mean_absolute_error", "mean_squared_error", "r2_score"]
