"""Padding layers: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad``, ``CircularPad`` (1d/2d/3d).

``padding`` is an int (all sides) or a tuple listing the last dim first: ``(left, right, top, bottom, ...)``.
"""

from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module, shape_error

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _expand(padding, spatial_dims: int) -> tuple:
    if isinstance(padding, int):
        return (padding,) * (2 * spatial_dims)
    padding = tuple(padding)
    if len(padding) != 2 * spatial_dims:
        raise ValueError(f"padding must be an int or a tuple of {2 * spatial_dims} ints, got {padding}")
    return padding


class _PadNd(Module):
    spatial_dims = 1
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _expand(padding, self.spatial_dims)

    def _check(self, input: Tensor) -> None:
        dims = (self.spatial_dims + 1, self.spatial_dims + 2)
        if input.ndim not in dims:
            raise shape_error(self, f"expected {dims[0]}D or {dims[1]}D input, got {input.ndim}D input of shape "
                                    f"{tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check(input)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        self._check(input)
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    spatial_dims = 1


class ConstantPad2d(_ConstantPadNd):
    spatial_dims = 2


class ConstantPad3d(_ConstantPadNd):
    spatial_dims = 3


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    spatial_dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    spatial_dims, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    spatial_dims, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    spatial_dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    spatial_dims, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    spatial_dims, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    spatial_dims, mode = 1, "circular"


class CircularPad2d(_PadNd):
    spatial_dims, mode = 2, "circular"


class CircularPad3d(_PadNd):
    spatial_dims, mode = 3, "circular"
