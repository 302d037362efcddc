"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose2d`` (kernels in ``tensorlib.kernels.conv``)."""

from ...functional.conv import conv1d, conv2d, conv_transpose2d

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]
