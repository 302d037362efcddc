"""Embedding lookups, bags and one-hot encoding (Tensor level)."""

from __future__ import annotations

from typing import Optional

from .._backend import xp
from ..kernels.embedding import Embedding, EmbeddingBag
from ..tensor import Tensor

__all__ = ["embedding_renorm_", "embedding", "embedding_bag", "one_hot"]


# ---------------------------------------------------------------------------------------------- embedding
def _index_array(indices: Tensor, num: int):
    data = indices._data if isinstance(indices, Tensor) else xp.asarray(indices)
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {indices.dtype if isinstance(indices, Tensor) else data.dtype} "
                           "instead")
    if data.size and (data.min() < 0 or data.max() >= num):
        raise IndexError(f"index out of range in self (indices must be in [0, {num}), got min {data.min()} and "
                         f"max {data.max()})")
    return data.astype(xp.int64, copy=False)


def embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the rows of ``weight`` named in ``indices`` whose norm exceeds ``max_norm``."""
    rows = xp.unique(_index_array(indices, weight.shape[0]))
    data = weight._data
    selected = data[rows]
    norms = xp.linalg.norm(selected, ord=norm_type, axis=1)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(data.dtype)
    data[rows] = selected * scale[:, None]
    weight._version.bump("embedding_renorm_")


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None,
              scale_grad_by_freq: bool = False) -> Tensor:
    """Rows of ``weight (num, dim)`` at integer ``input (*)`` -> ``(*, dim)``; no gradient to ``padding_idx``."""
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got shape {tuple(weight.shape)}")
    indices = _index_array(input, weight.shape[0])
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx,
                             scale_grad_by_freq=scale_grad_by_freq)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Optional[Tensor] = None, mode: str = "mean",
                  per_sample_weights: Optional[Tensor] = None, include_last_offset: bool = False,
                  padding_idx: Optional[int] = None) -> Tensor:
    """Sum/mean/max of the embedding rows of each bag -> ``(num_bags, dim)``.

    ``input`` is 2-D ``(B, L)`` (B bags of length L, ``offsets`` None) or 1-D with ``offsets (B,)`` giving
    each bag's start (``include_last_offset``: ``offsets`` has ``B + 1`` entries, the last the end).
    Entries equal to ``padding_idx`` are skipped (not counted in the mean; empty bags give zeros).
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  "on GitHub.")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got shape {tuple(weight.shape)}")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"padding_idx must be within the number of embeddings ({num}), got {padding_idx}")
        padding_idx %= num
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets).__name__}")
        batch, length = input.shape
        starts = xp.arange(batch, dtype=xp.int64) * length
        include_last_offset = False
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = offsets._data.astype(xp.int64) if isinstance(offsets, Tensor) else xp.asarray(offsets, xp.int64)
        if starts.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        if starts.size and starts[0] != 0:
            raise ValueError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                             f"position 0. However, got {int(starts[0])}")
        if starts.size and (xp.any(xp.diff(starts) < 0) or starts[-1] > input.shape[0]):
            raise ValueError(f"offsets must be non-decreasing and at most len(input)={input.shape[0]}, got "
                             f"{starts.tolist()}")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    idx = _index_array(input, num).reshape(-1)
    end = idx.size
    if include_last_offset:
        if starts.size == 0:
            raise ValueError("include_last_offset=True needs at least one offset")
        end, starts = int(starts[-1]), starts[:-1]
        idx = idx[:end]
    num_bags = starts.size
    if num_bags == 0:  # no offsets: no bag holds any position (PyTorch returns an empty result)
        end, idx = 0, idx[:0]
    ends = xp.append(starts[1:], end) if num_bags else starts
    lengths = ends - starts
    bag_of = xp.repeat(xp.arange(num_bags), lengths)
    valid = idx != padding_idx if padding_idx is not None else xp.ones(idx.size, dtype=bool)
    if per_sample_weights is not None:
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not "
                             f"None, then it must have the same shape as the input ({tuple(input.shape)})")
        per_sample_weights = per_sample_weights.reshape(-1)
        if end < per_sample_weights.shape[0]:
            per_sample_weights = per_sample_weights[:end]
    return EmbeddingBag.apply(weight, per_sample_weights, idx=idx, valid=valid, bag_of=bag_of, starts=starts,
                                lengths=lengths, num_bags=num_bags, mode=mode)


# ---------------------------------------------------------------------------------------------- one_hot
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding ``(*, num_classes)``; ``num_classes=-1`` uses ``max + 1``."""
    data = tensor._data
    if data.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if data.size and data.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    elif data.size and data.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = xp.zeros(data.shape + (num_classes,), dtype=xp.int64)
    xp.put_along_axis(out, data.astype(xp.int64)[..., None], 1, axis=-1)
    return Tensor._wrap(out)
