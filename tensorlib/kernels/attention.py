"""Scaled dot-product attention as one kernel: forward and its hand-written backward on raw arrays.

``softmax(q @ k^T * scale + mask) @ v`` over the last two dims, batch dims broadcast as in ``matmul``. Memory:
the forward keeps one ``(..., L, S)`` probability matrix (softmax computed in place on the scores) plus, with
dropout, a boolean keep mask; the backward works through the batch in blocks of ~16 MB of scores, in place.
The softmax row-sum term of the backward, ``sum_s dP * P``, equals ``sum_e grad * out`` (so no product of two
score matrices is formed). A fully masked row (every score ``-inf``) gives zero weights, output and gradients,
as PyTorch's safe softmax does.
"""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ._utils import const

__all__ = ["ScaledDotProductAttention"]


def additive_mask(mask, dtype):
    """A boolean mask (True = take part) as an additive array of ``dtype`` (0 or ``-inf``); floats cast."""
    if mask.dtype == xp.bool_:
        return xp.where(mask, xp.asarray(0, dtype=dtype), xp.asarray(-xp.inf, dtype=dtype))
    return mask.astype(dtype, copy=False)


def _causal_mask(length: int, source_length: int, dtype):
    """``(L, S)`` additive mask: row ``i`` sees columns ``0..i`` (top-left aligned, as PyTorch's ``is_causal``)."""
    keep = xp.tri(length, source_length, dtype=xp.bool_)
    return additive_mask(keep, dtype)


def _repeat_heads(array, groups: int):
    """Grouped-query attention: each key/value head serves ``groups`` consecutive query heads."""
    return array if groups == 1 else xp.repeat(array, groups, axis=-3)


