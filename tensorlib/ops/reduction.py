"""Reductions: sum/mean/prod/var/std, max/min (values and indices), logsumexp, cumsum/cumprod, norm,
softmax/log_softmax, all/any, argmax/argmin.

Subgradients as PyTorch: ``max(dim)``/``min(dim)`` send the gradient to the returned index; ``amax``/``amin``
and the full ``max()``/``min()`` split it evenly among ties.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

from .. import dtypes as _dtypes
from .._backend import xp
from ..autograd.function import Function
from ..tensor import Tensor
from ._utils import cast, expand_reduced, normalize_dim, normalize_dims

values_indices = namedtuple("values_indices", ["values", "indices"])


class Sum(Function):
    saves_inputs = False

    def forward(self, x):
        self.shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdim, dtype=self.dtype)

    def backward(self, g):
        return expand_reduced(g, self.shape, self.axes, self.keepdim)


class Mean(Function):
    saves_inputs = False

    def forward(self, x):
        self.shape = x.shape
        out = x.mean(axis=self.axes, keepdims=self.keepdim)
        self.count = x.size // builtins.max(out.size, 1) if x.size else 0
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        return expand_reduced(g / self.count, self.shape, self.axes, self.keepdim)


class Prod(Function):
    def forward(self, x):
        self.x = x
        self.out = x.prod(axis=self.axis, keepdims=self.keepdim)
        return self.out

    def backward(self, g):
        x, axis = self.x, self.axis
        axes = None if axis is None else (axis,)
        g_full = expand_reduced(g, x.shape, axes, self.keepdim)
        if not (x == 0).any():
            out = expand_reduced(self.out, x.shape, axes, self.keepdim)
            return g_full * out / x
        # with zeros: product of all the other elements, via exclusive cumulative products from both sides
        flat = x.reshape(-1) if axis is None else xp.moveaxis(x, axis, -1)
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
        others = left * right
        others = others.reshape(x.shape) if axis is None else xp.moveaxis(others, -1, axis)
        return g_full * others


class Var(Function):
    def forward(self, x):
        self.x = x
        self.mean = x.mean(axis=self.axes, keepdims=True)
        n = x.size if self.axes is None else int(xp.prod([x.shape[a] for a in self.axes]))
        self.denominator = builtins.max(n - self.correction, 0)
        out = ((x - self.mean) ** 2).sum(axis=self.axes, keepdims=self.keepdim)
        with xp.errstate(divide="ignore", invalid="ignore"):
            return (out / self.denominator).astype(x.dtype, copy=False)

    def backward(self, g):
        g = expand_reduced(g, self.x.shape, self.axes, self.keepdim)
        return g * (2.0 / self.denominator) * (self.x - self.mean)


class MaxMinAll(Function):
    """Full max()/min(): the gradient is split evenly among tied extrema."""

    def forward(self, x):
        self.x = x
        self.out = x.max() if self.is_max else x.min()
        return self.out

    def backward(self, g):
        mask = self.x == self.out
        return mask * (g / mask.sum())


class AmaxAmin(Function):
    def forward(self, x):
        self.x = x
        fn = xp.amax if self.is_max else xp.amin
        self.out = fn(x, axis=self.axes, keepdims=True)
        return self.out if self.keepdim else self.out.reshape(_drop(x.shape, self.axes))

    def backward(self, g):
        mask = self.x == self.out
        count = mask.sum(axis=self.axes, keepdims=True)
        g = expand_reduced(g, self.x.shape, self.axes, self.keepdim)
        return g * mask / count


class MaxMinDim(Function):
    """max(dim)/min(dim) values: the gradient goes to the returned index."""

    saves_inputs = False

    def forward(self, x):
        self.shape = x.shape
        fn = xp.argmax if self.is_max else xp.argmin
        self.indices = xp.expand_dims(fn(x, axis=self.dim), self.dim)
        values = xp.take_along_axis(x, self.indices, axis=self.dim)
        return values if self.keepdim else values.squeeze(self.dim)

    def backward(self, g):
        grad = xp.zeros(self.shape, dtype=g.dtype)
        if not self.keepdim:
            g = xp.expand_dims(g, self.dim)
        xp.put_along_axis(grad, self.indices, g, axis=self.dim)
        return grad


class LogSumExp(Function):
    def forward(self, x):
        self.x = x
        peak = xp.amax(x, axis=self.axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        self.out = xp.log(xp.exp(x - peak).sum(axis=self.axes, keepdims=True)) + peak
        return self.out if self.keepdim else self.out.reshape(_drop(x.shape, self.axes))

    def backward(self, g):
        g = expand_reduced(g, self.x.shape, self.axes, self.keepdim)
        return g * xp.exp(self.x - self.out)


class Cumsum(Function):
    saves_inputs = False

    def forward(self, x):
        return xp.cumsum(x, axis=self.dim, dtype=self.dtype)

    def backward(self, g):
        return xp.flip(xp.cumsum(xp.flip(g, self.dim), axis=self.dim), self.dim)


class Cumprod(Function):
    def forward(self, x):
        self.x = x
        self.out = xp.cumprod(x, axis=self.dim)
        return self.out

    def backward(self, g):
        x, dim = self.x, self.dim
        if not (x == 0).any():
            return xp.flip(xp.cumsum(xp.flip(g * self.out, dim), axis=dim), dim) / x
        # rare path with zeros: d out_k / d x_i = prod_{j<=k, j!=i} x_j, one position at a time
        x_last, g_last = xp.moveaxis(x, dim, -1), xp.moveaxis(g, dim, -1)
        grad = xp.empty_like(x_last)
        for i in range(x_last.shape[-1]):
            others = x_last.copy()
            others[..., i] = 1
            partial = xp.cumprod(others, axis=-1)
            grad[..., i] = (g_last[..., i:] * partial[..., i:]).sum(axis=-1)
        return xp.moveaxis(grad, -1, dim)


class Norm2(Function):
    """Euclidean norm; gradient 0 at the origin (PyTorch's subgradient)."""

    def forward(self, x):
        self.x = x
        self.out = xp.sqrt((x * x).sum(axis=self.axes, keepdims=True))
        return self.out if self.keepdim else self.out.reshape(_drop(x.shape, self.axes))

    def backward(self, g):
        g = expand_reduced(g, self.x.shape, self.axes, self.keepdim)
        safe = xp.where(self.out == 0, 1, self.out)
        return g * self.x / safe


class Softmax(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        shifted = xp.exp(x - x.max(axis=self.dim, keepdims=True))
        self.y = shifted / shifted.sum(axis=self.dim, keepdims=True)
        return self.y

    def backward(self, g):
        y = self.y
        return y * (g - (g * y).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        shifted = x - x.max(axis=self.dim, keepdims=True)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=self.dim, keepdims=True))
        return self.y

    def backward(self, g):
        return g - xp.exp(self.y) * g.sum(axis=self.dim, keepdims=True)


def _drop(shape, axes):
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


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
    from .elementwise import where

    return sum(where(xp.isnan(input._data), 0.0, input), dim, keepdim)


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    if input._data.dtype.kind in "bi" or input._data.dtype.kind == "u":
        return Tensor._wrap(input._data.prod(axis=dim, keepdims=keepdim, dtype=xp.int64))
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    return Prod.apply(input, axis=axis, keepdim=keepdim)


def _correction(unbiased, correction) -> float:
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance with Bessel's ``correction`` (default 1); ``unbiased`` is the older spelling."""
    if isinstance(dim, bool):  # var(x, False): the positional ``unbiased`` of old PyTorch
        dim, unbiased = None, dim
    return Var.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim,
                     correction=_correction(unbiased, correction))


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    from .elementwise import sqrt

    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def _max_min(input, dim, keepdim, is_max: bool):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        from .elementwise import maximum, minimum

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
    return values_indices(values, Tensor._wrap(xp.asarray(indices, dtype=xp.int64)))


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
    return namedtuple("aminmax", ["min", "max"])(amin(input, dim if dim is not None else (), keepdim),
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
    return LogSumExp.apply(input, axes=normalize_dims(dim, input.ndim), keepdim=keepdim)


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
    from .elementwise import abs as abs_
    from .elementwise import pow as pow_

    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    axes = normalize_dims(dim, input.ndim)
    if p in ("fro", 2, 2.0, None):
        return Norm2.apply(input, axes=axes, keepdim=keepdim)
    dims = axes if axes is not None else tuple(range(input.ndim))
    if p == float("inf"):
        return amax(abs_(input), dims, keepdim)
    if p == float("-inf"):
        return amin(abs_(input), dims, keepdim)
    if p == 0:
        return sum((input != 0).float(), dims, keepdim)
    if p == 1:
        return sum(abs_(input), dims, keepdim)
    return pow_(sum(pow_(abs_(input), p), dims, keepdim), 1.0 / p)


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    return Softmax.apply(input, dim=normalize_dim(_implicit_dim(input, dim), input.ndim))


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = cast(input, _dtypes.to_numpy_dtype(dtype))
    return LogSoftmax.apply(input, dim=normalize_dim(_implicit_dim(input, dim), input.ndim))


def _implicit_dim(input, dim):
    if dim is not None:
        return dim
    import warnings

    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1


def all(input, dim=None, keepdim: bool = False):
    axes = normalize_dims(dim, input.ndim)
    return Tensor._wrap(xp.all(input._data, axis=axes, keepdims=keepdim))


def any(input, dim=None, keepdim: bool = False):
    axes = normalize_dims(dim, input.ndim)
    return Tensor._wrap(xp.any(input._data, axis=axes, keepdims=keepdim))


def count_nonzero(input, dim=None):
    return Tensor._wrap(xp.asarray(xp.count_nonzero(input._data, axis=dim), dtype=xp.int64))
