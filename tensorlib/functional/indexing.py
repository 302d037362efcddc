"""Indexing, gather/scatter and masked ops at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/indexing.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from .._backend import xp
from ..kernels._utils import normalize_dim
from ..kernels.indexing import Gather, Index, IndexSelect, Scatter, _check_bounds
from ..kernels.shape import Slice
from ..tensor import Tensor
from ._utils import strided_view, to_tensor
from .elementwise import where

__all__ = ["gather", "take_along_dim", "scatter", "scatter_add", "index_select", "index_add", "masked_fill",
           "masked_select", "nonzero", "argwhere"]


def _convert_index(index):
    """Tensors/lists inside an index -> NumPy arrays; returns (index, is_basic)."""
    if not isinstance(index, tuple):
        index = (index,)
    out, basic = [], True
    for item in index:
        if isinstance(item, Tensor):
            item = item._data
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            basic = False
        elif isinstance(item, list):
            item = xp.asarray(item)
            basic = False
        elif isinstance(item, xp.ndarray):
            basic = False
        elif not (item is None or item is Ellipsis or isinstance(item, (int, slice, xp.integer))):
            if hasattr(item, "__index__"):
                item = item.__index__()
            else:
                raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                                 f"are valid indices (got {type(item).__name__})")
        out.append(item)
    return tuple(out), basic


def getitem(input, index):
    index, basic = _convert_index(index)
    _check_bounds(input.shape, index)
    if basic:
        return strided_view(Slice.apply(input, index=index))
    return Index.apply(input, index=index)


def gather(input, dim: int, index, *, sparse_grad: bool = False):
    dim = normalize_dim(dim, input.ndim)
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if idx.size and (idx.max() >= input.shape[dim] or idx.min() < -input.shape[dim]):
        raise RuntimeError(f"index {int(idx.max())} is out of bounds for dimension {dim} with size "
                           f"{input.shape[dim]}")
    if any(i > s for d, (i, s) in enumerate(zip(idx.shape, input.shape)) if d != dim):
        raise RuntimeError(f"Size does not match at a dimension other than {dim}: index {list(idx.shape)} vs "
                           f"input {list(input.shape)}")
    if idx.shape != input.shape:
        # take_along_axis needs matching shapes off ``dim``; gather reads only the leading part
        input = input[tuple(slice(0, s) if d != dim else slice(None) for d, s in enumerate(idx.shape))]
    return Gather.apply(input, index=idx.astype(xp.intp, copy=False), dim=dim)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    dim = normalize_dim(dim, input.ndim)
    idx = indices._data
    shape = list(xp.broadcast_shapes(tuple(s if d != dim else 1 for d, s in enumerate(input.shape)),
                                     tuple(s if d != dim else 1 for d, s in enumerate(idx.shape))))
    in_shape, idx_shape = list(shape), list(shape)
    in_shape[dim], idx_shape[dim] = input.shape[dim], idx.shape[dim]
    return gather(input.expand(in_shape), dim, Tensor._wrap(xp.broadcast_to(idx, idx_shape)))


def _scatter(input, dim, index, src, add):
    dim = normalize_dim(dim, input.ndim)
    idx = (index._data if isinstance(index, Tensor) else xp.asarray(index)).astype(xp.intp, copy=False)
    if idx.ndim == 0 and input.ndim <= 1:  # a 0-d index scatters one element, as PyTorch's
        idx = idx.reshape((1,) * max(input.ndim, 1))
        if isinstance(src, Tensor) and src.ndim == 0:
            src = src.reshape(idx.shape)
    if idx.ndim != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if idx.size and (idx.max() >= input.shape[dim] or idx.min() < -input.shape[dim]):
        raise RuntimeError(f"index {int(idx.max())} is out of bounds for dimension {dim} with size "
                           f"{input.shape[dim]}")
    if not isinstance(src, Tensor):
        src = to_tensor(src, like=input)
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return Scatter.apply(input, src, index=idx, dim=dim, add=add, src_shape=src.shape)


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):
    if src is None:
        src = value
    if reduce == "add":
        return _scatter(input, dim, index, src, add=True)
    if reduce is not None:
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}; only 'add' is "
                           "supported here")
    return _scatter(input, dim, index, src, add=False)


def scatter_add(input, dim: int, index, src):
    return _scatter(input, dim, index, src, add=True)


def index_select(input, dim: int, index):
    dim = normalize_dim(dim, input.ndim)
    idx = (index._data if isinstance(index, Tensor) else xp.asarray(index)).reshape(-1)
    if idx.size and (idx.max() >= input.shape[dim] or idx.min() < -input.shape[dim]):
        raise IndexError(f"index out of range in self: index {int(idx.max())} is out of bounds for dimension "
                         f"{dim} with size {input.shape[dim]}")
    return IndexSelect.apply(input, index=idx, dim=dim)


def index_add(input, dim: int, index, source, *, alpha=1):
    dim = normalize_dim(dim, input.ndim)
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    shape = [1] * input.ndim
    shape[dim] = -1
    full_index = xp.broadcast_to(idx.reshape(shape), source.shape)
    return scatter_add(input, dim, Tensor._wrap(full_index), source * alpha if alpha != 1 else source)


def masked_fill(input, mask, value):
    """``value`` where ``mask`` (broadcastable bool tensor) is True."""
    mask_data = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if mask_data.dtype != xp.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask_data.dtype}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        value = value.to(input.dtype)
    else:
        value = Tensor._wrap(xp.asarray(value, dtype=input._data.dtype))
    return where(mask if isinstance(mask, Tensor) else mask_data, value, input)


def masked_select(input, mask):
    mask_data = xp.broadcast_to(mask._data, xp.broadcast_shapes(input.shape, mask.shape))
    return getitem(input.expand(mask_data.shape), Tensor._wrap(mask_data))


def nonzero(input, *, as_tuple: bool = False):
    data = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(xp.int64)) for i in xp.nonzero(data))
    return Tensor._wrap(xp.argwhere(data).astype(xp.int64))


def argwhere(input):
    return nonzero(input)
