"""``tensorlib.linalg``: PyTorch's ``torch.linalg`` functions that tensorlib supports, differentiable."""

from __future__ import annotations

from collections import namedtuple

from . import _out
from .errors import LinAlgError
from .functional import linalg as _products
from .functional import linalg_decomp as _decomp
from .functional.linalg import matmul
from .functional.reduction import norm as _norm
from .functional.shape import diagonal as _diagonal
from .tensor import Tensor

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "inv_ex", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm"]

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
matrix_power = _out.supports_out(_decomp.matrix_power)


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
    """Frobenius (``'fro'``), nuclear (``'nuc'``), spectral (2, and -2 the smallest singular value),
    max-column-sum (1), max-row-sum (inf) and their minimum variants over ``dim``."""
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
    if ord in (2, -2, "nuc"):  # from the singular values of the (d0, d1) planes
        S = _decomp.svdvals(A.movedim((d0, d1), (-2, -1)))
        out = S.amax(-1) if ord == 2 else S.amin(-1) if ord == -2 else S.sum(-1)
        if keepdim:
            out = out.unsqueeze(min(d0 % A.ndim, d1 % A.ndim)).unsqueeze(max(d0 % A.ndim, d1 % A.ndim))
        return out
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """``vector_norm`` for 1-d reductions (or ``ord=None`` with ``dim=None``), ``matrix_norm`` for 2-d."""
    if dim is not None and not isinstance(dim, int) and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is not None and dim is None and A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """The ``offset`` diagonal of the last two dims (``torch.diagonal`` with matrix defaults)."""
    return _diagonal(A, offset, dim1, dim2)


@_out.supports_out
def vecdot(x, y, *, dim: int = -1):
    """The dot product of ``x`` and ``y`` along ``dim``, broadcasting the other dims."""
    return (x * y).sum(dim)


@_out.supports_out
def multi_dot(tensors):
    """``tensors[0] @ tensors[1] @ ...``; the first may be 1-D (a row) and the last 1-D (a column)."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    chain = [first.unsqueeze(0) if first.ndim == 1 else first, *tensors[1:-1],
             last.unsqueeze(-1) if last.ndim == 1 else last]
    for i, t in enumerate(chain):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    out = chain[0]
    for t in chain[1:]:
        out = matmul(out, t)
    if last.ndim == 1:
        out = out.squeeze(-1)
    return out.squeeze(0) if first.ndim == 1 else out


@_out.supports_out
def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False):
    """``X`` with ``A @ X = B`` (``left=False``: ``X @ A = B``) reading only the ``upper`` or lower triangle of
    ``A`` (its diagonal taken as ones when ``unitriangular``)."""
    if B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    T = A.triu() if upper else A.tril()
    if unitriangular:
        T = T.triu(1) if upper else T.tril(-1)
        T = T + _decomp.eye_like(A)
    return _decomp.solve(T, B, left=left)


def cond(A, p=None):
    """The condition number ``norm(A, p) * norm(inv(A), p)``; for ``p`` None/2/-2 the ratio of the extreme
    singular values (defined for non-square ``A`` too)."""
    if p in (None, 2, -2):
        S = _decomp.svdvals(A)
        largest, smallest = S.amax(-1), S.amin(-1)
        return largest / smallest if p != -2 else smallest / largest
    return matrix_norm(A, p) * matrix_norm(_decomp.inv(A), p)


_inv_ex_result = namedtuple("linalg_inv_ex", ["inverse", "info"])
_cholesky_ex_result = namedtuple("linalg_cholesky_ex", ["L", "info"])
_solve_ex_result = namedtuple("linalg_solve_ex", ["result", "info"])


def _ex(compute, A, kind: str, check_errors: bool, result_type, trailing: int = 2):
    """PyTorch's ``*_ex`` variants: the result and an int32 ``info`` per matrix (0 = success) instead of an
    error; a failed matrix's result is NaN (its gradient 0), the others' are exact and differentiable."""
    info = _decomp.failure_info(A, kind)
    if check_errors or not info._data.any():
        return result_type(compute(A), info)
    failed = Tensor._wrap(info._data.reshape(info.shape + (1,) * 2) != 0)
    safe = _decomp.eye_like(A).where(failed, A)  # factor the identity in place of a failed matrix
    result = compute(safe)
    return result_type(result.masked_fill(failed.reshape(info.shape + (1,) * trailing), float("nan")), info)


def inv_ex(A, *, check_errors: bool = False):
    """``(inverse, info)``: ``info`` > 0 (and the inverse NaN) for a singular matrix instead of an error."""
    _decomp.check_matrix(A, "linalg.inv_ex")
    return _ex(_decomp.inv, A, "singular", check_errors, _inv_ex_result)


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):
    """``(L, info)``: ``info`` > 0 (and ``L`` NaN) for a matrix that is not positive-definite."""
    _decomp.check_matrix(A, "linalg.cholesky_ex")
    return _ex(lambda a: _decomp.linalg_cholesky(a, upper=upper), A, "not_pd", check_errors, _cholesky_ex_result)


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):
    """``(result, info)``: ``info`` > 0 (and the result NaN) for a singular matrix instead of an error."""
    _decomp.check_matrix(A, "linalg.solve_ex")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    return _ex(lambda a: _decomp.solve(a, B, left=left), A, "singular", check_errors, _solve_ex_result,
               trailing=1 if vector else 2)


_lstsq_result = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution ``X`` minimising ``||A @ X - B||`` (through the pseudo-inverse, so also for
    rank-deficient ``A``), differentiable. As PyTorch's drivers: ``rank`` except for ``'gels'``; ``residuals``
    (for full-rank ``A`` with more rows than columns) and ``singular_values`` only for ``'gelsd'``/``'gelss'``."""
    _decomp.check_matrix(A, "linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"parameter `driver` should be one of (gels, gelsy, gelsd, gelss), but got {driver}")
    vector = B.ndim == A.ndim - 1
    matrix = B.unsqueeze(-1) if vector else B
    if matrix.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), but got "
                           f"{A.shape[-2]} and {matrix.shape[-2]}")
    solution = pinv(A, rtol=rcond) @ matrix
    empty = Tensor._wrap(A._data[..., :0, 0].reshape(-1)[:0])
    rank = matrix_rank(A.detach(), rtol=rcond) if driver != "gels" else Tensor._wrap(empty._data.astype("int64"))
    residuals, singular_values = empty, empty
    if driver in ("gelsd", "gelss"):
        singular_values = svdvals(A.detach())
        m, n = A.shape[-2:]
        if m > n and bool((rank._data == n).all()):
            residuals = (A @ solution - matrix).pow(2).sum(-2)
    return _lstsq_result(solution.squeeze(-1) if vector else solution, residuals, rank, singular_values)
