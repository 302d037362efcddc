"""Convolution kernels: conv1d/conv2d/conv_transpose2d, unfold/fold (im2col/col2im) and mode padding.

NCHW at the API. ``Convolution`` works channels-first inside (see its docstring): one BLAS GEMM per group for
the forward pass and for grad_weight, and for grad_input either a second GEMM (stride 1, the full
convolution with the flipped kernel) or a GEMM plus a col2im loop over the KH*KW kernel offsets, each a
strided add of one window slab (never ``np.add.at``), laid out so that the adds run over long contiguous
stretches (full-width rows, or the batch innermost for narrow outputs). ``im2col``/``col2im`` below are the NCHW
versions used by unfold/fold and the transposed convolution."""

from __future__ import annotations

import threading
from typing import Sequence, Union

from .._backend import xp
from ..autograd.function import Function
from . import _depthwise
from ._adjoint import bilinear_backward

__all__ = ["Convolution"]

IntOrPair = Union[int, Sequence[int]]


# Path choices of Convolution (measured on ResNet/LeNet layers): the full-width-row layout is used while it
# widens the GEMM by at most this factor, and the flipped-kernel grad_input while its copy of the gradient is
# at most this many times the size of the col2im route's window gradient.
ROWS_MAX_WIDENING = 1.25


FULL_CONV_MAX_RATIO = 2.0


CHUNK_BYTES = 3 << 20  # window copy per batch chunk: about the size of a core's share of L2/L3


SCRATCH_MAX_BYTES = 64 << 20  # reusable chunk buffers kept per thread


# the exact-window path keeps the batch innermost (long contiguous copies and col2im adds) from this batch
# size and up to this output width (measured on LeNet's 6->16 5x5 and ResNet's stride-2 layers)
BATCH_LAST_MIN_BATCH = 8


BATCH_LAST_MAX_WIDTH = 12


# ------------------------------------------------------------------------------------------- im2col / col2im
def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """Number of window positions along one axis of a padded input (floor mode)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def _zero_pad(x, pads):
    """``pads`` = ((top, bottom), (left, right)); negative values crop (col2im's inverse)."""
    if not any(pads[0]) and not any(pads[1]):
        return x
    return xp.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))


def _crop(x, pads):
    (top, bottom), (left, right) = pads
    h, w = x.shape[2:]
    return x[:, :, top:h - bottom, left:w - right]


# --------------------------------------------------------------------------------------------------- conv2d
def _channels_first(x, pads):
    """``x`` (N, C, H, W) as a zero-padded array in (C, N, H', W') memory order; no copy when unpadded."""
    xc = x.transpose(1, 0, 2, 3)
    if not any(pads[0]) and not any(pads[1]):
        return xc
    (top, bottom), (left, right) = pads
    c, n, h, w = xc.shape
    buf = xp.zeros((c, n, h + top + bottom, w + left + right), dtype=x.dtype)
    buf[:, :, top:top + h, left:left + w] = xc
    return buf


def _batch_last(x, pads):
    """``x`` (N, C, H, W) as a zero-padded (C, H', W', N) array: windows then copy in runs of OW*N or N."""
    n, c, h, w = x.shape
    (top, bottom), (left, right) = pads
    buf = xp.empty((c, h + top + bottom, w + left + right, n), dtype=x.dtype)
    if top or bottom or left or right:
        buf[...] = 0
    buf[:, top:top + h, left:left + w] = x.transpose(1, 2, 3, 0)
    return buf


