"""Reducing metric states across processes through ``tensorlib.distributed`` (torch.distributed's names).

Every tensor state is all-gathered from all ranks (shapes are gathered first, so ``cat`` states of different
lengths are padded and trimmed) and reduced over the new leading rank axis by the state's ``dist_reduce_fx``.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

import tensorlib as tl

_MAX_DIMS = 8


def distributed_backend() -> Any | None:
    """``tensorlib.distributed`` when it imports and a process group of more than one rank is initialised."""
    try:
        dist = importlib.import_module("tensorlib.distributed")
    except ImportError:
        return None
    if not (dist.is_available() and dist.is_initialized()):
        return None
    return dist if dist.get_world_size() > 1 else None


def _world_size(dist, group) -> int:
    return dist.get_world_size() if group is None else dist.get_world_size(group)


def _all_gather(dist, tensor: tl.Tensor, group) -> list[tl.Tensor]:
    kwargs = {} if group is None else {"group": group}
    out = [tl.zeros_like(tensor) for _ in range(_world_size(dist, group))]
    dist.all_gather(out, tensor, **kwargs)
    return out


def gather_all_tensors(dist, tensor: tl.Tensor, group=None) -> list[tl.Tensor]:
    """``tensor`` from every rank; shapes may differ between ranks (padded for the transfer, then trimmed)."""
    if tensor.ndim == 0:  # scalars travel as one-element vectors (not every backend takes 0-d buffers)
        return [part.reshape(()) for part in gather_all_tensors(dist, tensor.reshape(1), group)]
    if tensor.ndim > _MAX_DIMS - 1:
        raise ValueError(f"metric states with more than {_MAX_DIMS - 1} dimensions cannot be synchronised, "
                         f"got shape {tuple(tensor.shape)}")
    header = tl.zeros(_MAX_DIMS, dtype=tl.int64)
    header[0] = tensor.ndim
    for axis, size in enumerate(tensor.shape):
        header[axis + 1] = size
    shapes = [tuple(h[1:1 + int(h[0])].tolist()) for h in _all_gather(dist, header, group)]
    if all(shape == tuple(tensor.shape) for shape in shapes):
        return _all_gather(dist, tensor, group)
    ndims = {len(shape) for shape in shapes if 0 not in shape}
    if len(ndims) > 1:
        raise ValueError(f"metric state has different numbers of dimensions on different ranks: {shapes}")
    ndim = ndims.pop() if ndims else tensor.ndim
    trailing = next((shape[1:] for shape in shapes if 0 not in shape), tuple(tensor.shape[1:]))
    if tensor.numel() == 0:  # an empty `cat` state: give it the other ranks' trailing shape
        tensor = tensor.reshape(0, *trailing) if ndim > 1 else tensor.reshape(0)
        shapes = [shape if 0 not in shape else (0, *trailing) if ndim > 1 else (0,) for shape in shapes]
    biggest = [max(shape[axis] for shape in shapes) for axis in range(ndim)]
    padded = tl.zeros(tuple(biggest), dtype=tensor.dtype)
    padded[tuple(slice(0, size) for size in tensor.shape)] = tensor
    gathered = _all_gather(dist, padded, group)
    return [part[tuple(slice(0, size) for size in shape)] for part, shape in zip(gathered, shapes)]


def reduce_gathered(parts: list[tl.Tensor], reduce_fx: Callable | None):
    """Combine the per-rank values of one state: the reduction runs over a new leading rank axis."""
    if reduce_fx is None:
        return tl.stack(parts)
    if reduce_fx is dim_zero_cat:
        return tl.cat([part.reshape(1) if part.ndim == 0 else part for part in parts])
    return reduce_fx(tl.stack(parts))


def dim_zero_sum(x: tl.Tensor) -> tl.Tensor:
    return x.sum(0)


def dim_zero_mean(x: tl.Tensor) -> tl.Tensor:
    return x.float().mean(0) if not x.is_floating_point() else x.mean(0)


def dim_zero_max(x: tl.Tensor) -> tl.Tensor:
    return x.amax(0)


def dim_zero_min(x: tl.Tensor) -> tl.Tensor:
    return x.amin(0)


def dim_zero_cat(x: tl.Tensor | list) -> tl.Tensor:
    """A ``cat`` state's tensors joined along dim 0 (0-d ones as one element each)."""
    if isinstance(x, tl.Tensor):
        return x
    if not x:
        raise ValueError("No samples to concatenate")
    return tl.cat([y.reshape(1) if y.ndim == 0 else y for y in x])


REDUCTIONS = {"sum": dim_zero_sum, "mean": dim_zero_mean, "max": dim_zero_max, "min": dim_zero_min,
              "cat": dim_zero_cat}
