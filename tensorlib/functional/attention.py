"""Scaled dot-product attention (Tensor level): the additive mask and the dropout keep mask (drawn from the
framework RNG) are prepared here, then the attention kernel runs."""

from __future__ import annotations

from .. import random as _random
from .._backend import xp
from ..kernels.attention import ScaledDotProductAttention, additive_mask
from ..tensor import Tensor
from .reduction import softmax

__all__ = ["scaled_dot_product_attention"]


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
