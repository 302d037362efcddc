"""Embedding lookups and bags on raw arrays, with row-scatter backward."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ._adjoint import adjoint
from ._utils import const

__all__ = ["Embedding", "EmbeddingBag"]

_SCATTER_LEVELS = 4  # most repeats of one index handled by per-occurrence fancy writes; beyond, a sorted reduceat


def scatter_rows(num_rows: int, indices, rows):
    """``out[indices[i]] += rows[i]`` into a zero ``(num_rows, dim)`` array; repeated indices accumulate in order.

    Returns ``(out, touched)``: ``touched`` holds the sorted distinct indices, the only rows of ``out`` that can
    be non-zero (optimizers use it to update just those rows). The indices are sorted once; when no index occurs
    more than a few times (the usual embedding batch), occurrence ``k`` of every index is written by one fancy
    assignment (no index repeats within it), otherwise runs are summed with ``add.reduceat``. Both are several
    times faster than ``add.at``.
    """
    out = xp.zeros((num_rows, rows.shape[1]), dtype=rows.dtype)
    count = indices.size
    if count == 0:
        return out, indices
    order, ordered = _stable_order(indices, num_rows)
    first = xp.empty(count, dtype=bool)
    first[0] = True
    xp.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    touched = ordered[first]
    if touched.size == count:
        out[indices] = rows
        return out, touched
    position = xp.arange(count)
    occurrence = position - xp.maximum.accumulate(xp.where(first, position, 0))
    repeats = int(occurrence.max())
    if repeats > _SCATTER_LEVELS:
        out[touched] = xp.add.reduceat(xp.take(rows, order, axis=0), xp.flatnonzero(first), axis=0)
        return out, touched
    out[touched] = xp.take(rows, order[first], axis=0)
    for k in range(1, repeats + 1):
        level = order[occurrence == k]
        out[indices[level]] += xp.take(rows, level, axis=0)
    return out, touched


_BLOCKED_COPY_MIN = 1 << 16  # elements: below this a plain copy is as fast


def _contiguous_rows(g, dim: int):
    """``g (..., dim)`` as contiguous ``(count, dim)`` rows: a view when it already is, else a copy. A 3-D ``g``
    whose last axis is strided and whose middle axis is outermost in memory (a batch_first LSTM's input gradient:
    ``(features, batch)`` blocks per time step) is copied one such block at a time, each block's transpose in
    cache: 2x faster than one strided copy, whose rows jump between blocks (64 x 50 x 64: 228 -> 121 us)."""
    if g.ndim != 3 or g.strides[2] == g.itemsize or g.size < _BLOCKED_COPY_MIN or 0 in g.shape:
        return g.reshape(-1, dim)
    if abs(g.strides[1]) <= abs(g.strides[0]):  # axis 0 outermost: the plain copy already goes block by block
        return g.reshape(-1, dim)
    rows = xp.empty(g.shape, dtype=g.dtype)
    for k in range(g.shape[1]):
        rows[:, k] = g[:, k]
    return rows.reshape(-1, dim)


def _stable_order(indices, num_rows: int):
    """``(argsort(indices, kind="stable"), indices in that order)`` for indices of magnitude below ``num_rows``.

    When every ``index * count + position`` fits in int64 these keys are all distinct and sort in the stable
    order, so NumPy's (SIMD) unstable sort of the keys gives it: 18 us for 2537 indices, a stable argsort 85.
    """
    count = indices.size
    if max(num_rows, 1) * count < 2**62:
        keys = indices.astype(xp.int64) * count
        keys += xp.arange(count)
        keys.sort()
        ordered, order = xp.divmod(keys, count)
        return order, ordered
    order = xp.argsort(indices, kind="stable")
    return order, indices[order]


class Embedding(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, weight):
        self.num, self.dim = weight.shape
        return xp.take(weight, self.indices, axis=0)

    def backward(self, g):
        flat = self.indices.reshape(-1)
        rows = _contiguous_rows(g, self.dim)
        if self.scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=self.num)
            rows = rows / counts[flat][:, None].astype(g.dtype)
        grad, touched = scatter_rows(self.num, flat, rows)
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        self.grad_row_support = (touched,)
        return grad

    def backward_tensors(self, g):
        return adjoint(self, g)


def _weighted_bag_sum(weight, idx, coef, bag_of, starts, lengths, num_bags: int):
    """``out[k] = sum of coef[i] * weight[idx[i]]`` over the positions ``i`` of bag ``k`` -> ``(num_bags, dim)``.

    Bags are laid out as a zero-padded ``(num_bags, longest)`` grid and reduced by one batched matrix product,
    several times faster than ``add.reduceat``; when padding would more than double the work, ``reduceat``.
    """
    width = int(lengths.max())
    if num_bags * width > 2 * idx.size + 64:
        out = xp.zeros((num_bags, weight.shape[1]), dtype=weight.dtype)
        nonempty = lengths > 0
        rows = xp.take(weight, idx, axis=0)
        rows *= coef[:, None]
        out[nonempty] = xp.add.reduceat(rows, starts[nonempty], axis=0)
        return out
    if num_bags * width == idx.size:  # equal bags: the flat positions are already the grid, row by row
        grid_idx, grid_coef = idx.reshape(num_bags, width), coef.reshape(num_bags, 1, width)
    else:
        slot = xp.arange(idx.size) - starts[bag_of]
        grid_idx = xp.zeros((num_bags, width), dtype=idx.dtype)
        grid_coef = xp.zeros((num_bags, 1, width), dtype=coef.dtype)
        grid_idx[bag_of, slot] = idx
        grid_coef[bag_of, 0, slot] = coef
    return xp.matmul(grid_coef, xp.take(weight, grid_idx, axis=0))[:, 0, :]


class EmbeddingBag(Function):
    """Segment reductions of embedding rows; bag ``k`` covers flat positions ``starts[k]:ends[k]``."""

    def forward(self, weight, per_sample_weights):
        idx, valid, bag_of = self.idx, self.valid, self.bag_of
        self.weight, self.psw = weight, per_sample_weights
        num_bags, dim = self.num_bags, weight.shape[1]
        if idx.size == 0:
            return xp.zeros((num_bags, dim), dtype=weight.dtype)
        if self.mode == "max":
            return self._max_forward(weight)
        # per-bag factor (1, or 1/count for the mean) and per-position factor (padding 0, per-sample weight)
        self.bag_scale = None
        if self.mode == "mean":
            counts = xp.bincount(bag_of[valid], minlength=num_bags).astype(weight.dtype)
            self.bag_scale = 1 / xp.maximum(counts, 1)
        coef = valid.astype(weight.dtype)
        if per_sample_weights is not None:
            coef *= per_sample_weights
        if self.bag_scale is not None:
            coef *= self.bag_scale[bag_of]
        return _weighted_bag_sum(weight, idx, coef, bag_of, self.starts, self.lengths, num_bags)

    def _max_forward(self, weight):
        idx, valid, bag_of = self.idx, self.valid, self.bag_of
        out = xp.zeros((self.num_bags, weight.shape[1]), dtype=weight.dtype)
        nonempty = self.lengths > 0
        rows = xp.where(valid[:, None], xp.take(weight, idx, axis=0), xp.asarray(-xp.inf, dtype=weight.dtype))
        best = xp.maximum.reduceat(rows, self.starts[nonempty], axis=0)
        filled = xp.isfinite(best) | (best > 0)
        out[nonempty] = xp.where(filled, best, 0)
        # position of the (first) maximum in each bag and column, for backward
        hit = (rows == out[bag_of]) & valid[:, None]
        candidates = xp.where(hit, xp.arange(idx.size)[:, None], idx.size)
        self.argmax = xp.minimum.reduceat(candidates, self.starts[nonempty], axis=0)
        self.nonempty = nonempty
        return out

    def backward(self, g):
        need = self.needs_input_grad
        weight, idx = self.weight, self.idx
        gw = gpsw = None
        if need[0]:
            gw = self._weight_grad(g, weight.shape)
        if len(need) > 1 and need[1] and idx.size:
            gpsw = (xp.take(g, self.bag_of, axis=0) * xp.take(weight, idx, axis=0)).sum(axis=1) * self.valid
        elif len(need) > 1 and need[1]:
            gpsw = xp.zeros(0, dtype=g.dtype)
        return gw, gpsw

    def _max_backward_tensors(self, g):
        """Each bag's maximum row entries get the gradient, as a differentiable scatter (index_add) of ``g``."""
        shape = self.weight.shape
        zeros = const(g, xp.zeros(shape[0] * shape[1]))
        if self.idx.size == 0:
            return zeros.reshape(shape)
        pos = self.argmax
        found = (pos < self.idx.size).reshape(-1)
        cols = xp.broadcast_to(xp.arange(shape[1]), pos.shape).reshape(-1)
        target = self.idx[xp.minimum(pos, self.idx.size - 1)].reshape(-1) * shape[1] + cols
        rows = g.index_select(0, g._wrap(xp.flatnonzero(self.nonempty))).reshape(-1)
        picked = xp.flatnonzero(found)
        return zeros.index_add(0, g._wrap(target[picked]), rows.index_select(0, g._wrap(picked))).reshape(shape)

    def _weight_grad(self, g, shape):
        idx = self.idx
        if idx.size == 0:
            return xp.zeros(shape, dtype=g.dtype)
        if self.mode == "max":
            gw = xp.zeros(shape, dtype=g.dtype)
            pos = self.argmax
            found = pos < idx.size
            cols = xp.broadcast_to(xp.arange(shape[1]), pos.shape)
            xp.add.at(gw, (idx[pos[found]], cols[found]), g[self.nonempty][found])
            return gw
        bag_of, valid, psw = self.bag_of, self.valid, self.psw
        if self.bag_scale is not None:
            g = g * self.bag_scale[:, None]
        if not valid.all():  # padding entries get no gradient: leave them out of the scatter
            idx, bag_of = idx[valid], bag_of[valid]
            psw = psw[valid] if psw is not None else None
        rows = xp.take(g, bag_of, axis=0)
        if psw is not None:
            rows *= psw[:, None]
        gw, touched = scatter_rows(shape[0], idx, rows)
        self.grad_row_support = (touched, None)
        return gw

    def backward_tensors(self, g):
        if self.mode == "max":
            return self._max_backward_tensors(g), None
        weight, psw = self.inputs
        need = self.needs_input_grad
        gw = gpsw = None
        scale = self.valid.astype(g._data.dtype)
        if self.bag_scale is not None:
            scale = scale * self.bag_scale[self.bag_of]
        rows = g.index_select(0, g._wrap(self.bag_of)) if self.idx.size else None
        if need[0]:
            zeros = const(g, xp.zeros(self.weight.shape))
            if rows is None:
                gw = zeros
            else:
                coef = const(g, scale) if psw is None else const(g, scale) * psw
                gw = zeros.index_add(0, g._wrap(self.idx), rows * coef.unsqueeze(1))
        if len(need) > 1 and need[1]:
            gpsw = const(g, xp.zeros(0)) if rows is None else (
                (rows * weight.index_select(0, g._wrap(self.idx))).sum(dim=1) * const(g, self.valid))
        return gw, gpsw
