"""In-place operations (``add_``, ``mul_``, ``fill_``, ``uniform_`` ...), with PyTorch's view semantics.

An in-place op always writes into the tensor's existing array, so the base it views and every other view of
that memory see the new values, and it bumps the version counter that a base shares with its views (a
backward that needs the old values then raises instead of computing wrong gradients).

When autograd is involved (the tensor, its base or another operand requires grad) the op is computed
out-of-place on a snapshot of the old values and recorded:
- on a tensor that is not a view, the tensor's ``grad_fn`` becomes the op's node (PyTorch's rebase);
- on a view, the base's ``grad_fn`` becomes ``CopySlices`` (the base with the view's region replaced by the
  op's result) and the view's ``grad_fn`` is regenerated from the base by replaying its view ops, as
  PyTorch's ``CopySlices``/``AsStridedBackward`` pair does.
Any other view whose base node changed is regenerated the same way when next used
(``autograd.function.refresh_view``).
In-place on a leaf that requires grad, or on a view of one, raises PyTorch's errors.
"""

from __future__ import annotations

import weakref

from .. import dtypes as _dtypes
from .. import random as _random
from .._backend import xp
from .._grad_mode import _state
from .._graph import VersionCounter
from ..autograd.function import refresh_view
from ..kernels.indexing import IndexPut, _check_bounds
from ..kernels.shape import CopySlices
from ..tensor import Tensor
from .elementwise import add, clamp, clone, div, lerp, mul, sub, where
from .indexing import _convert_index, getitem, masked_fill

__all__ = ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "masked_fill_", "lerp_", "zero_", "fill_", "copy_",
           "uniform_", "normal_", "bernoulli_", "exponential_", "random_", "geometric_", "cauchy_", "log_normal_"]


def _category(dtype) -> int:
    return 0 if dtype.kind == "b" else (2 if dtype.kind == "f" else 1)


def _needs_graph(self: Tensor, others) -> bool:
    if not _state.enabled:
        return False
    if self._requires_grad or (self._view is not None and self._view[0]._requires_grad):
        return True
    for o in others:  # a loop, not any(<generator>): this runs on every in-place op
        if o.__class__ is Tensor or isinstance(o, Tensor):
            if o._requires_grad:
                return True
    return False


def _snapshot(t: Tensor, copy: bool = True) -> Tensor:
    """A copy of ``t``'s current values standing for ``t`` in the graph (same node), so what an op saves for
    backward is not overwritten by the in-place write that follows (``copy=False``: same array, new wrapper)."""
    snap = Tensor._wrap(t._data.copy() if copy else t._data)
    snap._requires_grad = t._requires_grad
    snap.grad_fn = t.grad_fn
    return snap


def _store(self: Tensor, values, name: str) -> None:
    """Write ``values`` into ``self``'s memory (seen by its base and views) and bump the shared version."""
    try:
        self._data[...] = values
    except ValueError as exc:
        if not self._data.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                               "single memory location. Please clone() the tensor before performing the "
                               "operation.") from None
        raise RuntimeError(f"{exc} in {name}") from None
    self._version.bump(name)


def _check_result(self: Tensor, out: Tensor, name: str) -> Tensor:
    if _category(out._data.dtype) > _category(self._data.dtype):
        raise RuntimeError(f"result type {out.dtype.name.capitalize()} can't be cast to the desired output type "
                           f"{self.dtype.name.capitalize()} in {name}")
    if out._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(out.shape)} in {name}")
    return out


def apply_inplace(self: Tensor, compute, name: str, *others) -> Tensor:
    """Store ``compute(self, *others)`` (an out-of-place op and its other operands) into ``self``."""
    if not _needs_graph(self, others):
        out = compute(self, *others)
        data = out._data
        if data.shape != self._data.shape or data.dtype.kind != self._data.dtype.kind:
            _check_result(self, out, name)
        _store(self, data, name)
        return self
    check_inplace(self, name)
    # operands that alias self's memory are read from copies too, so the op's saved values stay intact
    root = _root(self)
    others = tuple(_snapshot(o) if isinstance(o, Tensor) and _root(o) is root else o for o in others)
    if self._view is None:
        src = _snapshot(self)
        out = _differentiable(_check_result(self, compute(src, *others), name), src, self)
        _store(self, out._data, name)
        _set_node(self, out.grad_fn, out._requires_grad)  # views of self now see a new base node: refreshed on use
        return self
    base, ops, _ = self._view
    old = _snapshot(base, copy=False)  # the base before the write: its node, read only by the view ops below
    src = _view_of(old, ops)  # the view's old values, differentiable back to the base's old node
    src._data, src._version, src._view = src._data.copy(), VersionCounter(), None  # only the region is copied
    out = _differentiable(_check_result(self, compute(src, *others), name), src, self)
    _store(self, out._data, name)
    node = CopySlices.apply(old, out, target=base._data, ops=ops).grad_fn
    if node is not None:
        _set_node(base, node, True)
        refresh_view(self)  # now; the base's other views are refreshed when next used
    return self


