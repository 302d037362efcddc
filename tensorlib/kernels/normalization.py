"""Normalization kernels: batch norm, layer norm, group/instance norm and local response norm.

Each is one ``Function`` with a closed-form backward. They are hot paths in CNN training, so the kernels work
on views of the input (no transposes), reduce products with ``vecdot``/``einsum`` (no temporaries), and reuse the
arrays they allocate in place. The normalized input ``xhat`` (batch norm: the centred input) is saved for backward
instead of recomputing it.

Backward of every "normalize then scale" op uses, per normalized group of ``M`` elements,
``dx = invstd * (gy - mean(gy) - xhat * mean(gy * xhat))`` where ``gy`` is the gradient w.r.t. ``xhat``."""

from __future__ import annotations

from .._backend import xp
from .._parallel import parallel_for, worth_halves
from ..autograd.function import Function
from ._utils import const

__all__ = ["NativeBatchNorm", "NativeLayerNorm", "NativeGroupNorm", "LocalResponseNorm"]


def _update_running(running_mean, running_var, mean, var_biased, count: int, momentum: float) -> None:
    """Exponential moving average of the batch statistics (unbiased variance, as PyTorch), in place."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += (momentum * count / max(count - 1, 1)) * var_biased


_vecdot = getattr(xp, "vecdot", None)  # NumPy >= 2: a fused multiply-sum over the last axis


def _row_dot(a, b):
    """``(a * b).sum(-1)`` without materialising the product."""
    return _vecdot(a, b) if _vecdot is not None else xp.einsum("...d,...d->...", a, b)


def _channel_dot(a3, b3):
    """``(a3 * b3).sum((0, 2))`` of (N, C, L) arrays without materialising the product."""
    return _row_dot(a3, b3).sum(axis=0)


def _channel_sum(a3):
    return xp.einsum("ncl->c", a3)


def _flat_views(*blocks) -> tuple:
    """(N, c, L) channel blocks of batch-major memory as (N, c*L) views, when every one of them allows it:
    ``(True, views)``; else ``(False, blocks)``.

    A per-channel constant spread along such a row (``_spread``) broadcasts over the batch axis only, so NumPy's
    inner loop runs over c*L elements instead of L: 1.3x - 1.6x faster per pass for L from 1024 down to 64.
    (Channel-major memory, a convolution's output, needs no help: NumPy already runs one loop per channel.)"""
    try:
        return True, tuple(b.reshape(b.shape[0], -1, copy=False) for b in blocks)
    except (ValueError, TypeError):  # a copy would be needed, or the backend has no ``copy`` keyword
        return False, blocks


def _spread(values, flat: bool, length: int):
    """Per-channel ``values`` (c,) shaped to broadcast against ``_flat_views``' arrays: a (1, c*L) row when
    ``flat``, else (1, c, 1)."""
    return xp.repeat(values, length)[None] if flat else values.reshape(1, -1, 1)


def _channel_blocks(channels: int, nbytes: int) -> list:
    """Channel ranges a batch norm works through, one per ``parallel_for`` index: two when ``worth_halves`` (one
    per thread on two cores: each NumPy call hands the GIL back, and on this VM a hand-off to a sleeping thread
    costs tens of microseconds, so four blocks were 15% slower), else one. Fixed by the sizes, not the thread
    count, so the results' bits are too (the blocking can change them)."""
    count = min(channels, 2) if worth_halves(channels, nbytes) else 1
    return [(channels * k // count, channels * (k + 1) // count) for k in range(count)]


# ------------------------------------------------------------------------------------------------ batch norm
class NativeBatchNorm(Function):
    """Batch norm over every axis but 1 of an (N, C, *) input.

    ``training`` (or no running stats) normalizes with the biased batch variance and updates the running
    buffers in place; otherwise the running statistics give a per-channel affine map ``x * scale + shift``.
    """

    def forward(self, x, weight, bias):
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        count = x3.shape[0] * x3.shape[2]
        dtype = x.dtype
        self.view = (1, c, 1)
        w = None if weight is None else weight.astype(dtype, copy=False)
        self.weight = w
        if self.use_batch_stats:
            b = None if bias is None else bias.astype(dtype, copy=False)
            centered, out = xp.empty_like(x3), xp.empty_like(x3)  # in the input's memory order
            mean, var, invstd = xp.empty(c, dtype), xp.empty(c, dtype), xp.empty(c, dtype)
            blocks = _channel_blocks(c, x3.nbytes)
            scale, length = dtype.type(1.0 / count), x3.shape[2]

            def block_forward(k: int) -> None:
                c0, c1 = blocks[k]
                xb, xc, ob = x3[:, c0:c1], centered[:, c0:c1], out[:, c0:c1]
                mean[c0:c1] = _channel_sum(xb) * scale
                flat, (xf, cf, of) = _flat_views(xb, xc, ob)
                xp.subtract(xf, _spread(mean[c0:c1], flat, length), out=cf)
                var[c0:c1] = _channel_dot(xc, xc) * scale
                xp.divide(1.0, xp.sqrt(var[c0:c1] + dtype.type(self.eps)), out=invstd[c0:c1])
                # out = (x - mean) * (invstd * w) + b straight from the centred input, which backward reads
                # in place of xhat (one pass less than normalising it first)
                k_c = invstd[c0:c1] if w is None else invstd[c0:c1] * w[c0:c1]
                xp.multiply(cf, _spread(k_c, flat, length), out=of)
                if b is not None:
                    of += _spread(b[c0:c1], flat, length)

            parallel_for(len(blocks), block_forward)
            _update_running(self.running_mean, self.running_var, mean, var, count, self.momentum)
            self.running_mean = self.running_var = None
            self.centered, self.invstd, self.count = centered, invstd, count
            return out.reshape(x.shape)
        invstd = 1.0 / xp.sqrt(self.running_var.astype(dtype, copy=False) + dtype.type(self.eps))
        scale = invstd if w is None else invstd * w
        shift = -self.running_mean.astype(dtype, copy=False) * scale
        if bias is not None:
            shift += bias.astype(dtype, copy=False)
        out = x3 * scale.reshape(self.view)
        out += shift.reshape(self.view)
        self.scale, self.invstd = scale, invstd
        self.x3, self.mean = x3, self.running_mean.astype(dtype, copy=False)
        self.running_mean = self.running_var = None
        return out.reshape(x.shape)

    def backward(self, g):
        shape = g.shape
        g3 = g.reshape(shape[0], shape[1], -1)
        need_x, need_w, need_b = self.needs_input_grad
        grad_w = grad_b = grad_x = None
        if self.use_batch_stats:
            centered, count, invstd = self.centered, self.count, self.invstd
            c = centered.shape[1]
            sum_g, sum_gx = xp.empty(c, g.dtype), xp.empty(c, g.dtype)
            k_all = invstd if self.weight is None else invstd * self.weight
            grad_x = xp.empty_like(centered) if need_x else None
            blocks = _channel_blocks(c, centered.nbytes)
            length = centered.shape[2]

            def block_backward(k: int) -> None:
                c0, c1 = blocks[k]
                gb, xc = g3[:, c0:c1], centered[:, c0:c1]
                sum_g[c0:c1] = _channel_sum(gb)
                sum_gx[c0:c1] = _channel_dot(gb, xc) * invstd[c0:c1]  # sum of g * xhat
                if need_x:  # dx = k * (g - mean(g) - xhat * mean(g * xhat)), xhat = (x - mean) * invstd
                    flat, (gf, cf, gx) = _flat_views(gb, xc, grad_x[:, c0:c1])
                    xp.multiply(cf, _spread(-invstd[c0:c1] * sum_gx[c0:c1] / count, flat, length), out=gx)
                    gx += gf
                    gx -= _spread(sum_g[c0:c1] / count, flat, length)
                    gx *= _spread(k_all[c0:c1], flat, length)

            parallel_for(len(blocks), block_backward)
            grad_b = sum_g if need_b else None
            grad_w = sum_gx if need_w else None
        else:
            if need_b:
                grad_b = _channel_sum(g3)
            if need_w:
                centered_dot = _channel_dot(g3, self.x3) - _channel_sum(g3) * self.mean
                grad_w = centered_dot * self.invstd
            if need_x:
                grad_x = g3 * self.scale.reshape(self.view)
        return (None if grad_x is None else grad_x.reshape(shape)), grad_w, grad_b

    def backward_tensors(self, g):
        x, weight = self.inputs[0], self.inputs[1]
        n, c = g.shape[0], g.shape[1]
        g3 = g.reshape(n, c, -1)
        need_x, need_w, need_b = self.needs_input_grad
        grad_b = g3.sum(dim=(0, 2)) if need_b else None
        grad_w = grad_x = None
        if self.use_batch_stats:
            x_rows = x.reshape(n, c, -1).transpose(0, 1).reshape(c, -1)
            g_rows = g3.transpose(0, 1).reshape(c, -1)
            gy = g_rows if weight is None else g_rows * weight.reshape(c, 1)
            grad_rows, xhat = _rows_backward_tensors(x_rows, gy, self.eps)
            if need_w:
                grad_w = (g_rows * xhat).sum(dim=1)
            if need_x:
                grad_x = grad_rows.reshape(c, n, -1).transpose(0, 1).reshape(tuple(g.shape))
        else:
            invstd = const(g, self.invstd)
            if need_w:
                grad_w = (g3 * (x.reshape(n, c, -1) - const(g, self.mean).reshape(1, c, 1))).sum(dim=(0, 2)) * invstd
            if need_x:
                scale = invstd if weight is None else invstd * weight
                grad_x = (g3 * scale.reshape(1, c, 1)).reshape(tuple(g.shape))
        return grad_x, grad_w, grad_b


# ------------------------------------------------------------------------------------- row-wise normalization
def _normalize_rows(x2, eps: float):
    """``(x - mean) / sqrt(var + eps)`` per row of a (R, D) array; returns (xhat, invstd (R,), mean, var)."""
    dtype = x2.dtype
    d = dtype.type(x2.shape[1])
    mean = x2.sum(axis=1) / d
    xhat = x2 - mean[:, None]
    var = _row_dot(xhat, xhat) / d
    invstd = 1.0 / xp.sqrt(var + dtype.type(eps))
    xhat *= invstd[:, None]
    return xhat, invstd, mean, var


def _rows_backward(gy2, xhat2, invstd):
    """Gradient w.r.t. a (R, D) input from the gradient ``gy2`` w.r.t. its normalized form; reuses ``gy2``."""
    d = xhat2.shape[1]
    mean_g = gy2.sum(axis=1) / d
    mean_gx = _row_dot(gy2, xhat2) / d
    gy2 -= mean_g[:, None]
    gy2 -= xhat2 * mean_gx[:, None]
    gy2 *= invstd[:, None]
    return gy2


class NativeLayerNorm(Function):
    """Normalize over the trailing ``D`` elements of each row; elementwise affine over those dims."""

    saves_inputs = False

    def forward(self, x, weight, bias):
        d = self.numel_normalized
        x2 = x.reshape(-1, d)
        xhat, invstd, _, _ = _normalize_rows(x2, self.eps)
        self.xhat, self.invstd, self.shape = xhat, invstd, x.shape
        self.weight = None if weight is None else weight.reshape(-1).astype(x.dtype, copy=False)
        out = xhat.copy() if self.weight is None else xhat * self.weight
        if bias is not None:
            out += bias.reshape(-1).astype(x.dtype, copy=False)
        return out.reshape(x.shape)

    def backward(self, g):
        g2 = g.reshape(-1, self.numel_normalized)
        wshape = self.shape[len(self.shape) - self.normalized_ndim:]
        need_x, need_w, need_b = self.needs_input_grad
        grad_w = xp.einsum("rd,rd->d", g2, self.xhat).reshape(wshape) if need_w else None
        grad_b = g2.sum(axis=0).reshape(wshape) if need_b else None
        grad_x = None
        if need_x:
            gy = g2 * self.weight if self.weight is not None else g2.copy()
            grad_x = _rows_backward(gy, self.xhat, self.invstd).reshape(self.shape)
        return grad_x, grad_w, grad_b

    def backward_tensors(self, g):
        x, weight = self.inputs[0], self.inputs[1]
        d = self.numel_normalized
        g2 = g.reshape(-1, d)
        wshape = self.shape[len(self.shape) - self.normalized_ndim:]
        need_x, need_w, need_b = self.needs_input_grad
        gy = g2 if weight is None else g2 * weight.reshape(-1)
        grad_x2, xhat = _rows_backward_tensors(x.reshape(-1, d), gy, self.eps)
        grad_w = (g2 * xhat).sum(dim=0).reshape(wshape) if need_w else None
        grad_b = g2.sum(dim=0).reshape(wshape) if need_b else None
        return (grad_x2.reshape(self.shape) if need_x else None), grad_w, grad_b


class NativeGroupNorm(Function):
    """Normalize each of ``groups`` channel groups per sample of an (N, C, *) input; per-channel affine.

    With ``groups == C`` this is instance norm; ``running_mean``/``running_var`` (instance norm with
    ``track_running_stats``) get the batch average of the per-instance statistics.
    """

    saves_inputs = False

    def forward(self, x, weight, bias):
        n, c = x.shape[0], x.shape[1]
        x2 = x.reshape(n * self.groups, -1)
        xhat, invstd, mean, var = _normalize_rows(x2, self.eps)
        if self.running_mean is not None:
            count = x2.shape[1]
            _update_running(self.running_mean, self.running_var, mean.reshape(n, c).mean(axis=0),
                            var.reshape(n, c).mean(axis=0), count, self.momentum)
        self.running_mean = self.running_var = None
        self.xhat, self.invstd, self.shape = xhat, invstd, x.shape
        self.weight = None if weight is None else weight.astype(x.dtype, copy=False)[:, None]
        xhat3 = xhat.reshape(n, c, -1)
        out = xhat3.copy() if self.weight is None else xhat3 * self.weight
        if bias is not None:
            out += bias.astype(x.dtype, copy=False)[:, None]
        return out.reshape(x.shape)

    def backward(self, g):
        n, c = self.shape[0], self.shape[1]
        g3 = g.reshape(n, c, -1)
        need_x, need_w, need_b = self.needs_input_grad
        xhat3 = self.xhat.reshape(n, c, -1)
        grad_w = _channel_dot(g3, xhat3) if need_w else None
        grad_b = _channel_sum(g3) if need_b else None
        grad_x = None
        if need_x:
            gy = g3 * self.weight if self.weight is not None else g3.copy()
            gy2 = gy.reshape(n * self.groups, -1)
            grad_x = _rows_backward(gy2, self.xhat, self.invstd).reshape(self.shape)
        return grad_x, grad_w, grad_b

    def backward_tensors(self, g):
        x, weight = self.inputs[0], self.inputs[1]
        n, c = self.shape[0], self.shape[1]
        g3 = g.reshape(n, c, -1)
        need_x, need_w, need_b = self.needs_input_grad
        gy = g3 if weight is None else g3 * weight.reshape(c, 1)
        rows = n * self.groups
        grad_x2, xhat = _rows_backward_tensors(x.reshape(rows, -1), gy.reshape(rows, -1), self.eps)
        grad_w = (g3 * xhat.reshape(n, c, -1)).sum(dim=(0, 2)) if need_w else None
        grad_b = g3.sum(dim=(0, 2)) if need_b else None
        return (grad_x2.reshape(self.shape) if need_x else None), grad_w, grad_b


# -------------------------------------------------------------------------------------- local response norm
class LocalResponseNorm(Function):
    """``y = x / (k + alpha/size * sum_{window} x^2)^beta`` with a channel window of ``size`` (zero padded)."""

    def forward(self, x):
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        self.x3 = x3
        self.denom = self._window_sum(x3 * x3, transpose=False)
        self.denom *= x.dtype.type(self.alpha / self.size)
        self.denom += x.dtype.type(self.k)
        self.scale = self.denom ** -x.dtype.type(self.beta)
        return (x3 * self.scale).reshape(x.shape)

    def _window_sum(self, a, transpose: bool):
        """Sum over channels ``c - size//2 .. c + (size-1)//2`` (the transposed window when ``transpose``)."""
        before, after = self.size // 2, (self.size - 1) // 2
        if transpose:
            before, after = after, before
        c = a.shape[1]
        padded = xp.zeros((a.shape[0], c + 1 + before + after, a.shape[2]), dtype=a.dtype)
        xp.cumsum(a, axis=1, out=padded[:, 1 + before:1 + before + c])
        padded[:, 1 + before + c:] = padded[:, before + c:before + c + 1]
        return padded[:, self.size:self.size + c] - padded[:, :c]

    def backward(self, g):
        shape = g.shape
        g3 = g.reshape(self.x3.shape)
        inner = g3 * self.x3 * self.scale / self.denom
        grad = g3 * self.scale
        grad -= self.x3 * self._window_sum(inner, transpose=True) * (2.0 * self.alpha * self.beta / self.size)
        return grad.reshape(shape)

    def backward_tensors(self, g):
        x = self.inputs[0]
        n, c = x.shape[0], x.shape[1]
        before, after = self.size // 2, (self.size - 1) // 2
        # the window sum over channels as a (C, C) band matrix: row c sums columns c - before .. c + after
        offset = xp.arange(c)[None, :] - xp.arange(c)[:, None]
        band = const(g, (offset >= -before) & (offset <= after))
        x3, g3 = x.reshape(n, c, -1), g.reshape(n, c, -1)
        denom = band.matmul(x3 * x3) * (self.alpha / self.size) + self.k
        scale = denom ** -self.beta
        inner = g3 * x3 * scale / denom
        grad = g3 * scale - x3 * band.t().matmul(inner) * (2.0 * self.alpha * self.beta / self.size)
        return grad.reshape(tuple(g.shape))


def _rows_backward_tensors(x2, gy2, eps: float):
    """Tensor twin of ``_normalize_rows`` + ``_rows_backward``: ``(grad_x2, xhat2)`` recomputed from the input
    rows ``x2`` (R, D), so a second derivative flows through the statistics."""
    centered = x2 - x2.mean(dim=1, keepdim=True)
    invstd = ((centered * centered).mean(dim=1, keepdim=True) + eps).rsqrt()
    xhat = centered * invstd
    grad = invstd * (gy2 - gy2.mean(dim=1, keepdim=True) - xhat * (gy2 * xhat).mean(dim=1, keepdim=True))
    return grad, xhat
