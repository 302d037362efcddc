"""``MultiheadAttention`` with PyTorch's constructor, parameter names, initialisation and forward arguments."""

from __future__ import annotations

from typing import Optional, Tuple

from ...creation import empty
from ...tensor import Tensor
from .. import init
from ..functional.attention import multi_head_attention_forward
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module, shape_error

__all__ = ["MultiheadAttention"]


def layout_hint(batch_first: bool, names: str = "L, N, E") -> str:
    """The accepted input layouts of a sequence layer, for error messages: this layer's batched layout, the
    other ``batch_first`` setting's, and the unbatched one."""
    seq, batch, feat = (n.strip() for n in names.split(","))
    first, second = f"({batch}, {seq}, {feat})", f"({seq}, {batch}, {feat})"
    ours, other = (first, second) if batch_first else (second, first)
    return (f"{ours} (batch_first={batch_first}, as this layer; {other} needs batch_first={not batch_first}) "
            f"or unbatched ({seq}, {feat})")


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size ``embed_dim // num_heads`` with an output projection.

    Inputs are ``(L, N, E)`` (``(N, L, E)`` with ``batch_first``) or unbatched ``(L, E)``; key/value
    ``(S, N, kdim/vdim)``. ``forward`` returns ``(output, weights)``, weights ``(N, L, S)`` averaged over
    heads (``(N, num_heads, L, S)`` with ``average_attn_weights=False``) or None when ``need_weights=False``.
    Boolean ``key_padding_mask``/``attn_mask`` are True where a key is IGNORED; float masks are added.

    Parameters: ``in_proj_weight (3E, E)`` (or ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when
    ``kdim``/``vdim`` differ from ``embed_dim``), ``in_proj_bias (3E)``, ``out_proj``, and ``bias_k``/``bias_v``
    ``(1, 1, E)`` with ``add_bias_kv``.
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Optional[int] = None,
                 vdim: Optional[int] = None, batch_first: bool = False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"embed_dim must be divisible by num_heads (got embed_dim={embed_dim} and "
                                 f"num_heads={num_heads})")
        factory = {"device": device, "dtype": dtype}
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: Xavier-uniform projections, zero biases, Xavier-normal ``bias_k``/``bias_v``."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor] = None,
                need_weights: bool = True, attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        self._check_inputs(query, key, value)
        batched = query.ndim == 3
        if self.batch_first and batched:
            # keep identities: self-attention then projects with one packed matmul
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        output, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            output = output.transpose(1, 0)
        return output, weights

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        """Rank and feature sizes, with the expected layouts in the message."""
        if query.ndim not in (2, 3):
            raise shape_error(self, f"expected query of shape {layout_hint(self.batch_first)}, got "
                                    f"{tuple(query.shape)}")
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.ndim != query.ndim:
                raise shape_error(self, f"expected {name} with as many dims as query ({query.ndim}-D, "
                                        f"{layout_hint(self.batch_first, 'S, N, E')}), got {tuple(t.shape)}")
            if t.shape[-1] != size:
                raise shape_error(self, f"expected {name} with {size} features in the last dim, got "
                                        f"{tuple(t.shape)}")
        if key.shape[:-1] != value.shape[:-1]:
            raise shape_error(self, f"key {tuple(key.shape)} and value {tuple(value.shape)} must agree in every "
                                    "dim but the last")
        if query.ndim == 3:
            batch_dim = 0 if self.batch_first else 1
            if key.shape[batch_dim] != query.shape[batch_dim]:
                raise shape_error(self, f"query {tuple(query.shape)} and key {tuple(key.shape)} have different "
                                        f"batch sizes (batch dim {batch_dim}, batch_first={self.batch_first})")
