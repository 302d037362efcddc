"""Kernels behind the basic layers: linear, bilinear, embedding, embedding_bag, dropout, pad, one_hot, and the
array work of ``nn.init`` (orthogonal, truncated normal, sparse).

Shapes follow PyTorch; every kernel is vectorised (segment sums with ``reduceat``, scatter with ``add.at`` or
one-hot matrix products), never a Python loop over rows, bags or elements.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

from .. import random as _random
from .._backend import xp
from ..autograd.function import Function
from ..tensor import Tensor
from .inplace import _write
from .linalg import _dtype_name

__all__ = ["linear", "bilinear", "embedding", "embedding_renorm_", "embedding_bag", "dropout", "feature_dropout",
           "alpha_dropout", "pad", "one_hot"]


# ---------------------------------------------------------------------------------------------- linear
class LinearFn(Function):
    """``y = x @ W.T + b`` over the last dim of ``x`` (any leading dims)."""

    def forward(self, x, w, b):
        self.x, self.w = x, w
        x2 = x.reshape(-1, x.shape[-1])
        out = x2 @ w.T
        if b is not None:
            out += b
        return out.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, g):
        need = self.needs_input_grad
        x, w = self.x, self.w
        g2 = g.reshape(-1, w.shape[0])
        gx = (g2 @ w).reshape(x.shape) if need[0] else None
        gw = g2.T @ x.reshape(-1, x.shape[-1]) if need[1] else None
        gb = g2.sum(axis=0) if len(need) > 2 and need[2] else None
        return gx, gw, gb


def _same_dtype(op: str, *tensors) -> None:
    dtypes = {t._data.dtype for t in tensors if t is not None}
    if len(dtypes) > 1:
        names = " != ".join(_dtype_name(t._data.dtype) for t in tensors if t is not None)
        raise RuntimeError(f"{op}: expected all inputs to have the same dtype, but got {names}. Convert the input "
                           "with `.float()`/`.double()` or the layer with `.to(dtype)`.")


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``input @ weight.T + bias``; input ``(*, in)``, weight ``(out, in)``, bias ``(out,)``."""
    if weight.ndim != 2 and weight.ndim != 1:
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got shape {tuple(weight.shape)}")
    if weight.ndim == 1:
        out = input @ weight
        return out + bias if bias is not None else out
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = math.prod(input.shape[:-1]) if input.ndim else 1
        cols = input.shape[-1] if input.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    _same_dtype("linear", input, weight, bias)
    return LinearFn.apply(input, weight, bias)


class BilinearFn(Function):
    """``y[n, o] = x1[n] @ W[o] @ x2[n] + b[o]`` for 2-D ``x1 (N, I)``, ``x2 (N, J)``, ``W (O, I, J)``."""

    def forward(self, x1, x2, w, b):
        n, i = x1.shape
        o, _, j = w.shape
        self.x1, self.x2, self.w = x1, x2, w
        # (N, I) @ (I, O*J) -> (N, O, J); then contract J with x2
        self.x1w = (x1 @ w.transpose(1, 0, 2).reshape(i, o * j)).reshape(n, o, j)
        out = xp.matmul(self.x1w, x2[:, :, None])[:, :, 0]
        if b is not None:
            out += b
        return out

    def backward(self, g):
        need = self.needs_input_grad
        x1, x2, w = self.x1, self.x2, self.w
        n, i = x1.shape
        o, _, j = w.shape
        g1 = g2 = gw = gb = None
        if need[0]:
            x2w = (x2 @ w.transpose(2, 0, 1).reshape(j, o * i)).reshape(n, o, i)
            g1 = xp.matmul(g[:, None, :], x2w)[:, 0, :]
        if need[1]:
            g2 = xp.matmul(g[:, None, :], self.x1w)[:, 0, :]
        if need[2]:
            outer = (x1[:, :, None] * x2[:, None, :]).reshape(n, i * j)
            gw = (g.T @ outer).reshape(o, i, j)
        if len(need) > 3 and need[3]:
            gb = g.sum(axis=0)
        return g1, g2, gw, gb


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """Input ``(*, in1)`` and ``(*, in2)`` with equal leading dims, weight ``(out, in1, in2)`` -> ``(*, out)``."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got {tuple(weight.shape)}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {tuple(input1.shape[:-1])} and "
                           f"{tuple(input2.shape[:-1])}")
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {input1.shape[-1]} and {input2.shape[-1]} do not match "
                           f"weight of shape {tuple(weight.shape)}")
    _same_dtype("bilinear", input1, input2, weight, bias)
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    return BilinearFn.apply(x1, x2, weight, bias).reshape(*lead, weight.shape[0])


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
    order = xp.argsort(indices, kind="stable")
    ordered = indices[order]
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


class EmbeddingFn(Function):
    saves_inputs = False

    def forward(self, weight):
        self.num, self.dim = weight.shape
        return xp.take(weight, self.indices, axis=0)

    def backward(self, g):
        flat = self.indices.reshape(-1)
        rows = g.reshape(-1, self.dim)
        if self.scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=self.num)
            rows = rows / counts[flat][:, None].astype(g.dtype)
        grad, touched = scatter_rows(self.num, flat, rows)
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        self.grad_row_support = (touched,)
        return grad


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
    return EmbeddingFn.apply(weight, indices=indices, padding_idx=padding_idx,
                             scale_grad_by_freq=scale_grad_by_freq)


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


class EmbeddingBagFn(Function):
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
    return EmbeddingBagFn.apply(weight, per_sample_weights, idx=idx, valid=valid, bag_of=bag_of, starts=starts,
                                lengths=lengths, num_bags=num_bags, mode=mode)


# ---------------------------------------------------------------------------------------------- dropout
class MaskFn(Function):
    """``x * mask + shift``: dropout variants with a precomputed (already scaled) mask."""

    saves_inputs = False

    def forward(self, x):
        out = x * self.mask
        if self.shift is not None:
            out += self.shift
        return out

    def backward(self, g):
        return g * self.mask


def _keep_mask(shape, p: float, dtype, generator):
    """Bernoulli(1 - p) draws from tensorlib's RNG, as ``dtype`` 0/1."""
    rng = _random.np_rng(generator)
    return (rng.random(shape, dtype=xp.float32) >= xp.float32(p)).astype(dtype)


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_with_shape(input: Tensor, p: float, mask_shape, generator=None) -> Tensor:
    dtype = input._data.dtype
    if p == 1.0:
        mask = xp.zeros(mask_shape, dtype=dtype)
    else:
        mask = _keep_mask(mask_shape, p, dtype, generator) * xp.asarray(1.0 / (1.0 - p), dtype=dtype)
    return MaskFn.apply(input, mask=mask, shift=None)


