"""Sorting and selection: sort, argsort, topk, kthvalue, median, nanmedian, unique, msort."""

from __future__ import annotations

from .. import return_types
from .._backend import xp
from ..kernels._utils import normalize_dim
from ..tensor import Tensor
from .indexing import gather

__all__ = ["argsort", "sort", "msort", "topk", "kthvalue", "unique", "unique_consecutive", "bincount",
           "searchsorted", "bucketize", "histc", "median", "nanmedian"]


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    dim = normalize_dim(dim, input.ndim)
    data = input._data
    if descending:
        # stable descending order: sort the negated keys (bools/uints via a wider signed view)
        key = -data.astype(xp.int64) if data.dtype.kind in "bu" else -data
        order = xp.argsort(key, axis=dim, kind="stable")
    else:
        order = xp.argsort(data, axis=dim, kind="stable")
    return Tensor._wrap(order.astype(xp.int64))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    if input.ndim == 0:
        return return_types.sort(input, Tensor._wrap(xp.zeros((), xp.int64)))
    indices = argsort(input, dim, descending)
    return return_types.sort(gather(input, normalize_dim(dim, input.ndim), indices), indices)


def msort(input):
    return sort(input, 0).values


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    dim = normalize_dim(dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range: k={k} for dimension of size {size}")
    data = input._data
    if k < size // 4 and k > 0:
        # partial selection first (O(n)), then sort only the k candidates
        key = -data if largest else data
        part = xp.argpartition(key, k - 1, axis=dim)
        candidates = xp.take(part, xp.arange(k), axis=dim)
        cand_keys = xp.take_along_axis(key, candidates, axis=dim)
        order = xp.argsort(cand_keys, axis=dim, kind="stable")
        indices = xp.take_along_axis(candidates, order, axis=dim)
    else:
        indices = argsort(input, dim, descending=largest)._data
        indices = xp.take(indices, xp.arange(k), axis=dim)
    indices = Tensor._wrap(indices.astype(xp.int64))
    return return_types.topk(gather(input, dim, indices), indices)


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    values, indices = sort(input, dim)
    dim = normalize_dim(dim, input.ndim)
    v = values.narrow(dim, k - 1, 1)
    i = indices.narrow(dim, k - 1, 1)
    if not keepdim:
        v, i = v.squeeze(dim), i.squeeze(dim)
    return return_types.kthvalue(v, i)


def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """Unique elements (sorted), optionally the inverse indices and counts, like ``torch.unique``."""
    data = input._data
    if dim is None:
        values, inverse, counts = xp.unique(data.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(data.shape)
    else:
        dim = normalize_dim(dim, input.ndim)
        values, inverse, counts = xp.unique(data, axis=dim, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
    out = [Tensor._wrap(values)]
    if return_inverse:
        out.append(Tensor._wrap(inverse.astype(xp.int64)))
    if return_counts:
        out.append(Tensor._wrap(counts.astype(xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim=None):
    data = input._data.reshape(-1)
    if data.size == 0:
        keep = xp.zeros(0, dtype=bool)
    else:
        keep = xp.concatenate([[True], data[1:] != data[:-1]])
    out = [Tensor._wrap(data[keep])]
    if return_inverse:
        out.append(Tensor._wrap((xp.cumsum(keep) - 1).astype(xp.int64).reshape(input.shape)))
    if return_counts:
        starts = xp.flatnonzero(keep)
        out.append(Tensor._wrap(xp.diff(xp.append(starts, data.size)).astype(xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength: int = 0):
    w = weights._data if weights is not None else None
    out = xp.bincount(input._data, weights=w, minlength=minlength)
    return Tensor._wrap(out if w is not None else out.astype(xp.int64))


def searchsorted(sorted_sequence, values, *, right: bool = False, side=None):
    side = side or ("right" if right else "left")
    v = values._data if isinstance(values, Tensor) else xp.asarray(values)
    return Tensor._wrap(xp.searchsorted(sorted_sequence._data, v, side=side).astype(xp.int64))


def bucketize(input, boundaries, *, right: bool = False):
    return searchsorted(boundaries, input, side="left" if not right else "right")


def histc(input, bins: int = 100, min: float = 0, max: float = 0):
    data = input._data
    lo, hi = (data.min(), data.max()) if min == 0 and max == 0 else (min, max)
    counts, _ = xp.histogram(data, bins=bins, range=(float(lo), float(hi)))
    return Tensor._wrap(counts.astype(data.dtype))




def _median_indices(data, dim: int, skip_nan: bool):
    """Index along ``dim`` of the lower median (NaN rows: the first NaN, unless ``skip_nan``), keepdim shape."""
    nan = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, dtype=bool)
    if skip_nan:  # a different rank per row: a full sort (NaN sorts last)
        order = xp.argsort(data, axis=dim, kind="stable")
        valid = data.shape[dim] - nan.sum(axis=dim, keepdims=True)
        index = xp.take_along_axis(order, xp.maximum(valid - 1, 0) // 2, axis=dim)
    else:  # one rank for all rows: selection, O(n) per row
        k = (data.shape[dim] - 1) // 2
        index = xp.take(xp.argpartition(data, k, axis=dim), [k], axis=dim)
    if not skip_nan and nan.any():
        has_nan = nan.any(axis=dim, keepdims=True)
        index = xp.where(has_nan, xp.argmax(nan, axis=dim, keepdims=True), index)
    return index.astype(xp.int64)


def _median(input, dim, keepdim: bool, skip_nan: bool, name: str):
    if dim is None:
        if input.numel() == 0:
            return Tensor._wrap(xp.asarray(xp.nan, dtype=input._data.dtype))
        flat = input.reshape(-1)
        index = _median_indices(flat._data, 0, skip_nan)
        return gather(flat, 0, Tensor._wrap(index)).reshape(())
    if input.ndim == 0:
        result = return_types.nanmedian if skip_nan else return_types.median
        return result(input.clone(), Tensor._wrap(xp.zeros((), xp.int64)))
    dim = normalize_dim(dim, input.ndim)
    if input.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    index = Tensor._wrap(_median_indices(input._data, dim, skip_nan))
    values = gather(input, dim, index)
    if not keepdim:
        values, index = values.squeeze(dim), index.squeeze(dim)
    return (return_types.nanmedian if skip_nan else return_types.median)(values, index)


def median(input, dim=None, keepdim: bool = False):
    """The lower median: of all elements (a 0-d tensor) or along ``dim`` (``(values, indices)``); NaN if any
    element considered is NaN. The gradient goes to the selected element."""
    return _median(input, dim, keepdim, skip_nan=False, name="median")


def nanmedian(input, dim=None, keepdim: bool = False):
    """``median`` ignoring NaN (NaN only where every element considered is NaN)."""
    return _median(input, dim, keepdim, skip_nan=True, name="nanmedian")
