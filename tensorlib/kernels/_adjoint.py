"""Differentiable gradients of linear, input-independent ops (slicing, indexing, gather, index_select).

The gradient of such an op is another linear op (a scatter into zeros), whose own gradient is the original op
again. ``Adjoint`` runs a kernel's array ``backward`` as a forward; ``Reapply`` runs its ``forward``; each is the
other's derivative, so ``create_graph=True`` works to any order without a hand-written scatter kernel per op.
"""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function

__all__ = ["snapshot", "adjoint", "Adjoint", "Reapply", "bilinear_backward", "BilinearApply", "BilinearGrad"]

_GRAPH_ATTRS = ("next", "inputs", "meta", "versions", "out_version", "tensor_hooks", "retained")


def snapshot(node):
    """A detached copy of a kernel node's attributes (its graph links dropped), safe to keep after the node is
    freed by a backward pass without ``retain_graph``."""
    op = object.__new__(type(node))
    op.__dict__.update({k: v for k, v in node.__dict__.items() if k not in _GRAPH_ATTRS})
    return op


def adjoint(node, g, **overrides):
    """``node.backward`` applied to the Tensor ``g`` as a recorded, differentiable op. ``overrides`` replace
    attributes of the snapshot where the forward is affine rather than linear (a padding value)."""
    op = snapshot(node)
    op.__dict__.update(overrides)
    return Adjoint.apply(g, op=op)


class Adjoint(Function):
    saves_inputs = False
    keeps_inputs = False

    def name(self) -> str:
        return self.op.name().replace("Backward0", "BackwardBackward0")

    def forward(self, g):
        return self.op.backward(g)

    def backward(self, gg):
        return self.op.forward(gg)

    def backward_tensors(self, gg):
        return Reapply.apply(gg, op=self.op)


class Reapply(Function):
    saves_inputs = False
    keeps_inputs = False

    def name(self) -> str:
        return self.op.name()

    def forward(self, x):
        return self.op.forward(x)

    def backward(self, g):
        return self.op.backward(g)

    def backward_tensors(self, g):
        return Adjoint.apply(g, op=self.op)


# ------------------------------------------------------------------------------------------ bilinear ops
# A convolution ``y = B(x, w)`` is bilinear: its input gradient ``B_x^T(g; w)`` and weight gradient
# ``B_w^T(g; x)`` are bilinear too, and their derivatives are again ``B``, ``B_x^T`` and ``B_w^T`` with the
# arguments permuted. Three kernels closed under differentiation give any order from the array kernel alone.

def _bilinear_grad(op, x, w, g, which: int):
    """Gradient of the array kernel ``op`` for input ``which`` (0: x, 1: w) at ``(x, w)`` with upstream ``g``."""
    fresh = object.__new__(type(op))
    fresh.__dict__.update(op.__dict__)
    fresh.forward(x, w, None)
    fresh.needs_input_grad = [which == 0, which == 1, False]
    return fresh.backward(g)[which]


def bilinear_backward(node, g):
    """``(grad_x, grad_w)`` of the bilinear kernel ``node`` (a convolution) as differentiable Tensor ops."""
    op = snapshot(node)
    x, w = node.inputs[0], node.inputs[1]
    op.x_shape_full, op.w_shape_full = tuple(x.shape), tuple(w.shape)
    need = node.needs_input_grad
    gx = BilinearGrad.apply(g, w, op=op, which=0) if need[0] else None
    gw = BilinearGrad.apply(g, x, op=op, which=1) if need[1] else None
    return gx, gw


class BilinearApply(Function):
    """``B(x, w)`` without bias."""

    def name(self) -> str:
        return self.op.name()

    def forward(self, x, w):
        self.x, self.w = x, w
        fresh = object.__new__(type(self.op))
        fresh.__dict__.update(self.op.__dict__)
        return fresh.forward(x, w, None)

    def backward(self, g):
        need = self.needs_input_grad
        return (_bilinear_grad(self.op, self.x, self.w, g, 0) if need[0] else None,
                _bilinear_grad(self.op, self.x, self.w, g, 1) if need[1] else None)

    def backward_tensors(self, g):
        x, w = self.inputs
        need = self.needs_input_grad
        return (BilinearGrad.apply(g, w, op=self.op, which=0) if need[0] else None,
                BilinearGrad.apply(g, x, op=self.op, which=1) if need[1] else None)


class BilinearGrad(Function):
    """``which=0``: ``B_x^T(g; v=w)``; ``which=1``: ``B_w^T(g; v=x)``."""

    def name(self) -> str:
        return self.op.name().replace("Backward0", "BackwardBackward0")

    def _point(self, v):
        if self.which == 0:
            return xp.zeros(self.op.x_shape_full, dtype=v.dtype), v
        return v, xp.zeros(self.op.w_shape_full, dtype=v.dtype)

    def forward(self, g, v):
        self.g, self.v = g, v
        x, w = self._point(v)
        return _bilinear_grad(self.op, x, w, g, self.which)

    def backward(self, gg):
        # <gg, B_x^T(g; w)> = <g, B(gg, w)>  and  <gg, B_w^T(g; x)> = <g, B(x, gg)>
        need = self.needs_input_grad
        fresh = object.__new__(type(self.op))
        fresh.__dict__.update(self.op.__dict__)
        if self.which == 0:
            dg = fresh.forward(gg, self.v, None) if need[0] else None
            dv = _bilinear_grad(self.op, gg, self.v, self.g, 1) if need[1] else None
        else:
            dg = fresh.forward(self.v, gg, None) if need[0] else None
            dv = _bilinear_grad(self.op, self.v, gg, self.g, 0) if need[1] else None
        return dg, dv

    def backward_tensors(self, gg):
        g, v = self.inputs
        need = self.needs_input_grad
        if self.which == 0:
            return (BilinearApply.apply(gg, v, op=self.op) if need[0] else None,
                    BilinearGrad.apply(g, gg, op=self.op, which=1) if need[1] else None)
        return (BilinearApply.apply(v, gg, op=self.op) if need[0] else None,
                BilinearGrad.apply(g, gg, op=self.op, which=0) if need[1] else None)
