"""Functional attention: ``scaled_dot_product_attention`` (one fused kernel) and ``multi_head_attention_forward``.

Mask conventions are PyTorch's and differ between the two: for ``scaled_dot_product_attention`` a boolean
``attn_mask`` is True where a position TAKES PART; for ``multi_head_attention_forward`` (and
``nn.MultiheadAttention``) boolean ``attn_mask`` and ``key_padding_mask`` are True where a position is
IGNORED. Float masks are added to the scores in both.
"""

from __future__ import annotations

import math
from typing import Optional

from ... import dtypes as _dtypes
from ...creation import full, zeros
from ...functional import attention as _attention
from ...functional import cat, matmul, where
from ...functional.dropout import dropout as _dropout
from ...functional.linear import linear
from ...tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _shape(t: Tensor) -> tuple:
    return tuple(t.shape)


def _broadcast(*shapes) -> Optional[tuple]:
    """The broadcast of ``shapes``, or None when they do not broadcast."""
    result: list = []
    for dims in zip(*(((1,) * (max(map(len, shapes)) - len(s)) + tuple(s)) for s in shapes)):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            return None
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def _dtype_name(t: Tensor) -> str:
    return str(t.dtype).replace("tensorlib.", "")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Optional[Tensor] = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``.

    Shapes: query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)`` -> ``(..., L, Ev)``; batch dims
    broadcast. ``attn_mask`` broadcastable to ``(..., L, S)``: boolean (True = take part) or float (added).
    ``is_causal`` masks position ``j > i`` (top-left aligned); ``scale`` defaults to ``1/sqrt(E)``;
    ``dropout_p`` drops attention weights (always, as PyTorch: pass 0.0 in evaluation); ``enable_gqa`` lets
    ``query`` have a multiple of ``key``/``value``'s heads (dim -3). A row whose keys are all masked gives zeros.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention: expected {name} with at least 2 dims "
                               f"(..., sequence, embedding), got shape {_shape(t)}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_dtype_name(query)} key.dtype: {_dtype_name(key)} and value.dtype: "
                           f"{_dtype_name(value)} instead.")
    if not query.is_floating_point():
        raise RuntimeError(f"scaled_dot_product_attention: expected floating point inputs, got {_dtype_name(query)}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query {_shape(query)} and key {_shape(key)} must have the "
                           "same embedding size (last dim)")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key {_shape(key)} and value {_shape(value)} must have the "
                           "same sequence length (dim -2)")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    groups = _gqa_groups(query, key, value) if enable_gqa else 1
    key_batch = _shape(key)[:-3] + (key.shape[-3] * groups,) if groups > 1 else _shape(key)[:-2]
    batch = _broadcast(_shape(query)[:-2], key_batch, _shape(value)[:-3] + key_batch[-1:] if groups > 1
                       else _shape(value)[:-2])
    if batch is None:
        raise RuntimeError(f"scaled_dot_product_attention: batch dims of query {_shape(query)}, key {_shape(key)} "
                           f"and value {_shape(value)} do not broadcast (for grouped-query attention with fewer "
                           "key/value heads pass enable_gqa=True)")
    scores = batch + (query.shape[-2], key.shape[-2])
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        _check_sdpa_mask(attn_mask, query, scores)
    return _attention.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, groups)


def _gqa_groups(query: Tensor, key: Tensor, value: Tensor) -> int:
    if query.ndim < 3 or key.ndim < 3 or value.ndim < 3:
        return 1
    q_heads, k_heads, v_heads = query.shape[-3], key.shape[-3], value.shape[-3]
    if k_heads != v_heads or q_heads % k_heads:
        raise RuntimeError(f"scaled_dot_product_attention with enable_gqa=True: the number of query heads "
                           f"({q_heads}) must be a multiple of the key/value heads (key {k_heads}, value {v_heads})")
    return q_heads // k_heads