def _differentiable(out: Tensor, src: Tensor, self: Tensor) -> Tensor:
    """``out`` in ``self``'s dtype; a result without gradient (``eq_``, ``floor_`` of ints ...) still joins the
    graph with a zero gradient, as PyTorch's in-place comparison nodes do."""
    if out._data.dtype != self._data.dtype:
        out = out.to(self.dtype)
    if not out._requires_grad and src._requires_grad:
        out = where(Tensor._wrap(xp.zeros(out._data.shape, dtype=bool)), src, out)
    return out


def _root(t: Tensor) -> Tensor:
    return t if t._view is None else t._view[0]


def _view_of(base: Tensor, ops) -> Tensor:
    for cls, attrs in ops:
        base = cls.apply(base, **attrs)
    return base


def _set_node(t: Tensor, node, requires_grad: bool) -> None:
    if t._retains_grad and t.grad_fn is not None and getattr(t.grad_fn, "retained", None) is not None:
        t.grad_fn.retained = None  # .grad is the gradient of the tensor's latest value, as in PyTorch
    t.grad_fn = node
    t._requires_grad = requires_grad
    if t._retains_grad and node is not None:
        node.retained = weakref.ref(t)


def add_(self, other, *, alpha=1):
    return apply_inplace(self, lambda s, o: add(s, o, alpha=alpha), "add_", other)


def sub_(self, other, *, alpha=1):
    return apply_inplace(self, lambda s, o: sub(s, o, alpha=alpha), "sub_", other)


def mul_(self, other):
    return apply_inplace(self, lambda s, o: mul(s, o), "mul_", other)


def div_(self, other, *, rounding_mode=None):
    return apply_inplace(self, lambda s, o: div(s, o, rounding_mode=rounding_mode), "div_", other)


def pow_(self, exponent):
    return apply_inplace(self, lambda s, e: s ** e, "pow_", exponent)


def clamp_(self, min=None, max=None):
    return apply_inplace(self, lambda s, lo, hi: clamp(s, lo, hi), "clamp_", min, max)


def masked_fill_(self, mask, value):
    return apply_inplace(self, lambda s, v: masked_fill(s, mask, v), "masked_fill_", value)


def lerp_(self, end, weight):
    return apply_inplace(self, lambda s, e, w: lerp(s, e, w), "lerp_", end, weight)


def unary_(self, fn, name: str):
    """``fn(self)`` stored into ``self`` (the in-place twin of a one-tensor op such as ``exp``)."""
    return apply_inplace(self, fn, name)


def _write(self: Tensor, values, name: str) -> Tensor:
    """Store constant ``values`` (no gradient) into ``self``; recorded (zero gradient) when in a graph."""
    if _state.enabled and (self._requires_grad or self._view is not None) and _needs_graph(self, ()):
        return apply_inplace(self, lambda s: Tensor._wrap(xp.broadcast_to(xp.asarray(values, s._data.dtype),
                                                                          s._data.shape)), name)
    try:  # _store inlined: zero_/fill_ are hot in optimizers and initialisers
        self._data[...] = values
    except ValueError:
        _store(self, values, name)  # raises the right error
    self._version.bump(name)
    return self


def zero_(self):
    return _write(self, 0, "zero_")


def fill_(self, value):
    if isinstance(value, Tensor):
        if value.requires_grad:
            return apply_inplace(self, lambda s, v: clone(v.to(self.dtype).expand(self.shape)), "fill_", value)
        value = value._data
    return _write(self, value, "fill_")


