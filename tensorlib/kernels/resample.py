"""Resampling kernels: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, area) and re-exports
of ``unfold``/``fold`` (which share conv's im2col/col2im in ``ops/conv.py``).

Every supported mode is separable and linear, so resizing one axis is a product with an ``(out, in)``
interpolation matrix built from PyTorch's source-index rules; backward multiplies by the transposes. Nearest
mode gathers in forward (cheaper than a matmul) and uses the same matrices in backward."""

from __future__ import annotations

from typing import Optional

from .._backend import xp
from ..autograd.function import Function
from ._adjoint import adjoint

__all__ = ["Resample"]

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "bicubic": 4}  # the input rank each interpolating mode needs


_NEAREST_MODES = ("nearest", "nearest-exact")


_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient


def nearest_source(in_size: int, out_size: int, scale: Optional[float], exact: bool):
    """PyTorch's nearest index: floor(dst * s) (or floor((dst + 0.5) * s) for nearest-exact), s in float32."""
    s = xp.float32(in_size / out_size if scale is None else 1.0 / scale)
    dst = xp.arange(out_size, dtype=xp.float32)
    if exact:
        dst = dst + xp.float32(0.5)
    return xp.minimum(xp.floor(dst * s).astype(xp.int64), in_size - 1)


def linear_matrix(in_size: int, out_size: int, scale: Optional[float], align_corners: bool, dtype):
    """(out, in) matrix of linear interpolation weights (PyTorch's area_pixel_compute_source_index)."""
    dst = xp.arange(out_size, dtype=xp.float64)
    if align_corners:
        s = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = dst * s
    else:
        s = in_size / out_size if scale is None else 1.0 / scale
        src = xp.maximum(s * (dst + 0.5) - 0.5, 0.0)
    low = xp.minimum(xp.floor(src).astype(xp.int64), in_size - 1)
    high = xp.minimum(low + 1, in_size - 1)
    frac = src - low
    matrix = xp.zeros((out_size, in_size))
    rows = xp.arange(out_size)
    matrix[rows, low] += 1.0 - frac
    matrix[rows, high] += frac
    return matrix.astype(dtype)


def cubic_matrix(in_size: int, out_size: int, scale: Optional[float], align_corners: bool, dtype):
    """(out, in) matrix of bicubic weights: four taps around PyTorch's (unclamped) source index, with indices
    past the border clamped to it (so edge pixels repeat), as ``upsample_bicubic2d``."""
    dst = xp.arange(out_size, dtype=xp.float64)
    if align_corners:
        src = dst * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        src = (in_size / out_size if scale is None else 1.0 / scale) * (dst + 0.5) - 0.5
    base = xp.minimum(xp.floor(src).astype(xp.int64), in_size - 1)
    t = xp.clip(src - base, 0.0, 1.0)
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    matrix = xp.zeros((out_size, in_size))
    rows = xp.arange(out_size)
    for offset, weight in zip((-1, 0, 1, 2), weights):
        xp.add.at(matrix, (rows, xp.clip(base + offset, 0, in_size - 1)), weight)  # built once per call, tiny
    return matrix.astype(dtype)


def area_matrix(in_size: int, out_size: int, dtype):
    """(out, in) matrix of adaptive average pooling: output ``i`` averages inputs
    ``floor(i * in / out)`` to ``ceil((i + 1) * in / out)``."""
    rows = xp.arange(out_size)
    start = (rows * in_size) // out_size
    end = -((-(rows + 1) * in_size) // out_size)
    cols = xp.arange(in_size)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _one_hot(index, in_size: int, dtype):
    return (index[:, None] == xp.arange(in_size)[None, :]).astype(dtype)


class Resample(Function):
    """Resize the last 1 or 2 axes. ``plan`` holds per axis ('gather', index) or ('matrix', (out, in) array)."""

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_sizes = x.shape[-len(self.plan):]
        out = x
        for k, (kind, value) in enumerate(self.plan):
            axis = x.ndim - len(self.plan) + k
            if kind == "gather":
                out = xp.take(out, value, axis=axis)
            elif axis == x.ndim - 1:
                out = xp.matmul(out, value.T)
            else:
                out = xp.matmul(value, out)
        return out

    def backward(self, grad):
        for k, (kind, value) in enumerate(self.plan):
            axis = grad.ndim - len(self.plan) + k
            matrix = _one_hot(value, self.in_sizes[k], grad.dtype) if kind == "gather" else value
            if axis == grad.ndim - 1:
                grad = xp.matmul(grad, matrix)
            else:
                grad = xp.matmul(matrix.T, grad)
        return grad

    def backward_tensors(self, grad):
        return adjoint(self, grad)


def _expand(value, dims: int, name: str):
    if isinstance(value, (list, tuple)):
        if len(value) != dims:
            raise ValueError(f"Input and {name} must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {dims} and {name} of length {len(value)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and {name} in (o1, o2, "
                             "...,oK) format.")
        return tuple(value)
    return (value,) * dims