def dropout(input: Tensor, p: float = 0.5, generator=None) -> Tensor:
    """Inverted dropout (training mode): zero each element with probability ``p``, scale the rest by 1/(1-p)."""
    _check_p(p)
    return _dropout_with_shape(input, p, input._data.shape, generator)


def feature_dropout(input: Tensor, p: float = 0.5, batched: bool = True, generator=None) -> Tensor:
    """Zero whole channels: mask of shape ``(N, C, 1, ...)`` (``batched``) or ``(C, 1, ...)``."""
    _check_p(p)
    keep = 2 if batched else 1
    shape = input._data.shape[:keep] + (1,) * (input.ndim - keep)
    return _dropout_with_shape(input, p, shape, generator)


_SELU_ALPHA_PRIME = 1.7580993408473766  # -scale * alpha of SELU


def alpha_dropout(input: Tensor, p: float = 0.5, feature: bool = False, generator=None) -> Tensor:
    """SELU-preserving dropout: dropped units are set to the negative saturation, then mean/var corrected."""
    _check_p(p)
    dtype = input._data.dtype
    shape = input._data.shape if not feature else input._data.shape[:2] + (1,) * (input.ndim - 2)
    if p == 1.0:
        return MaskFn.apply(input, mask=xp.zeros(shape, dtype=dtype), shift=None)
    noise = _keep_mask(shape, p, dtype, generator)
    alpha = _SELU_ALPHA_PRIME
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    shift = ((noise - 1) * (alpha * a) + alpha * a * p).astype(dtype)
    return MaskFn.apply(input, mask=(noise * a).astype(dtype), shift=shift)