def _padded_rows(x, pads, slack: int):
    """``x`` (N, C, H, W) zero-padded into a flat channels-first buffer with ``slack`` spare elements at the end.

    Returns ``(buffer, (C, N, H', W'))``. Rows are stored back to back, so a window offset ``(i, j)`` of all
    ``OH`` output rows is the single contiguous run ``[i*W' + j, i*W' + j + OH*W')`` of each (c, n) plane.
    """
    n, c, h, w = x.shape
    (top, bottom), (left, right) = pads
    hp, wp = h + top + bottom, w + left + right
    buf = xp.zeros(c * n * hp * wp + slack, dtype=x.dtype)
    buf[:c * n * hp * wp].reshape(c, n, hp, wp)[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
    return buf, (c, n, hp, wp)


def _row_windows(buf, shape, kernel, dilation, out_h: int, n0: int, n1: int):
    """Stride-1 im2col of images ``n0:n1`` of a ``_padded_rows`` buffer: contiguous ``(C*KH*KW, n*OH*W')``.

    Each output row keeps the full padded width ``W'``; the ``W' - OW`` extra columns per row are junk that the
    caller drops (forward) or multiplies by zeros (backward). In exchange, every copy is a long memcpy-like run.
    """
    c, n, hp, wp = shape
    (kh, kw), (dh, dw) = kernel, dilation
    item = buf.itemsize
    windows = xp.lib.stride_tricks.as_strided(
        buf[n0 * hp * wp:], shape=(c, kh, kw, n1 - n0, out_h * wp),
        strides=(n * hp * wp * item, dh * wp * item, dw * item, hp * wp * item, item), writeable=False)
    cols = _scratch(windows.shape, buf.dtype)
    xp.copyto(cols, windows)
    return cols.reshape(c * kh * kw, (n1 - n0) * out_h * wp)


_scratch_local = threading.local()


def _scratch(shape, dtype):
    """A per-thread reusable array for one batch chunk's windows (consumed by the next GEMM at once).

    Reusing it spares the page faults of a fresh multi-MB allocation per chunk, which cost as much as the
    copy itself on small networks."""
    cache = getattr(_scratch_local, "arrays", None)
    if cache is None:
        cache = _scratch_local.arrays = {}
    key = (tuple(shape), xp.dtype(dtype).str)
    array = cache.get(key)
    if array is None:
        if len(cache) >= 16 or sum(a.nbytes for a in cache.values()) > SCRATCH_MAX_BYTES:
            cache.clear()  # bounded: a network has few distinct chunk shapes
        array = cache[key] = xp.empty(shape, dtype=dtype)
    return array


def _batch_chunks(n: int, bytes_per_image: int):
    """Split the batch so one chunk's window copy stays cache-sized (measured: 2x faster than one big copy)."""
    step = max(1, min(n, CHUNK_BYTES // max(bytes_per_image, 1)))
    return [(start, min(n, start + step)) for start in range(0, n, step)]


class Convolution(Function):
    """``y = conv2d(x, w) + b`` with zero padding ``pads`` = ((top, bottom), (left, right)) and groups.

    Channels-first inside: windows are copied as ``cols`` (C*KH*KW, n*OH*OW'), so each product is one GEMM
    ``(OC, CKK) @ (CKK, n*L)`` per group (groups are a batch dim of the matmul). Stride-1 convolutions use
    full-width rows (OW' = padded width, see ``_row_windows``), work through the batch in cache-sized chunks
    (window copy + GEMM per chunk; backward re-copies the windows instead of keeping them, which also saves
    memory) and compute grad_input as the full convolution of the gradient with the flipped kernel (or a
    run-wise col2im when that would mostly multiply padding). Others copy exact windows once and scatter
    grad_input back with a loop over the KH*KW kernel offsets; for narrow outputs (LeNet's 10x10, ResNet's
    stride-2 8x8) the windows are (C*KH*KW, OH*OW*N) with the batch innermost, so the copies and col2im adds
    run over OW*N contiguous elements instead of OW.
    The result is an (N, OC, OH, OW) view of an (OC, N, OH, OW) array: elementwise ops keep that memory order
    and the next convolution reads it without a transpose copy.
    """

    depthwise = False  # groups == channels: multiply-adds of shifted windows in _depthwise.py, no GEMM

    def forward(self, x, w, b=None):
        if _depthwise.applies(x.shape, w.shape, self.groups):
            self.depthwise = True
            return _depthwise.forward(self, x, w, b)
        n, c, h, wd = x.shape
        oc, cg, kh, kw = w.shape
        g = self.groups
        (sh, sw), (dh, dw) = self.stride, self.dilation
        oh = output_size(h, kh, sh, sum(self.pads[0]), dh)
        ow = output_size(wd, kw, sw, sum(self.pads[1]), dw)
        # full-width rows cost (W'/OW - 1) extra GEMM work; worth it while that stays small
        self.rows = sh == 1 and sw == 1 and (wd + sum(self.pads[1])) <= ROWS_MAX_WIDENING * ow
        # batch-innermost windows pay two transposing copies (input, output) to lengthen every copy's/add's
        # contiguous runs from OW to OW*N: a win for narrow outputs of multi-offset kernels only
        self.batch_last = (not self.rows and n >= BATCH_LAST_MIN_BATCH and ow <= BATCH_LAST_MAX_WIDTH
                           and kh * kw > 1)
        wg = w.reshape(g, oc // g, cg * kh * kw)
        if self.rows:
            buf, shape = _padded_rows(x, self.pads, dw * (kw - 1))
            width = shape[3]
            out = xp.empty((oc, n, oh, ow), dtype=x.dtype)
            for n0, n1 in _batch_chunks(n, c * kh * kw * oh * width * x.itemsize):
                cols = _row_windows(buf, shape, (kh, kw), (dh, dw), oh, n0, n1).reshape(g, cg * kh * kw, -1)
                out[:, n0:n1] = xp.matmul(wg, cols).reshape(oc, n1 - n0, oh, width)[..., :ow]
            self.buf, self.buf_shape = buf, shape
        elif self.batch_last:
            xl = _batch_last(x, self.pads)
            s_c, s_h, s_w, s_n = xl.strides
            windows = xp.lib.stride_tricks.as_strided(
                xl, shape=(c, kh, kw, oh, ow, n), strides=(s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw, s_n),
                writeable=False)
            width = ow
            self.cols = xp.ascontiguousarray(windows).reshape(g, cg * kh * kw, oh * ow * n)
            out = xp.empty((oc, n, oh, ow), dtype=x.dtype)
            out[...] = xp.matmul(wg, self.cols).reshape(oc, oh, ow, n).transpose(0, 3, 1, 2)
        else:
            xc = _channels_first(x, self.pads)
            s_c, s_n, s_h, s_w = xc.strides
            windows = xp.lib.stride_tricks.as_strided(
                xc, shape=(c, kh, kw, n, oh, ow), strides=(s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
                writeable=False)
            width = ow
            self.cols = xp.ascontiguousarray(windows).reshape(g, cg * kh * kw, n * oh * ow)
            out = xp.matmul(wg, self.cols).reshape(oc, n, oh, ow)
        if b is not None:
            out += b.reshape(oc, 1, 1, 1)
        self.w, self.width, self.x_shape = w, width, x.shape
        return out.transpose(1, 0, 2, 3)

    def backward(self, grad):
        if self.depthwise:
            return _depthwise.backward(self, grad)
        n, oc, oh, ow = grad.shape
        width = self.width
        need = self.needs_input_grad
        gx = gw = gb = None
        if self.batch_last:
            gc = xp.ascontiguousarray(grad.transpose(1, 2, 3, 0))  # (OC, OH, OW, N), the layout of the cols
        elif width == ow:
            gc = xp.ascontiguousarray(grad.transpose(1, 0, 2, 3))
        else:  # zeros under the junk columns of the full-width rows
            gc = xp.zeros((oc, n, oh, width), dtype=grad.dtype)
            gc[..., :ow] = grad.transpose(1, 0, 2, 3)
        if need[1]:
            gw = self._grad_weight(gc)
        if need[0]:
            gx = self._grad_input(grad, gc)
        if len(need) > 2 and need[2]:
            gb = gc.reshape(oc, -1).sum(axis=1)
        return gx, gw, gb

    def _grad_weight(self, gc):
        w = self.w
        oc, cg, kh, kw = w.shape
        g = self.groups
        n = gc.shape[1]
        if not self.rows:
            return xp.matmul(gc.reshape(g, oc // g, -1), self.cols.transpose(0, 2, 1)).reshape(w.shape)
        gw = xp.zeros((g, oc // g, cg * kh * kw), dtype=gc.dtype)
        c, oh = self.buf_shape[0], gc.shape[2]
        for n0, n1 in _batch_chunks(n, c * kh * kw * oh * self.width * gc.itemsize):
            cols = _row_windows(self.buf, self.buf_shape, (kh, kw), self.dilation, oh, n0, n1)
            gw += xp.matmul(gc[:, n0:n1].reshape(g, oc // g, -1), cols.reshape(g, cg * kh * kw, -1).transpose(0, 2, 1))
        return gw.reshape(w.shape)

    def _grad_input(self, grad, gc):
        w = self.w
        oc, cg, kh, kw = w.shape
        g = self.groups
        (dh, dw) = self.dilation
        (top, bottom), (left, right) = self.pads
        span_h, span_w = dh * (kh - 1), dw * (kw - 1)
        n, c, h, wd = self.x_shape
        full_area = (h + 2 * span_h - top - bottom) * (wd + 2 * span_w - left - right)
        # the full convolution reads an (OC, KH, KW, N, H, W + span) copy: cheap for 'same'-style padding,
        # wasteful when a large kernel has little padding (the gradient is then mostly zeros)
        if (self.rows and max(top, bottom) <= span_h and max(left, right) <= span_w
                and oc * full_area <= FULL_CONV_MAX_RATIO * c * grad.shape[2] * grad.shape[3]):
            # stride 1: grad_input = grad (padded by the kernel span minus the padding) conv flipped kernel
            full_pads = ((span_h - top, span_h - bottom), (span_w - left, span_w - right))
            buf, shape = _padded_rows(grad, full_pads, span_w)
            flipped = w[:, :, ::-1, ::-1].reshape(g, oc // g, cg, kh, kw).transpose(0, 2, 1, 3, 4)
            flipped = flipped.reshape(g, cg, -1)
            dx = xp.empty((c, n, h, wd), dtype=grad.dtype)
            for n0, n1 in _batch_chunks(n, oc * kh * kw * h * shape[3] * grad.itemsize):
                cols = _row_windows(buf, shape, (kh, kw), (dh, dw), h, n0, n1).reshape(g, (oc // g) * kh * kw, -1)
                dx[:, n0:n1] = xp.matmul(flipped, cols).reshape(c, n1 - n0, h, shape[3])[..., :wd]
            return dx.transpose(1, 0, 2, 3)
        oh, ow = grad.shape[2:]
        wt = w.reshape(g, oc // g, cg * kh * kw).transpose(0, 2, 1)
        if self.batch_last:
            dcols = xp.matmul(wt, gc.reshape(g, oc // g, -1)).reshape(g * cg, kh, kw, oh, ow, n)
            return self._col2im_batch_last(dcols)
        if self.rows:
            return self._col2im_rows(wt, gc).transpose(1, 0, 2, 3)
        dcols = xp.matmul(wt, gc.reshape(g, oc // g, -1)).reshape(g * cg, kh, kw, n, oh, self.width)[..., :ow]
        return self._col2im_channels_first(dcols).transpose(1, 0, 2, 3)

    def _col2im_rows(self, wt, gc):
        """grad_input (C, N, H, W) of a full-width-row convolution: window gradients ``wt @ gc`` summed back.

        The adjoint of ``_row_windows``: offset ``(i, j)`` adds one contiguous run of OH*W' elements per
        (c, n) plane. The junk columns are exactly zero (``gc`` is zero under them), so the runs may spill into
        the next row or plane (or the buffer's slack) harmlessly; long runs keep the adds fast.
        """
        c, n, hp, wp = self.buf_shape
        g, ocg = wt.shape[0], wt.shape[2]
        kh, kw = self.w.shape[2:]
        dh, dw = self.dilation
        (top, bottom), (left, right) = self.pads
        run = gc.shape[2] * gc.shape[3]
        dcols = xp.matmul(wt, gc.reshape(g, ocg, -1)).reshape(c, kh, kw, n, run)
        out = xp.zeros(c * n * hp * wp + dw * (kw - 1), dtype=gc.dtype)
        item = out.itemsize
        for i in range(kh):
            for j in range(kw):
                target = xp.lib.stride_tricks.as_strided(
                    out[i * dh * wp + j * dw:], shape=(c, n, run), strides=(n * hp * wp * item, hp * wp * item, item))
                target += dcols[:, i, j]
        planes = out[:c * n * hp * wp].reshape(c, n, hp, wp)
        return planes[:, :, top:hp - bottom, left:wp - right]

    def _col2im_batch_last(self, dcols):
        """Sum (C, KH, KW, OH, OW, N) window gradients into the input; returns (N, C, H, W) in (C, N, H, W) memory.

        With the batch innermost every offset's add runs over OW*N (stride 1) or N contiguous elements
        instead of OW, which is what makes this col2im fast for small images."""
        c, kh, kw, oh, ow, n = dcols.shape
        (sh, sw), (dh, dw) = self.stride, self.dilation
        (top, bottom), (left, right) = self.pads
        h, wd = self.x_shape[2:]
        out = xp.zeros((c, h + top + bottom, wd + left + right, n), dtype=dcols.dtype)
        for i in range(kh):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            for j in range(kw):
                out[:, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw] += dcols[:, i, j]
        dx = xp.empty((c, n, h, wd), dtype=dcols.dtype)
        dx[...] = out[:, top:top + h, left:left + wd].transpose(0, 3, 1, 2)
        return dx.transpose(1, 0, 2, 3)

    def _col2im_channels_first(self, dcols):
        """Sum (C, KH, KW, N, OH, OW) window gradients into the (C, N, H, W) input, padding cropped."""
        c, kh, kw, n, oh, ow = dcols.shape
        (sh, sw), (dh, dw) = self.stride, self.dilation
        (top, bottom), (left, right) = self.pads
        hp, wp = self.x_shape[2] + top + bottom, self.x_shape[3] + left + right
        out = xp.zeros((c, n, hp, wp), dtype=dcols.dtype)
        for i in range(kh):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            for j in range(kw):
                out[:, :, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw] += dcols[:, i, j]
        return out[:, :, top:hp - bottom, left:wp - right]

    def backward_tensors(self, g):
        gx, gw = bilinear_backward(self, g)
        need = self.needs_input_grad
        return gx, gw, (g.sum(dim=(0, 2, 3)) if len(need) > 2 and need[2] else None)


# --------------------------------------------------------------------------------------------- public API
