"""Helpers custom metrics use (``torchmetrics.utilities``): the ``dim_zero_*`` state reductions."""

from .._sync import dim_zero_cat, dim_zero_max, dim_zero_mean, dim_zero_min, dim_zero_sum

__all__ = ["dim_zero_cat", "dim_zero_max", "dim_zero_mean", "dim_zero_min", "dim_zero_sum"]