def _check_sdpa_mask(mask: Tensor, query: Tensor, scores: tuple) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"scaled_dot_product_attention(): argument 'attn_mask' must be Tensor, not "
                        f"{type(mask).__name__}")
    if not mask.is_floating_point() and mask.dtype != _dtypes.bool:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_dtype_name(mask)} and  query.dtype: {_dtype_name(query)} instead.")
    if mask.ndim > len(scores) or _broadcast(_shape(mask), scores) != scores:
        length, source = scores[-2:]
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {_shape(mask)} does not broadcast to "
                           f"the attention scores {scores}; expected (L, S) = ({length}, {source}) or any shape "
                           f"broadcastable to (..., L, S) such as {scores}")


# ------------------------------------------------------------------------------------- multi-head attention
def _canonical_mask(mask: Optional[Tensor], name: str, dtype) -> Optional[Tensor]:
    """Boolean masks (True = ignore) become additive float masks of ``dtype``; float masks pass through."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a Tensor or None, got {type(mask).__name__}")
    if mask.dtype == _dtypes.bool:  # where() on the mask itself: a jit trace follows a mask given as an input
        return where(mask, full((), float("-inf"), dtype=dtype), zeros((), dtype=dtype))
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask.to(dtype)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
                                 bias_k: Optional[Tensor], bias_v: Optional[Tensor], add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Optional[Tensor],
                                 training: bool = True, key_padding_mask: Optional[Tensor] = None,
                                 need_weights: bool = True, attn_mask: Optional[Tensor] = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Optional[Tensor] = None,
                                 k_proj_weight: Optional[Tensor] = None, v_proj_weight: Optional[Tensor] = None,
                                 static_k: Optional[Tensor] = None, static_v: Optional[Tensor] = None,
                                 average_attn_weights: bool = True, is_causal: bool = False):
    """PyTorch's multi-head attention on sequence-first inputs: query ``(L, N, E)``, key ``(S, N, Ek)``, value
    ``(S, N, Ev)`` (or unbatched ``(L, E)``...). Returns ``(output (L, N, E), weights or None)``; weights are
    ``(N, L, S)`` averaged over heads or ``(N, num_heads, L, S)``.

    ``need_weights=False`` runs the fused attention kernel; ``need_weights=True`` forms the weights explicitly
    (as PyTorch, a row whose keys are all masked then gives NaN).
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    dtype = query.dtype
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", dtype)
    # is_causal is a hint that attn_mask is the causal mask; the fused kernel may then use its own causal masking
    fused_causal = is_causal and key_padding_mask is None and not need_weights
    attn_mask = None if fused_causal else _canonical_mask(attn_mask, "attn_mask", dtype)

    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                             q_proj_weight, k_proj_weight, v_proj_weight)
    if attn_mask is not None:
        attn_mask = _check_attn_mask_shape(attn_mask, tgt_len, src_len, bsz, num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)

    # -1 where the batch goes (not bsz): a traced graph derives it from its input (tensorlib.jit dynamic batch)
    q = q.reshape(tgt_len, -1, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz * num_heads, head_dim, "k")
    v = _heads(v, static_v, bsz * num_heads, head_dim, "v")
    if add_zero_attn:
        k = cat([k, zeros((bsz * num_heads, 1, head_dim), dtype=dtype)], dim=1)
        v = cat([v, zeros((bsz * num_heads, 1, head_dim), dtype=dtype)], dim=1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if _shape(key_padding_mask) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{_shape(key_padding_mask)}")
        padding = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        padding = padding.reshape(-1, 1, src_len)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0

    if need_weights:
        weights = matmul(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
        if attn_mask is not None:
            weights = weights + attn_mask
        weights = _attention.explicit_softmax(weights)
        if dropout_p > 0.0:
            weights = _dropout(weights, dropout_p)
        output = matmul(weights, v)  # (N * H, L, head_dim)
        output = output.transpose(0, 1).reshape(-1, embed_dim)
        output = linear(output, out_proj_weight, out_proj_bias).reshape(tgt_len, -1, embed_dim)
        weights = weights.reshape(-1, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            output, weights = output.squeeze(1), weights.squeeze(0)
        return output, weights

    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else \
            attn_mask.reshape(-1, num_heads, attn_mask.shape[1], src_len)
    q = q.reshape(-1, num_heads, tgt_len, head_dim)
    k = k.reshape(-1, num_heads, src_len, head_dim)
    v = v.reshape(-1, num_heads, src_len, head_dim)
    output = _attention.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, fused_causal, None)
    output = output.permute(2, 0, 1, 3).reshape(-1, embed_dim)
    output = linear(output, out_proj_weight, out_proj_bias).reshape(tgt_len, -1, embed_dim)
    if not batched:
        output = output.squeeze(1)
    return output, None


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """True for batched ``(L, N, E)`` inputs, False for unbatched ``(L, E)``; PyTorch's checks and messages."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                                 f"but found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.ndim}-D tensor instead")
            if attn_mask.ndim == 3 and _shape(attn_mask) != (num_heads, query.shape[0], key.shape[0]):
                raise AssertionError(f"Expected `attn_mask` shape to be {(num_heads, query.shape[0], key.shape[0])} "
                                     f"but got {_shape(attn_mask)}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                         "tensor")


def _check_attn_mask_shape(mask: Tensor, tgt_len: int, src_len: int, bsz: int, num_heads: int) -> Tensor:
    """``(L, S)`` -> ``(1, L, S)``; ``(N * num_heads, L, S)`` kept; anything else names the expected shapes."""
    if mask.ndim == 2:
        if _shape(mask) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {_shape(mask)}, but should be "
                               f"{(tgt_len, src_len)}.")
        return mask.unsqueeze(0)
    if _shape(mask) != (bsz * num_heads, tgt_len, src_len):
        raise RuntimeError(f"The shape of the 3D attn_mask is {_shape(mask)}, but should be "
                           f"{(bsz * num_heads, tgt_len, src_len)}.")
    return mask


def _pad_last(mask: Optional[Tensor]) -> Optional[Tensor]:
    """Append one zero (= attend) column to a float mask: room for bias_k/bias_v or the zero attention slot."""
    if mask is None:
        return None
    return cat([mask, zeros(_shape(mask)[:-1] + (1,), dtype=mask.dtype)], dim=-1)


def _heads(t: Tensor, static: Optional[Tensor], batch_heads: int, head_dim: int, name: str) -> Tensor:
    """``(S, N, E)`` -> ``(N * num_heads, S, head_dim)``, or the given ``static_k``/``static_v``."""
    if static is None:
        return t.reshape(t.shape[0], -1, head_dim).transpose(0, 1)
    if static.shape[0] != batch_heads or static.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name}.size(0) of {batch_heads}, and static_{name}.size(2) of "
                             f"{head_dim}, but got {static.shape[0]} and {static.shape[2]}")
    return static


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate, q_weight, k_weight, v_weight):
    """Project query/key/value with the packed ``(3E, E)`` weight (one matmul for self-attention) or with the
    separate per-input weights (when ``kdim``/``vdim`` differ from ``embed_dim``)."""
    embed_dim = query.shape[-1]
    if separate:
        if q_weight is None or k_weight is None or v_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, k_proj_weight or "
                                 "v_proj_weight is None")
        biases = _bias_chunks(in_proj_bias)
        return (linear(query, q_weight, biases[0]), linear(key, k_weight, biases[1]),
                linear(value, v_weight, biases[2]))
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    if query is key and key is value:
        projected = linear(query, in_proj_weight, in_proj_bias)
        return tuple(projected.chunk(3, dim=-1))
    weights, biases = in_proj_weight.chunk(3), _bias_chunks(in_proj_bias)
    if key is value:
        q = linear(query, weights[0], biases[0])
        kv_bias = None if in_proj_bias is None else in_proj_bias[embed_dim:]
        k, v = linear(key, in_proj_weight[embed_dim:], kv_bias).chunk(2, dim=-1)
        return q, k, v
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _bias_chunks(in_proj_bias: Optional[Tensor]) -> tuple:
    return (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
