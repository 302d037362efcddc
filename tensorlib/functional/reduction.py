"""Reductions, softmax and norms at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/reduction.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from .. import dtypes as _dtypes
from .. import return_types
from .._backend import xp
from ..kernels._utils import normalize_dim, normalize_dims
from ..kernels.reduction import (
    AmaxAmin,
    Cumprod,
    Cumsum,
    LogSoftmax,
    Logsumexp,
    MaxMinAll,
    MaxMinDim,
    Mean,
    Norm,
    Prod,
    Softmax,
    Sum,
    Var,
    _correction,
    _implicit_dim,
)
from ..tensor import Tensor
from ._utils import cast
from .elementwise import abs, maximum, minimum, pow, sqrt, where

__all__ = ["sum", "mean", "nansum", "prod", "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin",
           "aminmax", "argmax", "argmin", "logsumexp", "cumsum", "cumprod", "norm", "softmax", "log_softmax", "all",
           "any", "count_nonzero"]




def _reduce_dtype(input: Tensor, dtype):
    if dtype is not None:
        return _dtypes.to_numpy_dtype(dtype)
    return xp.dtype(xp.int64) if input._data.dtype.kind in "biu" else None


def sum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum over ``dim`` (int, tuple or None for all); integer/bool inputs sum to int64 as in PyTorch."""
    return Sum.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim,
                     dtype=_reduce_dtype(input, dtype))


def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {input.dtype.name.capitalize()}")
    return Mean.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim)


def nansum(input, dim=None, keepdim: bool = False):
    return sum(where(xp.isnan(input._data), 0.0, input), dim, keepdim)


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    if input._data.dtype.kind in "bi" or input._data.dtype.kind == "u":
        return Tensor._wrap(input._data.prod(axis=dim, keepdims=keepdim, dtype=xp.int64))
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    return Prod.apply(input, axis=axis, keepdim=keepdim)


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance with Bessel's ``correction`` (default 1); ``unbiased`` is the older spelling."""
    if isinstance(dim, bool):  # var(x, False): the positional ``unbiased`` of old PyTorch
        dim, unbiased = None, dim
    return Var.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim,
                     correction=_correction(unbiased, correction))


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def _max_min(input, dim, keepdim, is_max: bool):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        return maximum(input, dim) if is_max else minimum(input, dim)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return MaxMinAll.apply(input, is_max=is_max)
    dim = normalize_dim(dim, input.ndim)
    if input._data.ndim and input._data.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    values = MaxMinDim.apply(input, dim=dim, keepdim=keepdim, is_max=is_max)
    fn = xp.argmax if is_max else xp.argmin
    indices = fn(input._data, axis=dim, keepdims=keepdim) if input.ndim else xp.asarray(0)
    result_type = return_types.max if is_max else return_types.min
    return result_type(values, Tensor._wrap(xp.asarray(indices, dtype=xp.int64)))


def max(input, dim=None, keepdim: bool = False):
    """``max()`` -> value; ``max(dim)`` -> (values, indices); ``max(other)`` -> elementwise maximum."""
    return _max_min(input, dim, keepdim, True)


def min(input, dim=None, keepdim: bool = False):
    return _max_min(input, dim, keepdim, False)


def amax(input, dim=(), keepdim: bool = False):
    return AmaxAmin.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim, is_max=True)


def amin(input, dim=(), keepdim: bool = False):
    return AmaxAmin.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim, is_max=False)


def aminmax(input, *, dim=None, keepdim: bool = False):
    return return_types.aminmax(amin(input, dim if dim is not None else (), keepdim),
                                 amax(input, dim if dim is not None else (), keepdim))


def argmax(input, dim=None, keepdim: bool = False):
    if dim is None:
        out = xp.argmax(input._data)
        return Tensor._wrap(xp.asarray(out, dtype=xp.int64).reshape((1,) * input.ndim if keepdim else ()))
    dim = normalize_dim(dim, input.ndim)
    return Tensor._wrap(xp.argmax(input._data, axis=dim, keepdims=keepdim).astype(xp.int64))


def argmin(input, dim=None, keepdim: bool = False):
    if dim is None:
        out = xp.argmin(input._data)
        return Tensor._wrap(xp.asarray(out, dtype=xp.int64).reshape((1,) * input.ndim if keepdim else ()))
    dim = normalize_dim(dim, input.ndim)
    return Tensor._wrap(xp.argmin(input._data, axis=dim, keepdims=keepdim).astype(xp.int64))


def logsumexp(input, dim, keepdim: bool = False):
    return Logsumexp.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim)


def cumsum(input, dim: int, *, dtype=None):
    dt = _reduce_dtype(input, dtype)
    return Cumsum.apply(input, dim=normalize_dim(dim, input.ndim), dtype=dt)


def cumprod(input, dim: int, *, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    if input._data.dtype.kind != "f":
        return Tensor._wrap(xp.cumprod(input._data, axis=dim, dtype=xp.int64))
    return Cumprod.apply(input, dim=normalize_dim(dim, input.ndim))


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default): p in {'fro', 2, 1, inf, -inf, 0, any float}."""

    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    axes = normalize_dims(dim, input.ndim)
    if p in ("fro", 2, 2.0, None):
        return Norm.apply(input, axes=axes, keepdim=keepdim)
    dims = axes if axes is not None else tuple(range(input.ndim))
    if p == float("inf"):
        return amax(abs(input), dims, keepdim)
    if p == float("-inf"):
        return amin(abs(input), dims, keepdim)
    if p == 0:
        return sum((input != 0).float(), dims, keepdim)
    if p == 1:
        return sum(abs(input), dims, keepdim)
    return pow(sum(pow(abs(input), p), dims, keepdim), 1.0 / p)


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    return Softmax.apply(input, dim=normalize_dim(_implicit_dim(input, dim), input.ndim))


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    return LogSoftmax.apply(input, dim=normalize_dim(_implicit_dim(input, dim), input.ndim))


def all(input, dim=None, keepdim: bool = False):
    axes = normalize_dims(dim, input.ndim)
    return Tensor._wrap(xp.all(input._data, axis=axes, keepdims=keepdim))


def any(input, dim=None, keepdim: bool = False):
    axes = normalize_dims(dim, input.ndim)
    return Tensor._wrap(xp.any(input._data, axis=axes, keepdims=keepdim))


def count_nonzero(input, dim=None):
    return Tensor._wrap(xp.asarray(xp.count_nonzero(input._data, axis=dim), dtype=xp.int64))