def _sum_head_groups(grad, groups: int):
    if groups == 1:
        return grad
    shape = grad.shape
    return grad.reshape(shape[:-3] + (shape[-3] // groups, groups) + shape[-2:]).sum(axis=-3)


class ScaledDotProductAttention(Function):
    """Inputs ``q (..., L, E)``, ``k (..., S, E)``, ``v (..., S, Ev)``, optional additive ``mask`` broadcastable
    to ``(..., L, S)``; attributes ``scale``, ``causal``, ``groups`` (GQA), ``keep`` (dropout keep mask or None)
    and ``keep_scale`` (``1 / (1 - p)``). Output ``(..., L, Ev)``."""

    saves_output = True

    def name(self) -> str:
        return "ScaledDotProductFlashAttentionForCpuBackward0"

    def forward(self, q, k, v, mask):
        dtype = q.dtype
        k_all, v_all = _repeat_heads(k, self.groups), _repeat_heads(v, self.groups)
        scores = xp.matmul(q * xp.asarray(self.scale, dtype=dtype), xp.swapaxes(k_all, -1, -2))
        if mask is not None:
            scores += mask
        if self.causal:
            scores += _causal_mask(q.shape[-2], k.shape[-2], dtype)
        probs = _softmax_inplace(scores)
        if self.keep is None:
            out = xp.matmul(probs, v_all)
        else:  # dropped weights formed block by block: no second full (L, S) array
            lead = xp.broadcast_shapes(probs.shape[:-2], v_all.shape[:-2])
            flat_probs, flat_v, keep = _flat(probs, lead), _flat(v_all, lead), _flat(self.keep, lead)
            factor = xp.asarray(self.keep_scale, dtype=dtype)
            out = xp.empty(flat_probs.shape[:2] + v_all.shape[-1:], dtype=dtype)
            for rows in _blocks(flat_probs):
                weights = flat_probs[rows] * factor
                weights *= keep[rows]
                xp.matmul(weights, flat_v[rows], out=out[rows])
            out = out.reshape(lead + out.shape[-2:])
        self.q, self.k, self.v, self.probs, self.out = q, k, v, probs, out
        return out

    def backward(self, grad):
        """Block by block over the flattened batch dims, so the only full ``(L, S)`` array is the saved ``probs``
        (plus the float mask's gradient when one is needed). Per block, with ``W`` the (dropped) weights:
        ``gv = W^T grad``; ``dS = P * (dW * keep - rowsum(grad * out))``; ``gq = dS k * scale``;
        ``gk = dS^T q * scale``; the mask's gradient is ``dS``."""
        need = self.needs_input_grad
        q, probs, out, groups = self.q, self.probs, self.out, self.groups
        dtype = q.dtype
        scale = xp.asarray(self.scale, dtype=dtype)
        lead = out.shape[:-2]
        flat_probs, flat_grad = _flat(probs, lead), _flat(grad, lead)
        flat_q, flat_k = _flat(q, lead), _flat(_repeat_heads(self.k, groups), lead)
        flat_v = _flat(_repeat_heads(self.v, groups), lead)
        keep = None if self.keep is None else _flat(self.keep, lead)
        factor = xp.asarray(self.keep_scale, dtype=dtype)
        gq = xp.empty_like(flat_q) if need[0] else None
        gk = xp.empty_like(flat_k) if need[1] else None
        gv = xp.empty_like(flat_v) if need[2] else None
        g_mask = xp.empty_like(flat_probs) if need[3] else None
        need_scores = need[0] or need[1] or need[3]
        if need_scores:
            row_terms = _row_dot(flat_grad, _flat(out, lead))[..., None]  # rowsum(dP * P) = rowsum(grad * out)
            scaled_q = flat_q * scale if need[1] else None
        for rows in _blocks(flat_probs):
            p = flat_probs[rows]
            if need[2]:
                weights = p if keep is None else p * factor * keep[rows]
                xp.matmul(xp.swapaxes(weights, -1, -2), flat_grad[rows], out=gv[rows])
            if not need_scores:
                continue
            d_scores = xp.matmul(flat_grad[rows], xp.swapaxes(flat_v[rows], -1, -2),
                                 out=None if g_mask is None else g_mask[rows])
            if keep is not None:
                d_scores *= keep[rows]
                d_scores *= factor
            d_scores -= row_terms[rows]
            d_scores *= p
            if need[0]:
                xp.matmul(d_scores, flat_k[rows], out=gq[rows])
            if need[1]:
                xp.matmul(xp.swapaxes(d_scores, -1, -2), scaled_q[rows], out=gk[rows])
        if gq is not None:
            gq *= scale
            gq = gq.reshape(lead + gq.shape[-2:])
        if gk is not None:
            gk = _sum_head_groups(gk.reshape(lead + gk.shape[-2:]), groups)
        if gv is not None:
            gv = _sum_head_groups(gv.reshape(lead + gv.shape[-2:]), groups)
        if g_mask is not None:
            g_mask = g_mask.reshape(lead + g_mask.shape[-2:])
        return gq, gk, gv, g_mask

    def backward_tensors(self, grad):
        """The same calculus on Tensors, with the forward recomputed from the inputs so second derivatives reach
        q, k, v and the mask (fully masked rows give NaN here rather than zeros)."""
        q, k, v, mask = self.inputs
        need = self.needs_input_grad
        groups = self.groups
        k_all = k if groups == 1 else k.repeat_interleave(groups, dim=-3)
        v_all = v if groups == 1 else v.repeat_interleave(groups, dim=-3)
        scores = (q * self.scale).matmul(k_all.transpose(-1, -2))
        if mask is not None:
            scores = scores + mask
        if self.causal:
            scores = scores + const(grad, _causal_mask(q.shape[-2], k.shape[-2], q._data.dtype))
        probs = scores.softmax(-1)
        keep = None if self.keep is None else const(grad, self.keep * self.keep_scale)
        weights = probs if keep is None else probs * keep
        d_probs = grad.matmul(v_all.transpose(-1, -2))
        if keep is not None:
            d_probs = d_probs * keep
        d_scores = probs * (d_probs - (d_probs * probs).sum(dim=-1, keepdim=True))
        gq = d_scores.matmul(k_all) * self.scale if need[0] else None
        gk = gv = None
        if need[1]:
            gk = _sum_head_groups_tensor(d_scores.transpose(-1, -2).matmul(q) * self.scale, groups)
        if need[2]:
            gv = _sum_head_groups_tensor(weights.transpose(-1, -2).matmul(grad), groups)
        return gq, gk, gv, (d_scores if need[3] else None)


_BLOCK_BYTES = 1 << 24  # (L, S) scores handled per block of the backward: bounds its temporaries to ~16 MB


def _flat(array, lead: tuple):
    """``array`` broadcast to the batch dims ``lead`` and flattened to ``(batch, rows, cols)``; only inputs that
    were broadcast get copied (they are the small q/k/v arrays, or a shared dropout mask)."""
    full = xp.broadcast_to(array, lead + array.shape[-2:])
    return full.reshape((-1,) + array.shape[-2:])


def _blocks(flat_scores) -> list:
    """Slices of the flattened batch, each covering at most ``_BLOCK_BYTES`` of scores (at least one item)."""
    count, length, source = flat_scores.shape
    step = max(1, _BLOCK_BYTES // max(1, length * source * flat_scores.itemsize))
    return [slice(start, min(start + step, count)) for start in range(0, count, step)]


_vecdot = getattr(xp, "vecdot", None)


def _row_dot(a, b):
    """``(a * b).sum(-1)`` without materialising the product."""
    return _vecdot(a, b) if _vecdot is not None else xp.einsum("...d,...d->...", a, b)


def _softmax_inplace(scores):
    """Max-subtracted softmax over the last axis, in place; rows that are all ``-inf`` become zeros."""
    row_max = scores.max(axis=-1, keepdims=True)
    row_max[~xp.isfinite(row_max)] = 0
    scores -= row_max
    xp.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    scores /= total
    return scores


def _sum_head_groups_tensor(grad, groups: int):
    """Tensor twin of ``_sum_head_groups``."""
    if groups == 1:
        return grad
    shape = tuple(grad.shape)
    return grad.reshape(shape[:-3] + (shape[-3] // groups, groups) + shape[-2:]).sum(dim=-3)