# ---------------------------------------------------------------------------------------------- pad
_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pairs(pad: Sequence[int], ndim: int):
    """PyTorch's pad tuple (last dim first) -> list of ``(axis, before, after)``."""
    if len(pad) % 2 != 0:
        raise RuntimeError(f"Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {ndim}")
    return [(ndim - 1 - k, int(pad[2 * k]), int(pad[2 * k + 1])) for k in range(len(pad) // 2)]


class ConstantPadFn(Function):
    saves_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        crop = [slice(None)] * x.ndim
        widths = [(0, 0)] * x.ndim
        for axis, before, after in self.pairs:
            crop[axis] = slice(max(-before, 0), x.shape[axis] - max(-after, 0))
            widths[axis] = (max(before, 0), max(after, 0))
        x = x[tuple(crop)]
        return xp.pad(x, widths, mode="constant", constant_values=xp.asarray(self.value, dtype=x.dtype))

    def backward(self, g):
        inner = [slice(None)] * g.ndim
        widths = [(0, 0)] * g.ndim
        for axis, before, after in self.pairs:
            inner[axis] = slice(max(before, 0), g.shape[axis] - max(after, 0))
            widths[axis] = (max(-before, 0), max(-after, 0))
        return xp.pad(g[tuple(inner)], widths)


class GatherPadFn(Function):
    """Reflect/replicate/circular padding as a per-axis gather; backward is the per-axis scatter-add."""

    saves_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        for axis, source, _ in self.sources:
            x = xp.take(x, source, axis=axis)
        return x

    def backward(self, g):
        for axis, source, (out_start, in_start, middle) in reversed(self.sources):
            n = self.in_shape[axis]
            moved = xp.moveaxis(g, axis, -1)
            grad = xp.zeros(moved.shape[:-1] + (n,), dtype=g.dtype)
            # the unpadded middle maps one to one; only the (narrow) borders need a scatter-add
            grad[..., in_start:in_start + middle] = moved[..., out_start:out_start + middle]
            border = xp.concatenate([xp.arange(out_start), xp.arange(out_start + middle, source.size)])
            if border.size:
                scatter = xp.zeros((border.size, n), dtype=g.dtype)
                scatter[xp.arange(border.size), source[border]] = 1
                grad += moved[..., border] @ scatter
            g = xp.moveaxis(grad, -1, axis)
        return g


def _source_indices(n: int, before: int, after: int, mode: str, axis: int, shape):
    if mode == "reflect" and max(before, after) >= n:
        raise RuntimeError(f"Padding size should be less than the corresponding input dimension, but got: padding "
                           f"({before}, {after}) at dimension {axis} of input {list(shape)}")
    if mode == "circular" and max(before, after) > n:
        raise RuntimeError(f"Padding value causes wrapping around more than once: padding ({before}, {after}) at "
                           f"dimension {axis} of input {list(shape)}")
    if mode == "replicate" and n == 0 and (before > 0 or after > 0):
        raise RuntimeError(f"cannot replicate-pad the empty dimension {axis} of input {list(shape)}")
    base = xp.pad(xp.arange(n), (max(before, 0), max(after, 0)), mode=_NP_MODES[mode])
    return base[max(-before, 0): base.size - max(-after, 0)]


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dims; ``pad`` lists the last dim first."""
    pairs = _pairs(pad, input.ndim)
    for axis, before, after in pairs:
        if input.shape[axis] + before + after < 0:
            raise RuntimeError(f"The input size {input.shape[axis]}, plus negative padding {before} and {after} "
                               f"resulted in a negative output size, which is invalid. Check dimension {axis} "
                               "of your input.")
    if mode == "constant":
        return ConstantPadFn.apply(input, pairs=pairs, value=0.0 if value is None else value)
    if mode not in _NP_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}: expected 'constant', 'reflect', "
                                  "'replicate' or 'circular'")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    sources = []
    for axis, before, after in pairs:
        if before or after:
            n = input.shape[axis]
            source = _source_indices(n, before, after, mode, axis, input.shape)
            middle = n - max(-before, 0) - max(-after, 0)
            sources.append((axis, source, (max(before, 0), max(-before, 0), middle)))
    return GatherPadFn.apply(input, sources=sources)


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


# ---------------------------------------------------------------------------------------------- init kernels
def _work_dtype(tensor: Tensor):
    return xp.float32 if tensor._data.dtype == xp.float32 else xp.float64


def init_trunc_normal_(tensor: Tensor, mean: float, std: float, a: float, b: float, generator=None) -> Tensor:
    """Fill with N(mean, std) truncated to [a, b]; out-of-range draws are redrawn (vectorised rejection)."""
    rng = _random.np_rng(generator)
    shape = tensor._data.shape
    values = rng.normal(mean, std, size=shape)
    bad = (values < a) | (values > b)
    while bad.any():
        values[bad] = rng.normal(mean, std, size=int(bad.sum()))
        bad = (values < a) | (values > b)
    return _write(tensor, values.astype(tensor._data.dtype), "trunc_normal_")


def init_orthogonal_(tensor: Tensor, gain: float, generator=None) -> Tensor:
    """PyTorch's orthogonal init: QR of a normal matrix (rows = dim 0), signs fixed by diag(R)."""
    rows = tensor.shape[0]
    cols = tensor._data.size // rows if rows else 0
    flat = _random.np_rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q *= xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor._data.shape).astype(tensor._data.dtype), "orthogonal_")


def init_sparse_(tensor: Tensor, sparsity: float, std: float, generator=None) -> Tensor:
    """N(0, std) with ``ceil(sparsity * rows)`` random entries of every column set to zero."""
    rng = _random.np_rng(generator)
    rows, cols = tensor.shape
    values = rng.normal(0.0, std, size=(rows, cols))
    num_zeros = int(math.ceil(sparsity * rows))
    # a random permutation of the rows per column: argsort of uniform keys
    order = xp.argsort(rng.random((rows, cols)), axis=0)
    xp.put_along_axis(values, order[:num_zeros], 0.0, axis=0)
    return _write(tensor, values.astype(tensor._data.dtype), "sparse_")


def init_dirac_(tensor: Tensor, groups: int) -> Tensor:
    """Identity-preserving conv weight: a 1 at the centre of ``[g*out + d, d]`` for each group and ``d``."""
    shape = tensor.shape
    out_per_group = shape[0] // groups
    min_dim = min(out_per_group, shape[1])
    values = xp.zeros(shape, dtype=tensor._data.dtype)
    d = xp.arange(min_dim)
    out_index = (xp.arange(groups)[:, None] * out_per_group + d[None, :]).reshape(-1)
    in_index = xp.tile(d, groups)
    centre = tuple(s // 2 for s in shape[2:])
    values[(out_index, in_index) + centre] = 1
    return _write(tensor, values, "dirac_")
