"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose2d`` (kernels in ``tensorlib.ops.conv``)."""

from ...ops.conv import conv1d, conv2d, conv_transpose2d

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]
