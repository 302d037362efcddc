"""Reductions: sum/mean/prod/var/std, max/min (values and indices), logsumexp, cumsum/cumprod, norm,
softmax/log_softmax, all/any, argmax/argmin.

Subgradients as PyTorch: ``max(dim)``/``min(dim)`` send the gradient to the returned index; ``amax``/``amin``
and the full ``max()``/``min()`` split it evenly among ties."""

from __future__ import annotations

import builtins

from .._backend import xp
from ..autograd.function import Function
from ._utils import const, expand_reduced, expand_reduced_tensor
from .shape import Cat, Stack

__all__ = ["Sum", "Mean", "Prod", "Var", "MaxMinAll", "AmaxAmin", "MaxMinDim", "Logsumexp", "Cumsum", "Cumprod",
           "Norm", "Softmax", "LogSoftmax"]


class Sum(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdim, dtype=self.dtype)

    def backward(self, g):
        return expand_reduced(g, self.shape, self.axes, self.keepdim)

    def backward_tensors(self, g):
        return expand_reduced_tensor(g, self.shape, self.axes, self.keepdim)


class Mean(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.shape = x.shape
        out = x.mean(axis=self.axes, keepdims=self.keepdim)
        self.count = x.size // builtins.max(out.size, 1) if x.size else 0
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        return expand_reduced(g / self.count, self.shape, self.axes, self.keepdim)

    def backward_tensors(self, g):
        return expand_reduced_tensor(g / self.count, self.shape, self.axes, self.keepdim)


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

    def backward_tensors(self, g):
        x, axis = self.inputs[0], self.axis
        axes = None if axis is None else (axis,)
        g_full = expand_reduced_tensor(g, self.x.shape, axes, self.keepdim)
        if not (self.x == 0).any():
            out = x.prod() if axis is None else x.prod(axis, keepdim=self.keepdim)
            return g_full * expand_reduced_tensor(out, self.x.shape, axes, self.keepdim) / x
        # with zeros: product of all the other elements, from exclusive cumulative products on both sides
        flat = x.reshape(-1) if axis is None else x.movedim(axis, -1)
        ones = const(g, xp.ones(tuple(flat.shape[:-1]) + (1,)))
        left = Cat.apply(ones, flat[..., :-1], dim=-1).cumprod(-1)
        right = Cat.apply(ones, flat.flip((-1,))[..., :-1], dim=-1).cumprod(-1).flip((-1,))
        others = left * right
        others = others.reshape(self.x.shape) if axis is None else others.movedim(-1, axis)
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

    def backward_tensors(self, g):
        x = self.inputs[0]
        g = expand_reduced_tensor(g, self.x.shape, self.axes, self.keepdim)
        mean = x.mean(dim=self.axes, keepdim=True) if self.axes is not None else x.mean()
        return g * (2.0 / self.denominator) * (x - mean)


class MaxMinAll(Function):
    """Full max()/min(): the gradient is split evenly among tied extrema."""

    def name(self) -> str:
        return ("MaxBackward1" if self.is_max else "MinBackward1")

    def forward(self, x):
        self.x = x
        self.out = x.max() if self.is_max else x.min()
        return self.out

    def backward(self, g):
        mask = self.x == self.out
        return mask * (g / mask.sum())

    def backward_tensors(self, g):
        mask = self.x == self.out
        return g * const(g, mask / mask.sum())


class AmaxAmin(Function):

    def name(self) -> str:
        return ("AmaxBackward0" if self.is_max else "AminBackward0")

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

    def backward_tensors(self, g):
        mask = self.x == self.out
        g = expand_reduced_tensor(g, self.x.shape, self.axes, self.keepdim)
        return g * const(g, mask / mask.sum(axis=self.axes, keepdims=True))


class MaxMinDim(Function):
    """max(dim)/min(dim) values: the gradient goes to the returned index."""

    def name(self) -> str:
        return ("MaxBackward0" if self.is_max else "MinBackward0")


    saves_inputs = False
    keeps_inputs = False

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

    def backward_tensors(self, g):
        if not self.keepdim:
            g = g.unsqueeze(self.dim)
        zeros = const(g, xp.zeros(self.shape))
        return zeros.scatter(self.dim, g._wrap(self.indices), g)


class Logsumexp(Function):
    def forward(self, x):
        self.x = x
        peak = xp.amax(x, axis=self.axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        self.out = xp.log(xp.exp(x - peak).sum(axis=self.axes, keepdims=True)) + peak
        return self.out if self.keepdim else self.out.reshape(_drop(x.shape, self.axes))

    def backward(self, g):
        g = expand_reduced(g, self.x.shape, self.axes, self.keepdim)
        return g * xp.exp(self.x - self.out)

    def backward_tensors(self, g):
        x = self.inputs[0]
        out = x.logsumexp(self.axes if self.axes is not None else tuple(range(x.ndim)), keepdim=True)
        g = expand_reduced_tensor(g, self.x.shape, self.axes, self.keepdim)
        return g * (x - out).exp()


class Cumsum(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        return xp.cumsum(x, axis=self.dim, dtype=self.dtype)

    def backward(self, g):
        return xp.flip(xp.cumsum(xp.flip(g, self.dim), axis=self.dim), self.dim)

    def backward_tensors(self, g):
        return g.flip((self.dim,)).cumsum(self.dim).flip((self.dim,))


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

    def backward_tensors(self, g):
        x, dim = self.inputs[0], self.dim
        if not (self.x == 0).any():
            return (g * x.cumprod(dim)).flip((dim,)).cumsum(dim).flip((dim,)) / x
        # rare path with zeros: d out_k / d x_i = prod_{j<=k, j!=i} x_j, one position at a time
        x_last, g_last = x.movedim(dim, -1), g.movedim(dim, -1)
        length = x_last.shape[-1]
        columns = []
        for i in range(length):
            hole = xp.zeros(length)
            hole[i] = 1
            partial = (x_last * const(g, 1 - hole) + const(g, hole)).cumprod(-1)
            columns.append((g_last[..., i:] * partial[..., i:]).sum(dim=-1))
        return Stack.apply(*columns, dim=-1).movedim(-1, dim)


class Norm(Function):
    """Euclidean norm; gradient 0 at the origin (PyTorch's subgradient)."""

    def forward(self, x):
        self.x = x
        self.out = xp.sqrt((x * x).sum(axis=self.axes, keepdims=True))
        return self.out if self.keepdim else self.out.reshape(_drop(x.shape, self.axes))

    def backward(self, g):
        g = expand_reduced(g, self.x.shape, self.axes, self.keepdim)
        safe = xp.where(self.out == 0, 1, self.out)
        return g * self.x / safe

    def backward_tensors(self, g):
        x = self.inputs[0]
        g = expand_reduced_tensor(g, self.x.shape, self.axes, self.keepdim)
        out = (x * x).sum(dim=self.axes, keepdim=True) if self.axes is not None else (x * x).sum()
        safe = out + const(g, self.out == 0)
        return g * x / safe.sqrt()


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

    def backward_tensors(self, g):
        y = self.inputs[0].softmax(self.dim)
        return y * (g - (g * y).sum(dim=self.dim, keepdim=True))


class LogSoftmax(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        shifted = x - x.max(axis=self.dim, keepdims=True)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=self.dim, keepdims=True))
        return self.y

    def backward(self, g):
        return g - xp.exp(self.y) * g.sum(axis=self.dim, keepdims=True)

    def backward_tensors(self, g):
        y = self.inputs[0].softmax(self.dim)
        return g - y * g.sum(dim=self.dim, keepdim=True)


def _drop(shape, axes):
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _correction(unbiased, correction) -> float:
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _implicit_dim(input, dim):
    if dim is not None:
        return dim
    import warnings

    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1
