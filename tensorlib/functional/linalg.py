"""Matrix products and einsum at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/linalg.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from .._backend import xp
from ..dtypes import cpp_name
from ..kernels.linalg import Einsum, Mm
from ..tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "einsum"]


def matmul(input, other):
    """Matrix product with broadcasting of batch dims; operands must share a dtype (as PyTorch)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                           f"{b.ndim}D")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {cpp_name(a.dtype)} != "
                           f"{cpp_name(b.dtype)}. Convert one side, e.g. `x.float() @ w` or `x @ w.to(x.dtype)`.")
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
    return Mm.apply(input, other)


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
