"""Matrix decompositions and what is built on them: inv, det, slogdet, solve, cholesky, svd, eigh, qr.

Batched over leading dims (``(*, m, n)``), real floating point. Backward formulas are PyTorch's (the standard
matrix-calculus ones; svd/eigh assume distinct singular values/eigenvalues, as PyTorch's do).
A decomposition with several outputs is one kernel per output (``part``), each giving its own term of the
input's gradient (the terms are linear in the output gradients, so the engine's sum is the full gradient);
the parts of one call share the factorisation through ``cache`` instead of factoring once per part (each
output is a copy, so an in-place change to one cannot corrupt another's backward).
"""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ..errors import LinAlgError
from .shape import Cat

__all__ = ["DecompositionCache", "Inv", "Det", "Logabsdet", "Solve", "Cholesky", "SvdPart", "EighPart", "QrPart"]


def _mT(a):
    return xp.swapaxes(a, -1, -2)


def _inv(a, op: str):
    try:
        return xp.linalg.inv(a)
    except xp.linalg.LinAlgError:
        raise LinAlgError(f"{op}: The input matrix is singular, the inversion could not be completed.") from None


class DecompositionCache:
    """The factorisation of the last input array seen, shared by the part kernels of one call."""

    __slots__ = ("key", "value")

    def __init__(self):
        self.key = self.value = None

    def get(self, x, compute):
        if self.key is not x:  # a replayed trace passes new arrays: factor again
            self.key, self.value = x, compute(x)
        return self.value


class Inv(Function):

    saves_inputs = False
    saves_output = True  # backward reads the inverse

    def name(self) -> str:
        return "LinalgInvExBackward0"

    def forward(self, x):
        self.y = _inv(x, "linalg.inv")
        return self.y

    def backward(self, g):
        yt = _mT(self.y)
        return -(yt @ g @ yt)

    def backward_tensors(self, g):
        yt = self.inputs[0].inverse().transpose(-1, -2)
        return -(yt.matmul(g).matmul(yt))


class Det(Function):
    def name(self) -> str:
        return "LinalgDetBackward0"

    def forward(self, x):
        self.x = x
        return xp.linalg.det(x)

    def backward(self, g):
        # d det / dA is the cofactor matrix; from the SVD it is defined for singular A too:
        # cof(A) = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh
        u, s, vh = xp.linalg.svd(self.x)
        ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
        before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(s, -1)[..., :-1]], axis=-1), axis=-1), -1)
        sign = xp.linalg.det(u) * xp.linalg.det(vh)
        cofactor = (u * (before * after)[..., None, :]) @ vh * sign[..., None, None]
        return g[..., None, None] * cofactor

    def backward_tensors(self, g):
        a = self.inputs[0]  # invertible inputs only at second order: det(A) A^-T
        return (g * a.det()).unsqueeze(-1).unsqueeze(-1) * a.inverse().transpose(-1, -2)


class Logabsdet(Function):
    """The ``logabsdet`` output of ``slogdet``; its ``sign`` output has no gradient."""

    def name(self) -> str:
        return "LinalgSlogdetBackward0"

    def forward(self, x):
        self.x = x
        sign, logabsdet = xp.linalg.slogdet(x)
        return logabsdet

    def backward(self, g):
        return g[..., None, None] * _mT(_inv(self.x, "linalg.slogdet"))

    def backward_tensors(self, g):
        return g.unsqueeze(-1).unsqueeze(-1) * self.inputs[0].inverse().transpose(-1, -2)


class Solve(Function):
    """``X`` with ``A @ X = B``; ``vector`` when ``B`` is a (batch of) vector(s)."""

    saves_output = True  # backward reads the solution

    def name(self) -> str:
        return "LinalgSolveExBackward0"

    def forward(self, a, b):
        self.a = a
        try:
            x = xp.linalg.solve(a, b[..., None] if self.vector else b)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.") from None
        self.x = x
        return x[..., 0] if self.vector else x

    def backward(self, g):
        g = g[..., None] if self.vector else g
        gb = xp.linalg.solve(_mT(self.a), g)
        ga = -(gb @ _mT(self.x)) if self.needs_input_grad[0] else None
        return ga, (gb[..., 0] if self.vector else gb)

    def backward_tensors(self, g):
        a, b = self.inputs
        a_inv_t = a.inverse().transpose(-1, -2)
        g = g.unsqueeze(-1) if self.vector else g
        x = a.inverse().matmul(b.unsqueeze(-1) if self.vector else b)
        gb = a_inv_t.matmul(g)
        ga = -(gb.matmul(x.transpose(-1, -2))) if self.needs_input_grad[0] else None
        return ga, (gb.squeeze(-1) if self.vector else gb)


