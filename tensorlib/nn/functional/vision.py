"""Resizing and patch extraction: ``interpolate`` (and the deprecated ``upsample*`` aliases), ``unfold``,
``fold`` (kernels in ``tensorlib.kernels.resample`` / ``tensorlib.kernels.im2col``)."""

from ...functional.conv import fold, unfold
from ...functional.resample import interpolate
from ...tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold"]


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: bilinear with ``align_corners=True`` (as PyTorch's alias)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
