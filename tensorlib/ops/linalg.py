"""Matrix products: matmul (1-D, 2-D, batched, broadcast), mm, bmm, dot, outer, einsum."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ..tensor import Tensor


class MatMul(Function):
    """``a @ b`` with NumPy's matmul rules (which are PyTorch's): 1-D operands get a dim added and removed."""

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


def _dtype_name(dtype) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int"}.get(dtype.name, dtype.name)


def matmul(input, other):
    """Matrix product with broadcasting of batch dims; operands must share a dtype (as PyTorch)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                           f"{b.ndim}D")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dtype_name(a.dtype)} != "
                           f"{_dtype_name(b.dtype)}. Convert one side, e.g. `x.float() @ w` or `x @ w.to(x.dtype)`.")
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        a_shape = "x".join(str(s) for s in (a.shape if a.ndim > 1 else (1,) + a.shape))
        b_shape = "x".join(str(s) for s in (b.shape if b.ndim > 1 else b.shape + (1,)))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a_shape} and {b_shape})")
    if a.ndim > 2 and b.ndim > 2:
        try:
            xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: batch dimensions {list(a.shape[:-2])} and {list(b.shape[:-2])} are not "
                               "broadcastable") from None
    return MatMul.apply(input, other)


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input.ndim}D and {mat2.ndim}D")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got {input.ndim}D and {mat2.ndim}D")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {input.shape[0]} and {mat2.shape[0]}")
    return matmul(input, mat2)


def mv(input, vec):
    return matmul(input, vec)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)


inner = dot


def outer(input, vec2):
    return matmul(input.reshape(-1, 1), vec2.reshape(1, -1))


ger = outer


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


def einsum(equation: str, *operands):
    """Einstein summation; explicit ``->`` output required for gradients of repeated labels."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if "->" not in equation:
        inputs = equation.replace(" ", "")
        letters = [c for c in inputs.replace(",", "") if c.isalpha()]
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        equation = inputs + "->" + output
    if "..." in equation:
        return Tensor._wrap(xp.einsum(equation, *(o._data for o in operands)))
    return Einsum.apply(*operands, equation=equation)