class Cholesky(Function):

    saves_inputs = False
    saves_output = True  # backward reads the factor

    def name(self) -> str:
        return "LinalgCholeskyExBackward0"

    def forward(self, x):
        try:
            self.lower = xp.linalg.cholesky(x)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                              "positive-definite.") from None
        return _mT(self.lower).copy() if self.upper else self.lower

    def backward(self, g):
        # Iain Murray (2016), arXiv 1602.07527, as PyTorch: gA = L^-T Phi(L^T gL) L^-1
        lower = self.lower
        g = _mT(g) if self.upper else g
        phi = xp.tril(_mT(lower) @ g)
        phi = 0.5 * (phi + _mT(xp.tril(phi, -1)))
        inv_lower = xp.linalg.inv(lower)
        return _mT(inv_lower) @ phi @ inv_lower

    def backward_tensors(self, g):
        """The same formula with Tensor ops on a recomputed (recorded) factor, so it differentiates again."""
        lower = type(self).apply(self.inputs[0], upper=False)
        g = g.transpose(-1, -2) if self.upper else g
        phi = lower.transpose(-1, -2).matmul(g).tril()
        phi = 0.5 * (phi + phi.tril(-1).transpose(-1, -2))
        inv_lower = lower.inverse()
        return inv_lower.transpose(-1, -2).matmul(phi).matmul(inv_lower)


def _skew(a):
    return a - _mT(a)


def _offdiag_inverse_gaps(values):
    """``1 / (values_j - values_i)`` off the diagonal and 0 on it, for the (i, j) entries."""
    gaps = values[..., None, :] - values[..., :, None]
    n = values.shape[-1]
    eye = xp.eye(n, dtype=bool)
    with xp.errstate(divide="ignore"):
        return xp.where(eye, 0, 1 / xp.where(eye, 1, gaps))


