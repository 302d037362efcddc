"""Differentiable gradients of linear, input-independent ops (slicing, indexing, gather, index_select).

The gradient of such an op is another linear op (a scatter into zeros), whose own gradient is the original op
again. ``Adjoint`` runs a kernel's array ``backward`` as a forward; ``Reapply`` runs its ``forward``; each is the
other's derivative, so ``create_graph=True`` works to any order without a hand-written scatter kernel per op.
"""

from __future__ import annotations

from ..autograd.function import Function

_GRAPH_ATTRS = ("next", "inputs", "meta", "versions", "out_version", "tensor_hooks", "retained")


def snapshot(node):
    """A detached copy of a kernel node's attributes (its graph links dropped), safe to keep after the node is
    freed by a backward pass without ``retain_graph``."""
    op = object.__new__(type(node))
    op.__dict__.update({k: v for k, v in node.__dict__.items() if k not in _GRAPH_ATTRS})
    return op


def adjoint(node, g):
    """``node.backward`` applied to the Tensor ``g`` as a recorded, differentiable op."""
    return Adjoint.apply(g, op=snapshot(node))


class Adjoint(Function):
    saves_inputs = False

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

    def name(self) -> str:
        return self.op.name()

    def forward(self, x):
        return self.op.forward(x)

    def backward(self, g):
        return self.op.backward(g)

    def backward_tensors(self, g):
        return Adjoint.apply(g, op=self.op)
