"""Functional lookups: ``embedding``, ``embedding_bag``, ``one_hot``."""

from __future__ import annotations

from typing import Optional

from ...autograd.grad_mode import no_grad
from ...functional.embedding import embedding as _embedding
from ...functional.embedding import embedding_bag as _embedding_bag
from ...functional.embedding import embedding_renorm_ as _embedding_renorm_
from ...functional.embedding import one_hot
from ...tensor import Tensor

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _padding_index(padding_idx: Optional[int], num: int) -> Optional[int]:
    if padding_idx is None:
        return None
    if padding_idx >= num or padding_idx < -num:
        raise ValueError(f"Padding_idx must be within num_embeddings (got {padding_idx} for {num} embeddings)")
    return padding_idx % num


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight (num, dim)`` for integer ``input (*)`` -> ``(*, dim)``.

    ``max_norm`` rescales (in place) the looked-up rows whose ``norm_type``-norm exceeds it.
    """
    if sparse:
        raise NotImplementedError("sparse gradients are not supported; use sparse=False")
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    if max_norm is not None:
        with no_grad():
            _embedding_renorm_(weight, input, max_norm, norm_type)
    return _embedding(input, weight, padding_idx, scale_grad_by_freq)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Optional[Tensor] = None,
                  max_norm: Optional[float] = None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights: Optional[Tensor] = None,
                  include_last_offset: bool = False, padding_idx: Optional[int] = None) -> Tensor:
    """Per-bag sum/mean/max of embeddings -> ``(num_bags, dim)`` (see ``nn.EmbeddingBag``)."""
    if sparse:
        raise NotImplementedError("sparse gradients are not supported; use sparse=False")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq is not supported")
    if max_norm is not None:
        with no_grad():
            _embedding_renorm_(weight, input, max_norm, norm_type)
    return _embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset,
                                 padding_idx)
