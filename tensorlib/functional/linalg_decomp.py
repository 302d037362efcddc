"""Decompositions and solvers (``torch.linalg`` and the legacy top-level ``torch.det``/``inverse``/``svd``...).

Inputs are ``(*, m, n)`` batches of real floating-point matrices. The ``torch.linalg`` functions are
re-exported by ``tensorlib.linalg`` under their PyTorch names; ``__all__`` here is the top-level names only.
"""

from __future__ import annotations

import warnings

from .. import return_types
from .._backend import xp
from ..dtypes import scalar_type_name
from ..kernels.linalg_decomp import (
    Cholesky,
    DecompositionCache,
    Det,
    EighPart,
    Inv,
    Logabsdet,
    QrPart,
    Solve,
    SvdPart,
)
from ..tensor import Tensor

__all__ = ["det", "logdet", "slogdet", "inverse", "svd", "cholesky", "pinverse", "qr", "matrix_power"]

linalg_slogdet_result = return_types.linalg_slogdet
slogdet_result = return_types.slogdet
linalg_svd_result = return_types.linalg_svd
svd_result = return_types.svd
linalg_qr_result = return_types.linalg_qr
qr_result = return_types.qr
linalg_eigh_result = return_types.linalg_eigh


def check_matrix(A, op: str, square: bool = True) -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument 'A' (position 1) must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    dtype = A._data.dtype
    if dtype.kind != "f" or dtype == xp.float16:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{scalar_type_name(dtype)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


# ---------------------------------------------------------------------------------------------- torch.linalg
def inv(A):
    """The inverse of each square matrix; ``LinAlgError`` (a ``RuntimeError``) for a singular one."""
    check_matrix(A, "linalg.inv")
    return Inv.apply(A)


def det(A):
    """The determinant of each square matrix (differentiable also where ``A`` is singular)."""
    check_matrix(A, "linalg.det")
    return Det.apply(A)


def linalg_slogdet(A):
    """``(sign, logabsdet)`` of each square matrix's determinant; ``sign`` is 0 and ``logabsdet`` -inf where
    ``A`` is singular."""
    check_matrix(A, "linalg.slogdet")
    sign = Tensor._wrap(xp.linalg.slogdet(A._data)[0])
    return linalg_slogdet_result(sign, Logabsdet.apply(A))


def solve(A, B, *, left: bool = True):
    """``X`` with ``A @ X = B`` (``left=False``: ``X @ A = B``). ``B`` is a batch of vectors when it is 1-D or
    has the shape of ``A`` without its last dim; the batch dims broadcast."""
    check_matrix(A, "linalg.solve")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' (position 2) must be Tensor, not {type(B).__name__}")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{scalar_type_name(A._data.dtype)} and B of type "
                           f"{scalar_type_name(B._data.dtype)} instead")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rows = B.shape[-1] if vector else B.shape[-2]
    if rows != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {rows}x{1 if vector else B.shape[-1]})")
    return Solve.apply(A, B, vector=vector)


def linalg_cholesky(A, *, upper: bool = False):
    """The lower (or ``upper``) triangular ``L`` with ``A = L @ L.mT``, for symmetric positive-definite ``A``
    (only the lower triangle of ``A`` is read)."""
    check_matrix(A, "linalg.cholesky")
    return Cholesky.apply(A, upper=upper)


def linalg_svd(A, full_matrices: bool = True, *, driver=None):
    """``(U, S, Vh)`` with ``A = U @ diag(S) @ Vh``, singular values descending; ``full_matrices=False`` gives
    the reduced ``U`` (m, k) and ``Vh`` (k, n), ``k = min(m, n)``."""
    check_matrix(A, "linalg.svd", square=False)
    cache = DecompositionCache()
    parts = (SvdPart.apply(A, part=p, full_matrices=full_matrices, cache=cache) for p in ("U", "S", "Vh"))
    return linalg_svd_result(*parts)


def svdvals(A, *, driver=None):
    """The singular values of each matrix, descending."""
    check_matrix(A, "linalg.svdvals", square=False)
    return SvdPart.apply(A, part="S", full_matrices=False, cache=DecompositionCache())


def linalg_qr(A, mode: str = "reduced"):
    """``(Q, R)`` with ``A = Q @ R``: ``mode`` ``'reduced'`` (Q (m, k)), ``'complete'`` (Q (m, m)) or ``'r'``
    (``Q`` empty)."""
    check_matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    cache = DecompositionCache()
    return linalg_qr_result(*(QrPart.apply(A, part=p, mode=mode, cache=cache) for p in ("Q", "R")))


