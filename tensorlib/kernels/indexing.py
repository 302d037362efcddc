"""Indexing: ``__getitem__``/``__setitem__``, gather/scatter, index_select, masked ops, nonzero.

Backward of advanced (integer/bool) indexing scatter-adds, so repeated indices accumulate their gradients."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ._adjoint import Adjoint, adjoint
from ._utils import const
from .shape import Slice

__all__ = ["Index", "IndexPut", "Gather", "Scatter", "IndexSelect"]


def _check_bounds(shape, index) -> None:
    """IndexError naming the dimension, as PyTorch: 'index 5 is out of bounds for dimension 0 with size 3'."""
    dim = 0
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            dim = len(shape) - sum(1 for i in index if i is not None and i is not Ellipsis) + dim
            continue
        if dim >= len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        if isinstance(item, (int, xp.integer)) and not -shape[dim] <= item < shape[dim]:
            raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {shape[dim]}")
        if isinstance(item, xp.ndarray) and item.dtype.kind in "iu" and item.size:
            if item.max() >= shape[dim] or item.min() < -shape[dim]:
                bad = item.max() if item.max() >= shape[dim] else item.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {shape[dim]}")
        dim += item.ndim if isinstance(item, xp.ndarray) and item.dtype == xp.bool_ else 1


class Index(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        return x[self.index]

    def backward(self, g):
        grad = xp.zeros(self.in_shape, dtype=g.dtype)
        xp.add.at(grad, self.index, g)
        return grad

    def backward_tensors(self, g):
        return adjoint(self, g)


class IndexPut(Function):
    """``x[index] = value`` with an advanced index (PyTorch's ``IndexPutBackward0``)."""

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x, value):
        out = x.copy()
        out[self.index] = value
        return out

    def backward(self, g):
        need = self.needs_input_grad
        g_x = None
        if need[0]:
            g_x = g.copy()
            g_x[self.index] = 0
        g_value = g[self.index] if need[1] else None
        return g_x, g_value

    def backward_tensors(self, g):
        need = self.needs_input_grad
        g_x = None
        if need[0]:
            keep = xp.ones(g.shape, dtype=bool)
            keep[self.index] = False
            g_x = g * const(g, keep)
        return g_x, (Index.apply(g, index=self.index) if need[1] else None)


class Gather(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        return xp.take_along_axis(x, self.index, axis=self.dim)

    def backward(self, g):
        grad = xp.zeros(self.in_shape, dtype=g.dtype)
        _scatter_add_into(grad, self.dim, self.index, g)
        return grad

    def backward_tensors(self, g):
        return adjoint(self, g)


def _scatter_add_into(target, dim, index, src) -> None:
    """target[..., index[i], ...] += src[i] along ``dim`` (repeated indices accumulate)."""
    full = list(xp.indices(index.shape, sparse=True))
    full[dim] = index
    xp.add.at(target, tuple(full), src)


class Scatter(Function):
    """``out = input`` with ``src`` values written (or added, ``reduce='add'``) at ``index`` along ``dim``."""

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x, src):
        out = x.copy()
        src = xp.broadcast_to(src, self.index.shape) if xp.ndim(src) == 0 else \
            src[tuple(slice(0, s) for s in self.index.shape)]
        full = list(xp.indices(self.index.shape, sparse=True))
        full[self.dim] = self.index
        self.full = tuple(full)
        if self.add:
            xp.add.at(out, self.full, src)
        else:
            out[self.full] = src
        return out

    def backward(self, g):
        need = self.needs_input_grad
        g_x = None
        if need[0]:
            g_x = g
            if not self.add:
                g_x = g.copy()
                g_x[self.full] = 0
        g_src = None
        if len(need) > 1 and need[1]:
            g_src_part = g[self.full]
            g_src = xp.zeros(self.src_shape, dtype=g.dtype)
            g_src[tuple(slice(0, s) for s in self.index.shape)] = g_src_part
        return g_x, g_src

    def backward_tensors(self, g):
        need = self.needs_input_grad
        g_x = g_src = None
        if need[0]:
            g_x = g
            if not self.add:
                keep = xp.ones(g.shape, dtype=bool)
                keep[self.full] = False
                g_x = g * const(g, keep)
        if len(need) > 1 and need[1]:
            g_src = Index.apply(g, index=self.full)
            if tuple(self.src_shape) != tuple(self.index.shape):
                pad = object.__new__(Slice)
                pad.in_shape, pad.index = self.src_shape, tuple(slice(0, s) for s in self.index.shape)
                g_src = Adjoint.apply(g_src, op=pad)
        return g_x, g_src


class IndexSelect(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        return xp.take(x, self.index, axis=self.dim)

    def backward(self, g):
        grad = xp.zeros(self.in_shape, dtype=g.dtype)
        moved = xp.moveaxis(grad, self.dim, 0)
        xp.add.at(moved, self.index, xp.moveaxis(g, self.dim, 0))
        return grad

    def backward_tensors(self, g):
        return adjoint(self, g)