class SvdPart(Function):
    """One of ``U``, ``S``, ``Vh`` of ``linalg.svd`` (``part``); ``cache`` holds the shared factorisation."""

    saves_inputs = False  # backward reads the factorisation only, kept private (the outputs are copies)

    def name(self) -> str:
        return "LinalgSvdBackward0"

    def forward(self, x):
        self.m, self.n = x.shape[-2:]
        self.u, self.s, self.vh = self.cache.get(x, lambda a: xp.linalg.svd(a, full_matrices=self.full_matrices))
        return {"U": self.u, "S": self.s, "Vh": self.vh}[self.part].copy()

    def backward(self, g):
        m, n = self.m, self.n
        k = min(m, n)
        u, s, vh = self.u[..., :, :k], self.s, self.vh[..., :k, :]
        if self.part == "S":
            return (u * g[..., None, :]) @ vh
        s2 = s * s
        gaps = s2[..., None, :] - s2[..., :, None]  # E_jk = s_k^2 - s_j^2
        eye = xp.eye(k, dtype=bool)
        gaps = xp.where(eye, 1, gaps)
        if self.part == "U":
            g = g[..., :, :k]
            inner = _skew(_mT(u) @ g) * s[..., None, :] / gaps
            if m > k:
                g_over_s = g / s[..., None, :]
                return (u @ inner + g_over_s - u @ (_mT(u) @ g_over_s)) @ vh
            return u @ inner @ vh
        gv = _mT(g[..., :k, :])
        v = _mT(vh)
        inner = s[..., :, None] * _skew(_mT(v) @ gv) / gaps
        if n > k:
            gv_over_s = gv / s[..., None, :]
            return u @ (inner @ vh + _mT(gv_over_s) - (_mT(gv_over_s) @ v) @ vh)
        return u @ inner @ vh

    def backward_tensors(self, g):
        """The same formulas with Tensor ops on a recomputed (recorded) factorisation."""
        a, cache = self.inputs[0], DecompositionCache()
        parts = {p: type(self).apply(a, part=p, full_matrices=self.full_matrices, cache=cache) for p in "US"}
        parts["Vh"] = type(self).apply(a, part="Vh", full_matrices=self.full_matrices, cache=cache)
        m, n = self.m, self.n
        k = min(m, n)
        u, s, vh = parts["U"][..., :, :k], parts["S"], parts["Vh"][..., :k, :]
        if self.part == "S":
            return (u * g.unsqueeze(-2)).matmul(vh)
        s2 = s * s
        gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1) + s._wrap(xp.eye(k, dtype=s._data.dtype))

        def skew(t):
            return t - t.transpose(-1, -2)
        ut = u.transpose(-1, -2)
        if self.part == "U":
            g = g[..., :, :k]
            inner = skew(ut.matmul(g)) * s.unsqueeze(-2) / gaps
            if m > k:
                g_over_s = g / s.unsqueeze(-2)
                return (u.matmul(inner) + g_over_s - u.matmul(ut.matmul(g_over_s))).matmul(vh)
            return u.matmul(inner).matmul(vh)
        gv = g[..., :k, :].transpose(-1, -2)
        v = vh.transpose(-1, -2)
        inner = s.unsqueeze(-1) * skew(v.transpose(-1, -2).matmul(gv)) / gaps
        if n > k:
            gv_over_s_t = (gv / s.unsqueeze(-2)).transpose(-1, -2)
            return u.matmul(inner.matmul(vh) + gv_over_s_t - gv_over_s_t.matmul(v).matmul(vh))
        return u.matmul(inner).matmul(vh)


class EighPart(Function):
    """``eigenvalues`` (``part='L'``) or ``eigenvectors`` (``part='V'``) of a symmetric matrix."""

    saves_inputs = False  # backward reads the factorisation only, kept private (the outputs are copies)

    def name(self) -> str:
        return "LinalgEighBackward0"

    def forward(self, x):
        self.values, self.vectors = self.cache.get(x, lambda a: xp.linalg.eigh(a, UPLO=self.uplo))
        return (self.values if self.part == "L" else self.vectors).copy()

    def backward(self, g):
        v = self.vectors
        if self.part == "L":
            return (v * g[..., None, :]) @ _mT(v)
        inner = (_mT(v) @ g) * _offdiag_inverse_gaps(self.values)
        grad = v @ inner @ _mT(v)
        return 0.5 * (grad + _mT(grad))  # the symmetric part, as PyTorch returns

    def backward_tensors(self, g):
        """The same formulas with Tensor ops on a recomputed (recorded) factorisation."""
        a, cache = self.inputs[0], DecompositionCache()
        v = type(self).apply(a, part="V", uplo=self.uplo, cache=cache)
        vt = v.transpose(-1, -2)
        if self.part == "L":
            return (v * g.unsqueeze(-2)).matmul(vt)
        values = type(self).apply(a, part="L", uplo=self.uplo, cache=cache)
        eye = xp.eye(values.shape[-1], dtype=values._data.dtype)
        gaps = values.unsqueeze(-2) - values.unsqueeze(-1) + values._wrap(eye)  # 1 on the diagonal
        inner = vt.matmul(g) * (values._wrap(1 - eye) / gaps)
        grad = v.matmul(inner).matmul(vt)
        return 0.5 * (grad + grad.transpose(-1, -2))