def eigh(A, UPLO: str = "L"):
    """``(eigenvalues, eigenvectors)`` of symmetric matrices (eigenvalues ascending), reading the ``UPLO``
    triangle."""
    check_matrix(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    cache = DecompositionCache()
    return linalg_eigh_result(*(EighPart.apply(A, part=p, uplo=UPLO, cache=cache) for p in ("L", "V")))


def eigvalsh(A, UPLO: str = "L"):
    """The eigenvalues of symmetric matrices, ascending."""
    check_matrix(A, "linalg.eigvalsh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return EighPart.apply(A, part="L", uplo=UPLO, cache=DecompositionCache())


def _tolerance(S, m: int, n: int, atol, rtol, dtype):
    """PyTorch's cut-off: ``max(atol, rtol * largest singular value)``; with neither given,
    ``rtol = eps * max(m, n)``."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(xp.finfo(dtype).eps) * max(m, n)
    atol = 0.0 if atol is None else atol
    largest = S.amax(dim=-1, keepdim=True) if S.shape[-1] else S.sum(dim=-1, keepdim=True)
    return (largest * rtol).clamp(min=atol)


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False):
    """The Moore-Penrose pseudo-inverse ``V diag(1/S) U^T`` of each matrix, dropping singular values at or
    below the tolerance (see ``matrix_rank``)."""
    check_matrix(A, "linalg.pinv", square=False)
    U, S, Vh = linalg_svd(A, full_matrices=False)
    keep = S > _tolerance(S.detach(), A.shape[-2], A.shape[-1], atol, rtol, A._data.dtype)
    inverse_s = (S.where(keep, S.new_ones(())).reciprocal()).where(keep, S.new_zeros(()))
    return (Vh.mT * inverse_s.unsqueeze(-2)) @ U.mT


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False):
    """The number of singular values above ``max(atol, rtol * largest)`` (int64)."""
    check_matrix(A, "linalg.matrix_rank", square=False)
    S = svdvals(A.detach())
    tol = _tolerance(S, A.shape[-2], A.shape[-1], atol, rtol, A._data.dtype)
    return (S > tol).sum(dim=-1)


# ---------------------------------------------------------------------------------------------- legacy torch.*
def logdet(input):
    """``log(det(input))``: NaN for a negative determinant, -inf for a singular matrix."""
    sign, logabsdet = linalg_slogdet(input)
    return logabsdet + Tensor._wrap(xp.where(sign._data < 0, xp.nan, 0).astype(input._data.dtype))


def inverse(input):
    return inv(input)


def slogdet(input):
    """Legacy ``torch.slogdet``: ``linalg.slogdet`` under the result name ``slogdet``."""
    return slogdet_result(*linalg_slogdet(input))


def cholesky(input, upper: bool = False):
    """Legacy ``torch.cholesky`` (``upper`` may be positional)."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)",
                  UserWarning, stacklevel=2)
    return linalg_cholesky(input, upper=upper)


def svd(input, some: bool = True, compute_uv: bool = True):
    """Legacy ``torch.svd``: ``(U, S, V)`` (``V``, not ``Vh``), reduced unless ``some=False``;
    ``compute_uv=False`` gives zero-filled ``U`` (m, m) and ``V`` (n, n) as PyTorch does."""
    if not compute_uv:
        m, n = input.shape[-2:]
        batch, dtype = tuple(input.shape[:-2]), input._data.dtype
        return svd_result(Tensor._wrap(xp.zeros(batch + (m, m), dtype)), svdvals(input),
                          Tensor._wrap(xp.zeros(batch + (n, n), dtype)))
    U, S, Vh = linalg_svd(input, full_matrices=not some)
    return svd_result(U, S, Vh.mT)


def qr(input, some: bool = True):
    """Legacy ``torch.qr``: reduced (``some=True``) or complete QR."""
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                  "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\nQ, R = "
                  "torch.qr(A, some)\nshould be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some else "
                  "'complete')", UserWarning, stacklevel=2)
    Q, R = linalg_qr(input, "reduced" if some else "complete")
    return qr_result(Q, R)


def pinverse(input, rcond: float = 1e-15):
    return pinv(input, rtol=rcond)


def matrix_power(A, n: int):
    """``A`` multiplied by itself ``n`` times (by squaring); ``n = 0`` gives the identity, ``n < 0`` powers of
    the inverse."""
    check_matrix(A, "linalg.matrix_power")
    if n == 0:  # the identity, still connected to A (a zero gradient), as PyTorch's
        return eye_like(A).where(Tensor._wrap(xp.ones((), dtype=bool)), A)
    if n < 0:
        A, n = inv(A), -n
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if n:
            square = square @ square
    return result


def eye_like(A):
    """Identity matrices of ``A``'s shape and dtype."""
    return Tensor._wrap(xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy())


def failure_info(A, kind: str):
    """PyTorch's ``info`` of the ``*_ex`` functions, per matrix (int32, 0 = success), without factoring twice:
    ``'singular'`` (inv, solve) marks a zero determinant (the LU factorisation's zero pivot) with the order of
    the first singular leading minor (``n`` when only pivoting meets it); ``'not_pd'`` (cholesky) the order of
    the first leading minor that is not positive (Sylvester's criterion)."""
    data = A._data
    n = data.shape[-1]
    bad = (lambda minor: minor == 0) if kind == "singular" else (lambda minor: ~(minor > 0))
    info = xp.zeros(data.shape[:-2], dtype=xp.int32)
    for k in range(n, 0, -1):  # descending, so the smallest failing order is written last
        info = xp.where(bad(xp.linalg.det(data[..., :k, :k])), k, info).astype(xp.int32)
    if kind == "singular":
        singular = xp.linalg.det(data) == 0
        info = xp.where(singular, xp.where(info > 0, info, n), 0).astype(xp.int32)
    return Tensor._wrap(info)
