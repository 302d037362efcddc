"""Pooling at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/pooling.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from .._backend import xp
from ..errors import InputShapeError
from ..kernels._utils import _pair
from ..kernels.conv import IntOrPair
from ..kernels.pooling import (
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AvgPool2D,
    MaxPool2DWithIndices,
    MaxUnpool2D,
    _empty,
    _first,
    pool_output_size,
)
from ..tensor import Tensor

__all__ = ["max_pool2d", "max_pool1d", "avg_pool2d", "avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d", "max_unpool2d"]


# --------------------------------------------------------------------------------------------- public API
def _pool_geometry(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool, op: str, max_pool: bool):
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if _empty(stride) else _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero, but got "
                           f"kernel_size={kernel}, stride={stride}, dilation={dilation}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > k // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    h, w = x.shape[-2:]
    out_hw = tuple(pool_output_size(n, k, s, p, d, ceil_mode)
                   for n, k, s, p, d in zip((h, w), kernel, stride, padding, dilation))
    if min(out_hw) < 1:
        c = x.shape[-3]
        raise InputShapeError(f"{op}: Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out_hw[0]}x{out_hw[1]}). Output size is too small")
    if max_pool and kernel[0] * kernel[1] > 255:
        raise RuntimeError(f"{op}: kernel_size {kernel} is larger than the supported 255 elements")
    return dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation, out_hw=out_hw)


def _check_pool_input(x: Tensor, dims: int, op: str) -> None:
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got: {list(x.shape)}")


def _batched(x: Tensor, dims: int):
    return (x, False) if x.ndim == dims + 2 else (x.unsqueeze(0), True)


def max_pool2d(input: Tensor, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None, padding: IntOrPair = 0,
               dilation: IntOrPair = 1, ceil_mode: bool = False, return_indices: bool = False):
    """Max pooling over (N, C, H, W) or (C, H, W); with ``return_indices`` also the flat H*W argmax indices."""
    _check_pool_input(input, 2, "max_pool2d")
    x, unbatched = _batched(input, 2)
    geo = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d", True)
    out = MaxPool2DWithIndices.apply(x, geo=geo)
    if return_indices:
        fn = out.grad_fn if out.grad_fn is not None else None
        indices = _indices_of(fn, x, geo)
        if unbatched:
            return out.squeeze(0), indices.squeeze(0)
        return out, indices
    return out.squeeze(0) if unbatched else out


def _indices_of(fn, x: Tensor, geo) -> Tensor:
    if fn is None:  # no graph (no_grad / no requires_grad): recompute the argmax on a throwaway instance
        fn = MaxPool2DWithIndices(geo=geo)
        fn.forward(x._data)
    return Tensor._wrap(fn.indices())


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max pooling over (N, C, L) or (C, L)."""
    _check_pool_input(input, 1, "max_pool1d")
    stride = None if _empty(stride) else (1, _first(stride))
    result = max_pool2d(input.unsqueeze(-2), (1, _first(kernel_size)), stride, (0, _first(padding)),
                        (1, _first(dilation)), ceil_mode, return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def avg_pool2d(input: Tensor, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None, padding: IntOrPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """Average pooling over (N, C, H, W) or (C, H, W)."""
    _check_pool_input(input, 2, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"avg_pool2d: expected a floating point input, got {input.dtype}")
    x, unbatched = _batched(input, 2)
    geo = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d", False)
    out = AvgPool2D.apply(x, geo=geo, count_include_pad=count_include_pad, divisor_override=divisor_override)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Average pooling over (N, C, L) or (C, L)."""
    _check_pool_input(input, 1, "avg_pool1d")
    stride = None if _empty(stride) else (1, _first(stride))
    return avg_pool2d(input.unsqueeze(-2), (1, _first(kernel_size)), stride, (0, _first(padding)), ceil_mode,
                      count_include_pad).squeeze(-2)


def _adaptive_size(x: Tensor, output_size, dims: int, op: str) -> Tuple[int, ...]:
    sizes = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {dims} ints, got {output_size!r}")
    sizes = tuple(int(x.shape[x.ndim - dims + i]) if s is None else int(s) for i, s in enumerate(sizes))
    if min(sizes) < 1 and x._data.size:
        raise RuntimeError(f"{op}: output_size must be positive, got {sizes}")
    if any(x.shape[x.ndim - dims + i] == 0 for i in range(dims)):
        raise RuntimeError(f"{op}: Expected input to have non-zero size for non-batch dimensions, but input has "
                           f"sizes {list(x.shape)}")
    return sizes


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins to an (OH, OW) output; ``None`` in output_size keeps that size."""
    _check_pool_input(input, 2, "adaptive_avg_pool2d")
    x, unbatched = _batched(input, 2)
    out_hw = _adaptive_size(x, output_size, 2, "adaptive_avg_pool2d")
    out = AdaptiveAvgPool2D.apply(x, out_hw=out_hw)
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    _check_pool_input(input, 1, "adaptive_avg_pool1d")
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive bins; with ``return_indices`` also the flat H*W argmax indices."""
    _check_pool_input(input, 2, "adaptive_max_pool2d")
    x, unbatched = _batched(input, 2)
    out_hw = _adaptive_size(x, output_size, 2, "adaptive_max_pool2d")
    h, w = x.shape[2:]
    if h % out_hw[0] == 0 and w % out_hw[1] == 0:  # uniform bins: plain max pooling
        kernel = (h // out_hw[0], w // out_hw[1])
        result = max_pool2d(x, kernel, kernel, 0, 1, False, return_indices)
    else:
        out = AdaptiveMaxPool2D.apply(x, out_hw=out_hw)
        if return_indices:
            fn = out.grad_fn
            if fn is None:
                fn = AdaptiveMaxPool2D(out_hw=out_hw)
                fn.forward(x._data)
            result = (out, Tensor._wrap(fn.index))
        else:
            result = out
    if not unbatched:
        return result
    return (result[0].squeeze(0), result[1].squeeze(0)) if return_indices else result.squeeze(0)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    _check_pool_input(input, 1, "adaptive_max_pool1d")
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    result = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None,
                 padding: IntOrPair = 0, output_size: Optional[Sequence[int]] = None) -> Tensor:
    """Inverse of max_pool2d: put each value at its flat index in a zero (N, C, H, W) output."""
    _check_pool_input(input, 2, "max_unpool2d")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"max_unpool2d: expected indices of the input's shape {list(input.shape)}, got "
                           f"{list(indices.shape)}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(input.shape[-2:], stride, padding, kernel))
    if output_size is None:
        out_hw = default
    else:
        out_hw = tuple(int(v) for v in tuple(output_size)[-2:])
        for o, d, s in zip(out_hw, default, stride):
            if not d - s < o < d + s:
                raise ValueError(f"invalid output_size {tuple(output_size)} (dim must be between "
                                 f"{tuple(d - s + 1 for d, s in zip(default, stride))} and "
                                 f"{tuple(d + s - 1 for d, s in zip(default, stride))})")
    x, unbatched = _batched(input, 2)
    idx, _ = _batched(indices, 2)
    index = idx._data.astype(xp.int64, copy=False)
    if index.size and (index.min() < 0 or index.max() >= out_hw[0] * out_hw[1]):
        raise RuntimeError(f"max_unpool2d: found an invalid max index {int(index.max())} (output volumes are of "
                           f"size {out_hw[0]}x{out_hw[1]})")
    out = MaxUnpool2D.apply(x, Tensor._wrap(index), out_hw=out_hw, x_hw=tuple(x.shape[2:]))
    return out.squeeze(0) if unbatched else out
