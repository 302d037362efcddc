"""Linear and bilinear layers on raw arrays: one GEMM forward, two GEMMs backward."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from .linalg import Einsum

__all__ = ["Linear", "Bilinear"]


# ---------------------------------------------------------------------------------------------- linear
class Linear(Function):
    """``y = x @ W.T + b`` over the last dim of ``x`` (any leading dims)."""

    def forward(self, x, w, b):
        self.x, self.w = x, w
        x2 = x.reshape(-1, x.shape[-1])
        out = x2 @ w.T
        if b is not None:
            out += b
        return out.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, g):
        need = self.needs_input_grad
        x, w = self.x, self.w
        g2 = g.reshape(-1, w.shape[0])
        gx = (g2 @ w).reshape(x.shape) if need[0] else None
        gw = g2.T @ x.reshape(-1, x.shape[-1]) if need[1] else None
        gb = g2.sum(axis=0) if len(need) > 2 and need[2] else None
        return gx, gw, gb

    def backward_tensors(self, g):
        need = self.needs_input_grad
        x, w = self.inputs[0], self.inputs[1]
        g2 = g.reshape(-1, w.shape[0])
        gx = g2.matmul(w).reshape(tuple(x.shape)) if need[0] else None
        gw = g2.t().matmul(x.reshape(-1, x.shape[-1])) if need[1] else None
        gb = g2.sum(dim=0) if len(need) > 2 and need[2] else None
        return gx, gw, gb


class Bilinear(Function):
    """``y[n, o] = x1[n] @ W[o] @ x2[n] + b[o]`` for 2-D ``x1 (N, I)``, ``x2 (N, J)``, ``W (O, I, J)``."""

    def forward(self, x1, x2, w, b):
        n, i = x1.shape
        o, _, j = w.shape
        self.x1, self.x2, self.w = x1, x2, w
        # (N, I) @ (I, O*J) -> (N, O, J); then contract J with x2
        self.x1w = (x1 @ w.transpose(1, 0, 2).reshape(i, o * j)).reshape(n, o, j)
        out = xp.matmul(self.x1w, x2[:, :, None])[:, :, 0]
        if b is not None:
            out += b
        return out

    def backward(self, g):
        need = self.needs_input_grad
        x1, x2, w = self.x1, self.x2, self.w
        n, i = x1.shape
        o, _, j = w.shape
        g1 = g2 = gw = gb = None
        if need[0]:
            x2w = (x2 @ w.transpose(2, 0, 1).reshape(j, o * i)).reshape(n, o, i)
            g1 = xp.matmul(g[:, None, :], x2w)[:, 0, :]
        if need[1]:
            g2 = xp.matmul(g[:, None, :], self.x1w)[:, 0, :]
        if need[2]:
            outer = (x1[:, :, None] * x2[:, None, :]).reshape(n, i * j)
            gw = (g.T @ outer).reshape(o, i, j)
        if len(need) > 3 and need[3]:
            gb = g.sum(axis=0)
        return g1, g2, gw, gb

    def backward_tensors(self, g):
        need = self.needs_input_grad
        x1, x2, w = self.inputs[0], self.inputs[1], self.inputs[2]
        g1 = Einsum.apply(g, w, x2, equation="no,oij,nj->ni") if need[0] else None
        g2 = Einsum.apply(g, w, x1, equation="no,oij,ni->nj") if need[1] else None
        gw = Einsum.apply(g, x1, x2, equation="no,ni,nj->oij") if need[2] else None
        gb = g.sum(dim=0) if len(need) > 3 and need[3] else None
        return g1, g2, gw, gb
