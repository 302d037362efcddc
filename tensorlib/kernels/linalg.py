"""Matrix products: matmul (1-D, 2-D, batched, broadcast), mm, bmm, dot, outer, einsum, addmm; cross."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function

__all__ = ["Mm", "Einsum"]


class Mm(Function):
    """``a @ b`` with NumPy's matmul rules (which are PyTorch's): 1-D operands get a dim added and removed."""

    def name(self) -> str:
        a, b = self.a.ndim, self.b.ndim
        if a == 1 and b == 1:
            return "DotBackward0"
        if a == 2 and b == 1:
            return "MvBackward0"
        return "MmBackward0" if max(a, b) <= 2 else "BmmBackward0"

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.matmul(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        need = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return (g * b if need[0] else None), (g * a if need[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = xp.expand_dims(g, -2)
        if b.ndim == 1:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if need[0]:
            ga = xp.matmul(g, xp.swapaxes(b2, -1, -2))
            ga = ga.reshape(ga.shape[:-2] + (ga.shape[-1],)) if a.ndim == 1 else ga
            if a.ndim == 1 and ga.ndim > 1:
                ga = ga.reshape(-1, a.shape[0]).sum(axis=0)
        if need[1]:
            gb = xp.matmul(xp.swapaxes(a2, -1, -2), g)
            if b.ndim == 1:
                gb = gb[..., 0]
                if gb.ndim > 1:
                    gb = gb.reshape(-1, b.shape[0]).sum(axis=0)
        return ga, gb

    def backward_tensors(self, g):
        a, b = self.inputs
        need = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if need[0] else None), (g * a if need[1] else None)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if a.ndim == 1:
            g = g.unsqueeze(-2)
        if b.ndim == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if need[0]:
            ga = g.matmul(b2.transpose(-1, -2))
            ga = ga.squeeze(-2) if a.ndim == 1 else ga
        if need[1]:
            gb = a2.transpose(-1, -2).matmul(g)
            gb = gb.squeeze(-1) if b.ndim == 1 else gb
        return ga, gb


def _einsum_grad_plans(equation: str):
    """For each operand ``i`` of an einsum: ``(eq, order, expand)`` so that its gradient is
    ``einsum(eq, g, *others)`` permuted by ``order``, reshaped to ``expand`` and broadcast to its shape.

    Labels of operand ``i`` that appear nowhere else were summed in forward: they are broadcast back (``expand``
    holds 1 there)."""
    inputs, output = equation.replace(" ", "").split("->")
    specs = inputs.split(",")
    plans = []
    for i, spec in enumerate(specs):
        others = [s for j, s in enumerate(specs) if j != i]
        kept = [c for c in spec if c in output + "".join(others)]
        eq = ",".join([output] + others) + "->" + "".join(kept)
        order = [kept.index(c) for c in spec if c in kept]
        plans.append((eq, order, [c in kept for c in spec]))
    return plans


class Einsum(Function):
    def forward(self, *arrays):
        self.arrays = arrays
        return xp.einsum(self.equation, *arrays, optimize=True)

    def backward(self, g):
        grads = []
        for i, (eq, order, kept) in enumerate(_einsum_grad_plans(self.equation)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [a for j, a in enumerate(self.arrays) if j != i]
            partial = xp.einsum(eq, g, *others, optimize=True)
            partial = xp.transpose(partial, order) if partial.ndim else partial
            shape = self.arrays[i].shape
            expand = tuple(n if k else 1 for n, k in zip(shape, kept))
            grads.append(xp.broadcast_to(partial.reshape(expand), shape))
        return tuple(grads)

    def backward_tensors(self, g):
        grads = []
        for i, (eq, order, kept) in enumerate(_einsum_grad_plans(self.equation)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(self.inputs) if j != i]
            partial = Einsum.apply(g, *others, equation=eq)
            partial = partial.permute(*order) if partial.ndim else partial
            shape = self.arrays[i].shape
            expand = tuple(n if k else 1 for n, k in zip(shape, kept))
            grads.append(partial.reshape(expand).expand(*shape))
        return tuple(grads)


class Addmm(Function):
    """``beta * input + alpha * (mat1 @ mat2)``; also ``addmv`` (``mat2`` a vector) and ``baddbmm`` (batched)."""

    def name(self) -> str:
        return self.grad_name

    def forward(self, x, mat1, mat2):
        self.mat1, self.mat2 = mat1, mat2
        product = xp.matmul(mat1, mat2)
        if self.alpha != 1:
            product = product * self.alpha
        if self.beta == 0:  # PyTorch ignores input (even NaN/inf in it) when beta is 0
            return product
        return (x * self.beta if self.beta != 1 else x) + product

    def backward(self, g):
        need = self.needs_input_grad
        gx = (g * self.beta if self.beta != 1 else g) if need[0] else None
        ga = gb = None
        if self.alpha != 1:
            g = g * self.alpha
        if need[1]:
            ga = xp.matmul(g, xp.swapaxes(self.mat2, -1, -2)) if self.mat2.ndim > 1 else xp.multiply.outer(g, self.mat2)
        if need[2]:
            gb = xp.matmul(xp.swapaxes(self.mat1, -1, -2), g)
        return gx, ga, gb

    def backward_tensors(self, g):
        _, mat1, mat2 = self.inputs
        need = self.needs_input_grad
        gx = (g * self.beta if self.beta != 1 else g) if need[0] else None
        g = g * self.alpha if self.alpha != 1 else g
        ga = gb = None
        if need[1]:
            ga = g.matmul(mat2.transpose(-1, -2)) if mat2.ndim > 1 else g.unsqueeze(-1) * mat2
        if need[2]:
            gb = mat1.transpose(-1, -2).matmul(g)
        return gx, ga, gb


class Cross(Function):
    """The cross product of 3-vectors along ``dim``."""

    def name(self) -> str:
        return "LinalgCrossBackward0"

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.cross(a, b, axis=self.dim)

    def backward(self, g):
        need = self.needs_input_grad
        return (xp.cross(self.b, g, axis=self.dim) if need[0] else None,
                xp.cross(g, self.a, axis=self.dim) if need[1] else None)

    def backward_tensors(self, g):
        a, b = self.inputs
        need = self.needs_input_grad
        return (b.cross(g, dim=self.dim) if need[0] else None), (g.cross(a, dim=self.dim) if need[1] else None)


class Cdist(Function):
    """Euclidean distances between the rows of ``x1`` (*, P, M) and ``x2`` (*, R, M): (*, P, R).

    ``use_mm`` computes ``|a|^2 + |b|^2 - 2 a.b`` with one matrix product (fast, PyTorch's choice for more than
    25 rows) instead of the exact pairwise differences. The gradient at a zero distance is 0, as PyTorch's."""

    def name(self) -> str:
        return "CdistBackward0"

    def forward(self, x1, x2):
        self.x1, self.x2 = x1, x2
        if self.use_mm:
            squared = (x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :] \
                - 2 * xp.matmul(x1, xp.swapaxes(x2, -1, -2))
            self.out = xp.sqrt(xp.maximum(squared, 0))
        else:
            diff = x1[..., :, None, :] - x2[..., None, :, :]
            self.out = xp.sqrt((diff * diff).sum(-1))
        return self.out

    def backward(self, g):
        zero = self.out == 0
        weight = xp.where(zero, 0, g / xp.where(zero, 1, self.out))  # d out / d diff = diff / out
        need = self.needs_input_grad
        g1 = self.x1 * weight.sum(-1)[..., None] - xp.matmul(weight, self.x2) if need[0] else None
        g2 = self.x2 * weight.sum(-2)[..., None] - xp.matmul(xp.swapaxes(weight, -1, -2), self.x1) \
            if need[1] else None
        return g1, g2

    def backward_tensors(self, g):
        x1, x2 = self.inputs
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        out = (diff * diff).sum(-1).sqrt()
        nonzero = (out != 0).to(g.dtype)
        weight = g * nonzero / (out + (1 - nonzero))  # d out / d diff = diff / out; 0 where out is 0
        need = self.needs_input_grad
        g1 = x1 * weight.sum(-1).unsqueeze(-1) - weight.matmul(x2) if need[0] else None
        g2 = x2 * weight.sum(-2).unsqueeze(-1) - weight.transpose(-1, -2).matmul(x1) if need[1] else None
        return g1, g2

