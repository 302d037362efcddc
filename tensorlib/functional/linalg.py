"""Matrix products: matmul (1-D, 2-D, batched, broadcast), mm, bmm, dot, outer, einsum, addmm/addmv/baddbmm,
tensordot; cross, trace and cdist."""

from __future__ import annotations

import warnings

from .._backend import xp
from ..dtypes import cpp_name
from ..kernels._utils import normalize_dim
from ..kernels.linalg import Addmm, Cdist, Cross, Einsum, Mm
from ..tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "einsum", "addmm", "addmv", "baddbmm",
           "tensordot", "cross", "trace", "cdist"]


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


def _addmm(input, mat1, mat2, beta, alpha, op: str, grad_name: str):
    product_shape = matmul(mat1.detach(), mat2.detach()).shape  # validates shapes and dtypes as matmul does
    if input.dtype != mat1.dtype:
        raise RuntimeError(f"{op}: expected self and mat1 to have the same dtype, but got: "
                           f"{cpp_name(input._data.dtype)} != {cpp_name(mat1._data.dtype)}")
    try:
        if xp.broadcast_shapes(input.shape, product_shape) != tuple(product_shape):
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({list(product_shape)}) must match the existing size "
                           f"({list(input.shape)}) of input in {op}") from None
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha, grad_name=grad_name)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1`` (n, m), ``mat2`` (m, p); ``input`` broadcasts."""
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor" if mat1.ndim != 2
                           else f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    return _addmm(input, mat1, mat2, beta, alpha, "addmm", "AddmmBackward0")


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)`` for ``mat`` (n, m) and ``vec`` (m,)."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    return _addmm(input, mat, vec, beta, alpha, "addmv", "AddmvBackward0")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches (b, n, m) and (b, m, p)."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if batch1.ndim != 3 else "batch2 must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and "
                           f"{batch2.shape[0]}")
    return _addmm(input, batch1, batch2, beta, alpha, "baddbmm", "BaddbmmBackward0")


def tensordot(a, b, dims=2):
    """Sum products over the last ``dims`` dims of ``a`` and the first ``dims`` of ``b``, or over the paired
    dim lists ``dims=([a dims], [b dims])``; the result has ``a``'s free dims then ``b``'s."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [normalize_dim(d, a.ndim) for d in dims_a]
    dims_b = [normalize_dim(d, b.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim {da} "
                               f"and second has size {b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = 1
    for d in dims_a:
        k *= a.shape[d]
    left = a.permute(*free_a, *dims_a).reshape(-1, k)
    right = b.permute(*dims_b, *free_b).reshape(k, -1)
    return matmul(left, right).reshape(*[a.shape[d] for d in free_a], *[b.shape[d] for d in free_b])


def cross(input, other, dim=None):
    """The cross product along ``dim`` (size 3); ``dim=None`` takes the first dim of size 3, with PyTorch's
    deprecation warning (``linalg.cross`` defaults to the last dim)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = xp.broadcast_shapes(input.shape, other.shape)
        sizes = [d for d, s in enumerate(shape) if s == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes[0]
    return linalg_cross(input, other, dim=dim)


def linalg_cross(input, other, *, dim: int = -1):
    """``torch.linalg.cross``: the cross product of 3-vectors along ``dim``, broadcasting the other dims."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    dim = normalize_dim(dim, input.ndim)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[dim]} and "
                           f"{other.shape[dim]}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"linalg.cross: expected both inputs to have the same dtype, but got {input.dtype} and "
                           f"{other.dtype}. Convert one, e.g. `a.to(b.dtype)`.")
    return Cross.apply(input, other, dim=dim)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor (integer tensors sum to int64, as PyTorch)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return input.diagonal().sum()


def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"):
    """The ``p``-norm distance between each row of ``x1`` (*, P, M) and each row of ``x2`` (*, R, M): (*, P, R).

    The gradient at a zero distance is 0 (PyTorch's subgradient)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D" if x1.ndim < 2
                           else f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1._data.dtype.kind != "f" or x2._data.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}" if x1._data.dtype.kind
                           != "f" else f"cdist only supports floating-point dtypes, X2 got: {x2.dtype}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"cdist: X1 and X2 must have the same dtype, but got {x1.dtype} and {x2.dtype}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if p == 2:
        use_mm = compute_mode == modes[1] or (compute_mode == modes[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25))
        return Cdist.apply(x1, x2, use_mm=use_mm)
    diff = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()
    if p == float("inf"):
        return diff.amax(dim=-1)
    if p == 0:
        return (diff != 0).to(x1.dtype).sum(dim=-1)
    if p == 1:
        return diff.sum(dim=-1)
    return diff.pow(p).sum(dim=-1).pow(1.0 / p)
