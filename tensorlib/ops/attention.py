"""Scaled dot-product attention as one kernel: forward and its hand-written backward on raw arrays.

``softmax(q @ k^T * scale + mask) @ v`` over the last two dims, batch dims broadcast as in ``matmul``. Memory:
the forward keeps one ``(..., L, S)`` probability matrix (softmax computed in place on the scores) plus, with
dropout, a boolean keep mask; the backward allocates one more ``(..., L, S)`` buffer and works in place in it.
The softmax row-sum term of the backward, ``sum_s dP * P``, equals ``sum_e grad * out`` (so no product of two
score matrices is formed). A fully masked row (every score ``-inf``) gives zero weights, output and gradients,
as PyTorch's safe softmax does.
"""

from __future__ import annotations

from .. import random as _random
from .._backend import xp
from ..autograd.function import Function
from ..tensor import Tensor
from .reduction import softmax

__all__ = ["scaled_dot_product_attention", "additive_mask", "explicit_softmax"]


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
        weights = probs if self.keep is None else probs * self.keep * xp.asarray(self.keep_scale, dtype=dtype)
        out = xp.matmul(weights, v_all)
        self.q, self.k, self.v, self.probs, self.out = q, k, v, probs, out
        return out

    def backward(self, grad):
        need = self.needs_input_grad
        q, probs, out, groups = self.q, self.probs, self.out, self.groups
        dtype = q.dtype
        k_all, v_all = _repeat_heads(self.k, groups), _repeat_heads(self.v, groups)
        keep_factor = None if self.keep is None else self.keep * xp.asarray(self.keep_scale, dtype=dtype)
        gv = None
        if need[2]:
            weights = probs if keep_factor is None else probs * keep_factor
            gv = _sum_head_groups(xp.matmul(xp.swapaxes(weights, -1, -2), grad), groups)
            del weights
        if not (need[0] or need[1] or need[3]):
            return None, None, gv, None
        # d scores = P * (dP - rowsum(dP * P)), with rowsum(dP * P) = rowsum(grad * out)
        d_scores = xp.matmul(grad, xp.swapaxes(v_all, -1, -2))
        if keep_factor is not None:
            d_scores *= keep_factor
        d_scores -= _row_dot(grad, out)[..., None]
        d_scores *= probs
        scale = xp.asarray(self.scale, dtype=dtype)
        gq = xp.matmul(d_scores, k_all) * scale if need[0] else None
        gk = _sum_head_groups(xp.matmul(xp.swapaxes(d_scores, -1, -2), q * scale), groups) if need[1] else None
        return gq, gk, gv, (d_scores if need[3] else None)


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


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float = None, groups: int = 1,
                                 generator=None) -> Tensor:
    """Kernel entry: arguments already validated. ``attn_mask`` a Tensor (bool or float) or None; ``groups`` the
    number of query heads per key/value head; dropout keep mask drawn from tensorlib's RNG."""
    dtype = query._data.dtype
    mask = None
    if attn_mask is not None:
        if attn_mask._data.dtype == xp.bool_:
            mask = additive_mask(attn_mask._data, dtype)
        else:
            mask = attn_mask if attn_mask._data.dtype == dtype else attn_mask.to(query.dtype)
    keep, keep_scale = None, 1.0
    if dropout_p > 0.0:
        q_shape, k_shape = query._data.shape, key._data.shape
        key_batch = k_shape[:-3] + (k_shape[-3] * groups,) if groups > 1 else k_shape[:-2]
        length, source_length = q_shape[-2], k_shape[-2]
        shape = xp.broadcast_shapes(q_shape[:-2] + (length, source_length), key_batch + (length, source_length))
        keep = _random.np_rng(generator).random(shape, dtype=xp.float32) >= xp.float32(dropout_p)
        keep_scale = 0.0 if dropout_p >= 1.0 else 1.0 / (1.0 - dropout_p)
    if scale is None:
        scale = 1.0 / float(query._data.shape[-1]) ** 0.5
    return ScaledDotProductAttention.apply(query, key, value, mask, scale=float(scale), causal=bool(is_causal),
                                           groups=groups, keep=keep, keep_scale=keep_scale)


def explicit_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dim for attention weights that are returned to the caller (PyTorch's
    ``need_weights`` path): a row of all ``-inf`` gives NaN there, as in PyTorch, without a NumPy warning."""
    with xp.errstate(invalid="ignore"):
        return softmax(scores, dim=-1)
