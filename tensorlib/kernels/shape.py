"""Shape operations: reshape/view, squeeze/unsqueeze, permute/transpose, expand/repeat, flip/roll, narrow,
cat/stack/split/chunk/unbind. Views share memory where NumPy can (as PyTorch views do)."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function, ViewFunction, replay_view
from ._adjoint import adjoint

__all__ = ["View", "Permute", "Expand", "Repeat", "Flip", "Roll", "Slice", "Cat", "Stack", "Diagonal", "CopySlices"]


def _shape_args(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


class View(ViewFunction):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, g):
        return g.reshape(self.in_shape)

    def backward_tensors(self, g):
        return g.reshape(self.in_shape)


class Permute(ViewFunction):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, g):
        return g.transpose(xp.argsort(self.dims))

    def backward_tensors(self, g):
        return g.permute(*(int(d) for d in xp.argsort(self.dims)))


class Expand(ViewFunction):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        return xp.broadcast_to(x, self.shape)

    def backward(self, g):
        return g  # the engine sums the broadcast dimensions back to the input shape

    def backward_tensors(self, g):
        return g


class Repeat(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        return xp.tile(x, self.reps)

    def backward(self, g):
        # split every tiled axis into (reps, size) and sum over the reps
        in_shape = (1,) * (len(self.reps) - len(self.in_shape)) + tuple(self.in_shape)
        split = []
        for r, s in zip(self.reps, in_shape):
            split += [r, s]
        summed = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(self.in_shape)

    def backward_tensors(self, g):
        in_shape = (1,) * (len(self.reps) - len(self.in_shape)) + tuple(self.in_shape)
        split = []
        for r, s in zip(self.reps, in_shape):
            split += [r, s]
        return g.reshape(split).sum(dim=tuple(range(0, len(split), 2))).reshape(self.in_shape)


class Flip(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        return xp.flip(x, self.dims)

    def backward(self, g):
        return xp.flip(g, self.dims)

    def backward_tensors(self, g):
        return g.flip(self.dims)


class Roll(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        return xp.roll(x, self.shifts, self.dims)

    def backward(self, g):
        negated = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return xp.roll(g, negated, self.dims)

    def backward_tensors(self, g):
        negated = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return g.roll(negated, self.dims)


class Slice(ViewFunction):
    """Basic slicing (ints, slices, None, Ellipsis): a view; backward scatters into zeros."""

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_shape, self.in_dtype = x.shape, x.dtype
        out = x[self.index]
        if out.__class__ is not xp.ndarray and Ellipsis not in self.index:
            out = x[self.index + (Ellipsis,)]  # a 0-d view rather than a scalar copy, so writes reach x
        return out

    def backward(self, g):
        grad = xp.zeros(self.in_shape, dtype=g.dtype)
        grad[self.index] = g
        return grad

    def backward_tensors(self, g):
        return adjoint(self, g)


class Cat(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, *arrays):
        self.sizes = [a.shape[self.dim] for a in arrays]
        return xp.concatenate(arrays, axis=self.dim)

    def backward(self, g):
        bounds = xp.cumsum(self.sizes)[:-1]
        return tuple(xp.split(g, bounds, axis=self.dim))

    def backward_tensors(self, g):
        return tuple(g.split([int(s) for s in self.sizes], self.dim))


class Stack(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, *arrays):
        return xp.stack(arrays, axis=self.dim)

    def backward(self, g):
        return tuple(xp.moveaxis(g, self.dim, 0))

    def backward_tensors(self, g):
        return tuple(g.unbind(self.dim))


def _infer_shape(shape, size) -> tuple:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise ValueError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError("bad shape")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError("bad shape")
    return shape


class Diagonal(Function):
    """The ``offset`` diagonal of the planes ``(dim1, dim2)``, moved to the last axis: a writable view, as
    PyTorch's (``x.diagonal().fill_(1)`` sets the diagonal of ``x``)."""

    saves_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        return _diagonal_view(x, self.offset, self.dim1, self.dim2)

    def backward(self, g):
        grad = xp.zeros(self.in_shape, dtype=g.dtype)
        _diagonal_view(grad, self.offset, self.dim1, self.dim2)[...] = g
        return grad

    def backward_tensors(self, g):
        return adjoint(self, g)


def _diagonal_view(x, offset: int, dim1: int, dim2: int):
    plane = xp.moveaxis(x, (dim1, dim2), (-2, -1))
    corner = plane[..., max(-offset, 0):, max(offset, 0):]  # the diagonal starts at this corner's (0, 0)
    n = min(corner.shape[-2:])
    return xp.lib.stride_tricks.as_strided(corner, shape=corner.shape[:-2] + (n,),
                                           strides=corner.strides[:-2] + (corner.strides[-2] + corner.strides[-1],))


class CopySlices(Function):
    """The base's node after an in-place op on one of its views: ``base`` with the view's region set to
    ``src``. Backward: the base's gradient with that region zeroed, and the region itself for ``src``."""

    saves_inputs = False

    def forward(self, base, src):
        return self.target  # the write already happened in place; the result is the base's own array

    def backward(self, g):
        grad_base = g.copy()
        region = replay_view(grad_base, self.ops)
        grad_src = region.copy()
        region[...] = 0
        return grad_base, grad_src

    def name(self) -> str:
        return "CopySlices"

    def backward_tensors(self, g):
        region = g
        for cls, attrs in self.ops:  # the view of the gradient that the in-place op wrote through
            region = cls.apply(region, **attrs)
        keep = xp.ones(g._data.shape, dtype=g._data.dtype)
        replay_view(keep, self.ops)[...] = 0
        return g * g._wrap(keep), region

