"""Pooling kernels: max/avg pooling (1-D via 2-D with H = 1), adaptive avg/max pooling, max unpooling.

Max/avg pooling loop over the KH*KW kernel offsets (never over pixels): each offset is one strided
``(N, C, OH, OW)`` view of the padded input, combined with a vectorised maximum/sum. Max pooling keeps the
winning offset per output as a uint8 array (first maximum wins, as PyTorch), so backward is again one strided
write per offset, and the flat ``H*W`` indices PyTorch returns are computed from it only when asked for.
Both directions are branch-free (no masked writes, which crawl on random masks) and run on the memory order
of the input, (C, N, ...) for conv outputs, so every array they touch is C-contiguous or a plain strided view."""

from __future__ import annotations

from typing import Sequence, Union

from .._backend import xp
from .._parallel import in_halves
from ..autograd.function import Function
from ._adjoint import adjoint

__all__ = ["MaxPool2DWithIndices", "AvgPool2D", "AdaptiveAvgPool2D", "AdaptiveMaxPool2D", "MaxUnpool2D"]

IntOrPair = Union[int, Sequence[int]]


def pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: in ceil mode the last window must start inside the (left-padded) input."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _offset_view(xpad, i: int, j: int, geo) -> xp.ndarray:
    (sh, sw), (dh, dw), (oh, ow) = geo["stride"], geo["dilation"], geo["out_hw"]
    return xpad[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def _channels_first_memory(x) -> bool:
    """True when ``x`` (N, C, H, W) is stored channels-first (conv outputs are), so results can match it."""
    return x.ndim == 4 and x.shape[0] > 1 and x.transpose(1, 0, 2, 3).flags.c_contiguous


def _zeros_in_layout(shape, dtype, channels_first: bool):
    if channels_first:
        return xp.zeros((shape[1], shape[0]) + tuple(shape[2:]), dtype=dtype).transpose(1, 0, 2, 3)
    return xp.zeros(shape, dtype=dtype)


def _padded(x, geo, value):
    """Pad by ``padding`` on both sides plus whatever ceil mode's last window needs past the end."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geo["kernel"], geo["stride"], geo["dilation"], geo["out_hw"]
    ph, pw = geo["padding"]
    h, w = x.shape[2:]
    extra_h = max((oh - 1) * sh + dh * (kh - 1) + 1 - (h + 2 * ph), 0)
    extra_w = max((ow - 1) * sw + dw * (kw - 1) + 1 - (w + 2 * pw), 0)
    if not (ph or pw or extra_h or extra_w):
        return x
    return xp.pad(x, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)), constant_values=value)


def _unpad(xpad, x_shape, geo):
    ph, pw = geo["padding"]
    h, w = x_shape[2:]
    return xpad[:, :, ph:ph + h, pw:pw + w]


def _non_overlapping(geo) -> bool:
    (kh, kw), (sh, sw), (dh, dw) = geo["kernel"], geo["stride"], geo["dilation"]
    return sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1


def _swap_nc(x, swap: bool):
    """(N, C, ...) <-> (C, N, ...) when ``swap``: kernels then run on C-contiguous arrays, whose masked ufuncs
    (``copyto(where=)``) are many times faster than on transposed views."""
    return x.transpose(1, 0, 2, 3) if swap else x


class MaxPool2DWithIndices(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        geo = self.geo
        kh, kw = geo["kernel"]
        self.channels_first = _channels_first_memory(x)
        xpad = _swap_nc(_padded(x, geo, -xp.inf), self.channels_first)
        shape = xpad.shape[:2] + tuple(geo["out_hw"])
        best, arg = xp.empty(shape, dtype=x.dtype), xp.empty(shape, dtype=xp.uint8)

        def part(lo: int, hi: int) -> None:
            xs, best_part, arg_part = xpad[lo:hi], best[lo:hi], arg[lo:hi]
            first = _offset_view(xs, 0, 0, geo)
            if kh * kw == 1:
                best_part[...] = first
                arg_part[...] = 0
                return
            second = _offset_view(xs, 1 // kw, 1 % kw, geo)
            xp.greater(second, first, out=arg_part.view(bool))  # offset 1 wins only where strictly greater
            xp.maximum(first, second, out=best_part)
            better, candidate = xp.empty_like(arg_part, dtype=bool), xp.empty_like(arg_part)
            for k in range(2, kh * kw):
                view = _offset_view(xs, k // kw, k % kw, geo)
                xp.greater(view, best_part, out=better)
                # arg = k where better: k exceeds every earlier offset, so a maximum with k*better does it
                # branch-free (masked writes/putmask crawl on random masks)
                xp.multiply(better.view(xp.uint8), k, out=candidate)
                xp.maximum(arg_part, candidate, out=arg_part)
                xp.maximum(best_part, view, out=best_part)

        # each half writes its own rows with the same operations: the bits don't depend on the split
        in_halves(xpad.shape[0], part, best.nbytes * kh * kw)
        self.arg, self.x_shape, self.padded_shape, self.dtype = arg, x.shape, xpad.shape, x.dtype
        return _swap_nc(best, self.channels_first)

    def indices(self):
        """Flat index into each input plane (H*W) of every maximum, as int64."""
        geo = self.geo
        kw = geo["kernel"][1]
        (sh, sw), (dh, dw), (oh, ow) = geo["stride"], geo["dilation"], geo["out_hw"]
        ph, pw = geo["padding"]
        arg = _swap_nc(self.arg, self.channels_first).astype(xp.int64)
        rows = xp.arange(oh).reshape(-1, 1) * sh - ph + (arg // kw) * dh
        cols = xp.arange(ow) * sw - pw + (arg % kw) * dw
        return rows * self.x_shape[3] + cols

    def backward(self, grad):
        geo = self.geo
        kh, kw = geo["kernel"]
        grad = _swap_nc(grad, self.channels_first)
        overlap = not _non_overlapping(geo)
        (oh, ow), (sh, sw) = geo["out_hw"], geo["stride"]
        tiled = (geo["stride"] == geo["kernel"] and geo["dilation"] == (1, 1)
                 and tuple(self.padded_shape[2:]) == (oh * sh, ow * sw))  # the offsets write every element once
        gpad = (xp.empty if tiled else xp.zeros)(self.padded_shape, dtype=grad.dtype)
        bits = xp.dtype(f"u{grad.itemsize}")
        grad_bits = xp.ascontiguousarray(grad).view(bits)

        def part(lo: int, hi: int) -> None:
            arg, g_bits, gp = self.arg[lo:hi], grad_bits[lo:hi], gpad[lo:hi]
            selected = xp.empty(arg.shape, dtype=bool)
            mask = xp.empty(arg.shape, dtype=bits)
            picked = xp.empty(arg.shape, dtype=grad.dtype) if overlap else None
            for k in range(kh * kw):
                target = _offset_view(gp, k // kw, k % kw, geo)
                xp.equal(arg, k, out=selected)
                # grad AND all-ones/all-zeros bit masks: exactly where(selected, grad, 0) (inf/nan elsewhere
                # never leak, unlike a multiply), branch-free and without temporaries
                xp.subtract(0, selected, out=mask, dtype=bits)
                if overlap:
                    xp.bitwise_and(g_bits, mask, out=picked.view(bits))
                    target += picked
                else:
                    xp.bitwise_and(g_bits, mask, out=target.view(bits))

        in_halves(gpad.shape[0], part, grad.nbytes * kh * kw)
        return _unpad(_swap_nc(gpad, self.channels_first), self.x_shape, geo)

    def backward_tensors(self, g):
        n, c = self.x_shape[:2]
        index = g._wrap(self.indices().reshape(n, c, -1))
        zeros = g._wrap(xp.zeros((n, c, self.x_shape[2] * self.x_shape[3]), dtype=g._data.dtype))
        return zeros.scatter_add(2, index, g.reshape(n, c, -1)).reshape(self.x_shape)


class AvgPool2D(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        geo = self.geo
        kh, kw = geo["kernel"]
        xpad = _padded(x, geo, 0)
        self.channels_first = _channels_first_memory(x)
        total = _offset_view(xpad, 0, 0, geo).copy(order="K" if self.channels_first else "C")
        for k in range(1, kh * kw):
            total += _offset_view(xpad, k // kw, k % kw, geo)
        self.scale = (1.0 / self.divisor(x.shape)).astype(x.dtype)
        self.x_shape, self.padded_shape = x.shape, xpad.shape
        total *= self.scale
        return total

    def divisor(self, x_shape):
        """(OH, OW) window sizes by PyTorch's rule (or the override)."""
        geo = self.geo
        if self.divisor_override:
            return xp.full(geo["out_hw"], float(self.divisor_override))
        sizes = []
        for size, k, s, p, o in zip(x_shape[2:], geo["kernel"], geo["stride"], geo["padding"], geo["out_hw"]):
            start = xp.arange(o) * s - p
            end = xp.minimum(start + k, size + p)
            if self.count_include_pad:
                sizes.append(end - start)
            else:
                sizes.append(xp.minimum(end, size) - xp.maximum(start, 0))
        return xp.outer(sizes[0], sizes[1]).astype(xp.float64)

    def backward(self, grad):
        geo = self.geo
        kh, kw = geo["kernel"]
        scaled = grad * self.scale
        overlap = not _non_overlapping(geo)
        gpad = _zeros_in_layout(self.padded_shape, grad.dtype, self.channels_first)
        for k in range(kh * kw):
            target = _offset_view(gpad, k // kw, k % kw, geo)
            if overlap:
                target += scaled
            else:
                target[...] = scaled
        return _unpad(gpad, self.x_shape, geo)

    def backward_tensors(self, g):
        return adjoint(self, g)


# ----------------------------------------------------------------------------------------- adaptive pooling
def _adaptive_bins(size: int, out: int):
    """PyTorch's adaptive bins: [floor(i*size/out), ceil((i+1)*size/out))."""
    i = xp.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_matrix(size: int, out: int, dtype):
    """(out, size) averaging matrix of the adaptive bins."""
    start, end = _adaptive_bins(size, out)
    pos = xp.arange(size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2D(Function):
    """``A_h @ x @ A_w^T`` with the bins' averaging matrices (exact, two small matmuls)."""

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        h, w = x.shape[2:]
        oh, ow = self.out_hw
        if h % oh == 0 and w % ow == 0:
            self.uniform = True
            self.x_shape = x.shape
            n, c = x.shape[:2]
            return x.reshape(n, c, oh, h // oh, ow, w // ow).mean(axis=(3, 5), dtype=x.dtype)
        self.uniform = False
        self.a_h = _adaptive_matrix(h, oh, x.dtype)
        self.a_w = _adaptive_matrix(w, ow, x.dtype)
        return xp.matmul(xp.matmul(self.a_h, x), self.a_w.T)

    def backward(self, grad):
        if self.uniform:
            n, c, h, w = self.x_shape
            oh, ow = self.out_hw
            g = grad.reshape(n, c, oh, 1, ow, 1) / ((h // oh) * (w // ow))
            return xp.broadcast_to(g, (n, c, oh, h // oh, ow, w // ow)).reshape(self.x_shape)
        return xp.matmul(xp.matmul(self.a_h.T, grad), self.a_w)

    def backward_tensors(self, g):
        return adjoint(self, g)


class AdaptiveMaxPool2D(Function):
    """Each output's bin gathered as a fixed-size window (short bins repeat their last index, which cannot
    change a maximum), then one argmax; backward scatters with ``bincount`` over flat indices."""

    saves_inputs = False

    def forward(self, x):
        n, c, h, w = x.shape
        oh, ow = self.out_hw
        rows, cols = self._window_index(h, oh), self._window_index(w, ow)
        windows = x[:, :, rows[:, :, None, None], cols[None, None, :, :]]  # (N, C, OH, KH, OW, KW)
        kh, kw = rows.shape[1], cols.shape[1]
        windows = windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
        arg = windows.argmax(axis=-1)
        out = xp.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
        row = rows[xp.arange(oh)[:, None], arg // kw]
        col = cols[xp.arange(ow), arg % kw]
        index = row * w + col
        self.index, self.x_shape = index.astype(xp.int64), x.shape
        return xp.ascontiguousarray(out)

    @staticmethod
    def _window_index(size: int, out: int):
        start, end = _adaptive_bins(size, out)
        width = int((end - start).max())
        return xp.minimum(start[:, None] + xp.arange(width)[None, :], end[:, None] - 1)

    def backward(self, grad):
        n, c, h, w = self.x_shape
        plane = (xp.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
        flat = xp.bincount((self.index + plane).ravel(), weights=grad.ravel(), minlength=n * c * h * w)
        return flat.astype(grad.dtype).reshape(self.x_shape)

    def backward_tensors(self, g):
        n, c, h, w = self.x_shape
        index = g._wrap(self.index.reshape(n, c, -1))
        zeros = g._wrap(xp.zeros((n, c, h * w), dtype=g._data.dtype))
        return zeros.scatter_add(2, index, g.reshape(n, c, -1)).reshape(self.x_shape)


class MaxUnpool2D(Function):
    saves_inputs = False

    def forward(self, x, indices):
        n, c = x.shape[:2]
        oh, ow = self.out_hw
        out = xp.zeros((n, c, oh * ow), dtype=x.dtype)
        self.index = indices.reshape(n, c, -1)
        xp.put_along_axis(out, self.index, x.reshape(n, c, -1), axis=2)
        return out.reshape(n, c, oh, ow)

    def backward(self, grad):
        n, c = grad.shape[:2]
        picked = xp.take_along_axis(grad.reshape(n, c, -1), self.index, axis=2)
        return picked.reshape(self.index.shape[:2] + self.x_hw), None

    def backward_tensors(self, g):
        n, c = g.shape[:2]
        picked = g.reshape(n, c, -1).gather(2, g._wrap(self.index))
        return picked.reshape(tuple(self.index.shape[:2]) + tuple(self.x_hw)), None


def _empty(stride) -> bool:
    return stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)


def _first(value) -> int:
    return int(value) if not isinstance(value, (list, tuple)) else int(value[0])
