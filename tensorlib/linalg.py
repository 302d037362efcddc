"""``tensorlib.linalg``: PyTorch's ``torch.linalg`` functions that tensorlib supports, differentiable."""

from __future__ import annotations

from . import _out
from .errors import LinAlgError
from .functional import linalg as _products
from .functional import linalg_decomp as _decomp
from .functional.linalg import matmul
from .functional.reduction import norm as _norm

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
           "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm"]

# the decompositions and solvers take out= as PyTorch's (a tuple of tensors for several results)
cholesky = _out.supports_out(_decomp.linalg_cholesky)
cross = _out.supports_out(_products.linalg_cross)
det = _out.supports_out(_decomp.det)
eigh = _out.supports_out(_decomp.eigh)
eigvalsh = _out.supports_out(_decomp.eigvalsh)
inv = _out.supports_out(_decomp.inv)
matrix_rank = _out.supports_out(_decomp.matrix_rank)
pinv = _out.supports_out(_decomp.pinv)
qr = _out.supports_out(_decomp.linalg_qr)
slogdet = _out.supports_out(_decomp.linalg_slogdet)
solve = _out.supports_out(_decomp.solve)
svd = _out.supports_out(_decomp.linalg_svd)
svdvals = _out.supports_out(_decomp.svdvals)


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    """The ``ord``-norm of ``x`` flattened (``dim=None``) or over ``dim``; ``ord`` may be inf, -inf or 0."""
    if dtype is not None:
        x = x.to(dtype)
    if dim is None:
        x, dim = x.reshape(-1), 0
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    a = x.abs()
    if ord == float("inf"):
        return a.amax(dim=tuple(dims), keepdim=keepdim)
    if ord == float("-inf"):
        return a.amin(dim=tuple(dims), keepdim=keepdim)
    if ord == 0:
        return (a != 0).to(x.dtype).sum(dim=tuple(dims), keepdim=keepdim)
    if ord == 2:
        return _norm(x, 2, dim=tuple(dims), keepdim=keepdim)
    return a.pow(ord).sum(dim=tuple(dims), keepdim=keepdim).pow(1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """Frobenius (``'fro'``), max-column-sum (1), max-row-sum (inf) and their minimum variants over ``dim``."""
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = dim
    if ord == "fro":
        return vector_norm(A, 2, dim=(d0, d1), keepdim=keepdim)
    if ord in (1, -1, float("inf"), float("-inf")):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(dim=sum_dim, keepdim=True)
        out = sums.amax(dim=red_dim, keepdim=True) if ord > 0 else sums.amin(dim=red_dim, keepdim=True)
        return out if keepdim else out.squeeze(max(d0 % A.ndim, d1 % A.ndim)).squeeze(min(d0 % A.ndim, d1 % A.ndim))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """``vector_norm`` for 1-d reductions (or ``ord=None`` with ``dim=None``), ``matrix_norm`` for 2-d."""
    if dim is not None and not isinstance(dim, int) and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is not None and dim is None and A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
