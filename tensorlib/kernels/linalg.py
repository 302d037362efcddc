"""Matrix products: matmul (1-D, 2-D, batched, broadcast), mm, bmm, dot, outer, einsum."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function


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


class Einsum(Function):
    def forward(self, *arrays):
        self.arrays = arrays
        return xp.einsum(self.equation, *arrays, optimize=True)

    def backward(self, g):
        inputs, output = self.equation.replace(" ", "").split("->")
        specs = inputs.split(",")
        grads = []
        for i, spec in enumerate(specs):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(specs) if j != i]
            arrays = [a for j, a in enumerate(self.arrays) if j != i]
            # labels of input i that appear nowhere else are summed in forward: broadcast them back
            eq = ",".join([output] + others) + "->" + "".join(c for c in spec if c in output + "".join(others))
            partial = xp.einsum(eq, g, *arrays, optimize=True)
            kept = [c for c in spec if c in output + "".join(others)]
            shape = self.arrays[i].shape
            expand_shape = tuple(shape[k] if c in kept else 1 for k, c in enumerate(spec))
            order = [kept.index(c) for c in spec if c in kept]
            partial = xp.transpose(partial, order) if partial.ndim else partial
            grads.append(xp.broadcast_to(partial.reshape(expand_shape), shape))
        return tuple(grads)

    def backward_tensors(self, g):
        inputs, output = self.equation.replace(" ", "").split("->")
        specs = inputs.split(",")
        grads = []
        for i, spec in enumerate(specs):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(specs) if j != i]
            tensors = [t for j, t in enumerate(self.inputs) if j != i]
            kept = [c for c in spec if c in output + "".join(others)]
            eq = ",".join([output] + others) + "->" + "".join(kept)
            partial = Einsum.apply(g, *tensors, equation=eq)
            order = [kept.index(c) for c in spec if c in kept]
            partial = partial.permute(*order) if partial.ndim else partial
            shape = self.arrays[i].shape
            expand_shape = tuple(shape[k] if c in kept else 1 for k, c in enumerate(spec))
            grads.append(partial.reshape(expand_shape).expand(*shape))
        return tuple(grads)