class QrPart(Function):
    """``Q`` or ``R`` of ``linalg.qr`` (``part``); ``cache`` holds the shared factorisation. Differentiable as
    PyTorch's: not for ``mode='complete'`` with more rows than columns."""

    def name(self) -> str:
        return "LinalgQrBackward0"

    def forward(self, x):
        self.x = x
        self.q, self.r = self.cache.get(x, lambda a: _qr(a, self.mode))
        return (self.q if self.part == "Q" else self.r).copy()

    def backward(self, g):
        m, n = self.x.shape[-2:]
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                               "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        gq, gr = (g, None) if self.part == "Q" else (None, g)
        if m >= n:
            return _qr_backward_tall(self.q, self.r, gq, gr)
        # A = Q [R1 | R2] = [X | Y]: X = Q R1 is a square QR and Y = Q R2 (PyTorch's reduction)
        if gr is None:
            return xp.concatenate([_qr_backward_tall(self.q, self.r[..., :m], gq, None),
                                   xp.zeros(self.x.shape[:-1] + (n - m,), dtype=g.dtype)], axis=-1)
        g_r2 = gr[..., m:]
        gx = _qr_backward_tall(self.q, self.r[..., :m], self.x[..., m:] @ _mT(g_r2), gr[..., :m])
        return xp.concatenate([gx, self.q @ g_r2], axis=-1)

    def backward_tensors(self, g):
        """The same formulas with Tensor ops on a recomputed (recorded) factorisation."""
        a, cache = self.inputs[0], DecompositionCache()
        m, n = a.shape[-2:]
        if self.mode == "r" or (self.mode == "complete" and m > n):
            return self.backward(g._data)  # raises PyTorch's error for these modes
        q = type(self).apply(a, part="Q", mode=self.mode, cache=cache)
        r = type(self).apply(a, part="R", mode=self.mode, cache=cache)
        gq, gr = (g, None) if self.part == "Q" else (None, g)
        if m >= n:
            return _qr_backward_tall_tensors(q, r, gq, gr)
        if gr is None:
            gx = _qr_backward_tall_tensors(q, r[..., :m], gq, None)
            return Cat.apply(gx, gx._wrap(xp.zeros(tuple(a.shape[:-1]) + (n - m,), dtype=g._data.dtype)), dim=-1)
        g_r2 = gr[..., m:]
        gx = _qr_backward_tall_tensors(q, r[..., :m], a[..., m:].matmul(g_r2.transpose(-1, -2)), gr[..., :m])
        return Cat.apply(gx, q.matmul(g_r2), dim=-1)


def _qr_backward_tall(q, r, gq, gr):
    """PyTorch's QR backward for ``m >= n``: ``gA = (gQ + Q syminvadj(triu(gR R^T - Q^T gQ))) R^-T``."""
    inner = xp.zeros(r.shape[:-2] + (r.shape[-1], r.shape[-1]), dtype=r.dtype)
    if gr is not None:
        inner = inner + gr @ _mT(r)
    if gq is not None:
        inner = inner - _mT(q) @ gq
    grad = q @ _syminvadj(xp.triu(inner))
    if gq is not None:
        grad = grad + gq
    return _mT(xp.linalg.solve(r, _mT(grad)))  # grad @ R^-T, solved rather than inverted


def _qr_backward_tall_tensors(q, r, gq, gr):
    """``_qr_backward_tall`` with Tensor ops (recorded, so it differentiates again)."""
    k = r.shape[-1]
    eye = xp.eye(k, dtype=r._data.dtype)
    inner = r._wrap(xp.zeros(tuple(r.shape[:-2]) + (k, k), dtype=r._data.dtype))
    if gr is not None:
        inner = inner + gr.matmul(r.transpose(-1, -2))
    if gq is not None:
        inner = inner - q.transpose(-1, -2).matmul(gq)
    upper = inner.triu()
    symmetric = upper + upper.transpose(-1, -2)
    grad = q.matmul(symmetric * r._wrap(1 - 0.5 * eye))
    if gq is not None:
        grad = grad + gq
    return grad.matmul(r.inverse().transpose(-1, -2))


def _syminvadj(a):
    """``a + a^T`` with the diagonal halved."""
    out = a + _mT(a)
    diagonal = xp.einsum("...ii->...i", out)
    return out - xp.einsum("...i,ij->...ij", diagonal / 2, xp.eye(a.shape[-1], dtype=a.dtype))


def _qr(a, mode: str):
    if mode == "r":
        return xp.empty((0,), dtype=a.dtype), xp.linalg.qr(a, mode="r")
    return xp.linalg.qr(a, mode=mode)