def copy_(self, src, non_blocking: bool = False):
    """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
    data = src._data if isinstance(src, Tensor) else xp.asarray(src)
    try:
        broadcast = xp.broadcast_to(data, self._data.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the size of tensor b "
                           f"({list(data.shape)}) in copy_") from None
    if isinstance(src, Tensor) and src._requires_grad and _state.enabled:
        return apply_inplace(self, lambda s, v: clone(v.to(self.dtype).expand(self.shape)), "copy_", src)
    return _write(self, broadcast, "copy_")


def _draw_into(self: Tensor, draw, name: str) -> xp.ndarray:
    """Run ``draw(out=...)`` straight into float32/float64 storage (no temporaries); returns the target."""
    data = self._data
    if _needs_graph(self, ()):
        _write(self, draw(out=None), name)
        return data
    if data.dtype in (xp.float32, xp.float64) and data.flags.c_contiguous:
        draw(out=data)
        self._version.bump(name)
    else:
        _store(self, draw(out=None), name)
    return data


def _float_only(self: Tensor, kernel: str) -> None:
    """PyTorch's continuous-distribution fills refuse integer tensors (``NotImplementedError``)."""
    if self._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtypes.scalar_type_name(self._data.dtype)}\'')


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    _float_only(self, "check_uniform_bounds")
    rng = _random.np_rng(generator)
    dtype = self._data.dtype if self._data.dtype in (xp.float32, xp.float64) else xp.float64
    data = _draw_into(self, lambda out: rng.random(self._data.shape, dtype=dtype, out=out), "uniform_")
    if (a, b) != (0.0, 1.0):
        data *= b - a
        data += a
    return self


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    _float_only(self, "normal_kernel_cpu")
    rng = _random.np_rng(generator)
    dtype = self._data.dtype if self._data.dtype in (xp.float32, xp.float64) else xp.float64
    data = _draw_into(self, lambda out: rng.standard_normal(self._data.shape, dtype=dtype, out=out), "normal_")
    if std != 1.0:
        data *= std
    if mean != 0.0:
        data += mean
    return self


def bernoulli_(self, p=0.5, *, generator=None):
    rng = _random.np_rng(generator)
    probs = p._data if isinstance(p, Tensor) else p
    return _write(self, rng.random(self._data.shape) < probs, "bernoulli_")


def exponential_(self, lambd: float = 1.0, *, generator=None):
    return _write(self, _random.np_rng(generator).exponential(1.0 / lambd, self._data.shape), "exponential_")


def geometric_(self, p: float, *, generator=None):
    """Trials until the first success, each succeeding with probability ``p`` (values 1, 2, ...)."""
    return _write(self, _random.np_rng(generator).geometric(p, self._data.shape), "geometric_")


def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None):
    _float_only(self, "cauchy_cpu")
    draws = _random.np_rng(generator).standard_cauchy(self._data.shape)
    return _write(self, median + sigma * draws, "cauchy_")


def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None):
    """``exp`` of normal samples with the given ``mean`` and ``std`` (PyTorch's defaults 1 and 2)."""
    _float_only(self, "log_normal_cpu")
    return _write(self, _random.np_rng(generator).lognormal(mean, std, self._data.shape), "log_normal_")


def random_(self, from_: int = 0, to=None, *, generator=None):
    high = to if to is not None else (2 ** 24 if self._data.dtype.kind == "f" else xp.iinfo(self._data.dtype).max)
    return _write(self, _random.np_rng(generator).integers(from_, high, self._data.shape), "random_")


def setitem_(input, index, value) -> None:
    """``input[index] = value`` in place: a copy into the view ``input[index]`` for basic indices (PyTorch's
    semantics, CopySlices in a graph), an index_put for advanced ones."""
    index, basic = _convert_index(index)
    _check_bounds(input.shape, index)
    if not _needs_graph(input, (value,)):
        try:
            input._data[index] = value._data if isinstance(value, Tensor) else value
        except ValueError:
            if not input._data.flags.writeable:
                _store(input, 0, "setitem")  # raises PyTorch's overlapping-memory error
            raise
        input._version.bump("setitem (x[...] = v)")
        return
    if basic:
        copy_(getitem(input, index), value)
        return
    if isinstance(value, Tensor) and value._data.dtype != input._data.dtype:
        value = value.to(input.dtype)
    apply_inplace(input, lambda s, v: IndexPut.apply(s, v, index=index), "index_put_", value)


def check_inplace(input: Tensor, op_name: str) -> None:
    """PyTorch's errors for in-place ops on leaves that require grad and on views of such leaves."""
    if not _state.enabled:
        return
    if input._requires_grad and input.grad_fn is None:
        raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation "
                           f"({op_name}). Wrap it in `with tensorlib.no_grad():` (e.g. for initialisation or an "
                           "optimizer step) or use the out-of-place form.")
    view = input._view
    if view is not None and view[0]._requires_grad and view[0].grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def binary_(self, fn, other, name: str, **kwargs):
    """``fn(self, other, **kwargs)`` stored into ``self`` (the in-place twin of a two-operand op)."""
    return apply_inplace(self, lambda s, o: fn(s, o, **kwargs), name, other)
