"""Convolution kernels: conv1d/conv2d/conv_transpose2d, unfold/fold (im2col/col2im) and mode padding.

NCHW at the API. ``Conv2dFn`` works channels-first inside (see its docstring): one BLAS GEMM per group for
the forward pass and for grad_weight, and for grad_input either a second GEMM (stride 1, the full
convolution with the flipped kernel) or a GEMM plus a col2im loop over the KH*KW kernel offsets, each a
strided add of one window slab (never ``np.add.at``), laid out so that the adds run over long contiguous
stretches (full-width rows, or the batch innermost for narrow outputs). ``im2col``/``col2im`` below are the NCHW
versions used by unfold/fold and the transposed convolution.
"""

from __future__ import annotations

import threading
from typing import Sequence, Tuple, Union

from .._backend import xp
from ..autograd.function import Function
from ..tensor import Tensor
from ._utils import InputShapeError

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold", "mode_pad"]

IntOrPair = Union[int, Sequence[int]]

# Path choices of Conv2dFn (measured on ResNet/LeNet layers): the full-width-row layout is used while it
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


def _ntuple(value, n: int, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            return tuple(int(value[0]) for _ in range(n))
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _pair(value, name: str = "argument") -> Tuple[int, int]:
    return _ntuple(value, 2, name)


# ------------------------------------------------------------------------------------------- im2col / col2im
def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """Number of window positions along one axis of a padded input (floor mode)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def im2col(xp_in, kernel, stride, dilation, out_hw):
    """Windows of an already padded ``(N, C, H, W)`` array as a contiguous ``(N, C, KH, KW, OH, OW)`` copy."""
    n, c = xp_in.shape[:2]
    kh, kw = kernel
    oh, ow = out_hw
    s_n, s_c, s_h, s_w = xp_in.strides
    windows = xp.lib.stride_tricks.as_strided(
        xp_in, shape=(n, c, kh, kw, oh, ow),
        strides=(s_n, s_c, s_h * dilation[0], s_w * dilation[1], s_h * stride[0], s_w * stride[1]),
        writeable=False)
    return xp.ascontiguousarray(windows)


def col2im(cols, padded_hw, kernel, stride, dilation):
    """Sum ``(N, C, KH, KW, OH, OW)`` window values back into a padded ``(N, C, H, W)`` image."""
    n, c, kh, kw, oh, ow = cols.shape
    sh, sw = stride
    dh, dw = dilation
    out = xp.zeros((n, c) + tuple(padded_hw), dtype=cols.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            out[:, :, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out


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


class Conv2dFn(Function):
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

    def forward(self, x, w, b=None):
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


class ConvTranspose2dFn(Function):
    """The adjoint of Conv2dFn in ``x``: ``y = col2im(w^T @ x)``, cropped by ``padding``, plus bias."""

    def forward(self, x, w, b=None):
        n, cin, h, wd = x.shape
        _, ocg, kh, kw = w.shape
        g = self.groups
        cg = cin // g
        ph, pw = self.padding
        full = self.full_hw
        wt = w.reshape(g, cg, ocg * kh * kw).transpose(0, 2, 1)
        dcols = xp.matmul(wt, x.reshape(n, g, cg, h * wd)).reshape(n, g * ocg, kh, kw, h, wd)
        out = col2im(dcols, full, (kh, kw), self.stride, self.dilation)
        out = out[:, :, ph:ph + self.out_hw[0], pw:pw + self.out_hw[1]]
        if b is not None:
            out = out + b.reshape(1, -1, 1, 1)
        else:
            out = xp.ascontiguousarray(out)
        self.x, self.w = x, w
        return out

    def backward(self, grad):
        x, w = self.x, self.w
        n, cin, h, wd = x.shape
        _, ocg, kh, kw = w.shape
        g = self.groups
        cg = cin // g
        ph, pw = self.padding
        fh, fw = self.full_hw
        oh, ow = self.out_hw
        gpad = xp.pad(grad, ((0, 0), (0, 0), (ph, fh - oh - ph), (pw, fw - ow - pw)))
        cols = im2col(gpad, (kh, kw), self.stride, self.dilation, (h, wd)).reshape(n, g, ocg * kh * kw, h * wd)
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = xp.matmul(w.reshape(g, cg, ocg * kh * kw), cols).reshape(x.shape)
        if need[1]:
            xs = x.reshape(n, g, cg, h * wd)
            gw = xp.matmul(xs, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
        if len(need) > 2 and need[2]:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb


# ------------------------------------------------------------------------------------------- unfold / fold
class Unfold(Function):
    saves_inputs = False

    def forward(self, x):
        n, c = x.shape[:2]
        xpad = _zero_pad(x, self.pads)
        self.padded_hw = xpad.shape[2:]
        cols = im2col(xpad, self.kernel, self.stride, self.dilation, self.out_hw)
        return cols.reshape(n, c * self.kernel[0] * self.kernel[1], -1)

    def backward(self, grad):
        n = grad.shape[0]
        cols = grad.reshape((n, -1) + tuple(self.kernel) + tuple(self.out_hw))
        return _crop(col2im(cols, self.padded_hw, self.kernel, self.stride, self.dilation), self.pads)


class Fold(Function):
    saves_inputs = False

    def forward(self, cols):
        n = cols.shape[0]
        blocks = cols.reshape((n, -1) + tuple(self.kernel) + tuple(self.out_hw))
        return xp.ascontiguousarray(_crop(col2im(blocks, self.padded_hw, self.kernel, self.stride,
                                                 self.dilation), self.pads))

    def backward(self, grad):
        n, c = grad.shape[:2]
        gpad = _zero_pad(grad, self.pads)
        cols = im2col(gpad, self.kernel, self.stride, self.dilation, self.out_hw)
        return cols.reshape(n, c * self.kernel[0] * self.kernel[1], -1)


# -------------------------------------------------------------------------------- reflect/replicate/circular
def _source_index(size: int, before: int, after: int, mode: str):
    """For each position of the padded axis, the input position it copies."""
    pos = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(pos, 0, size - 1)
    if mode == "circular":
        return pos % size
    period = 2 * (size - 1)  # reflect: mirror without repeating the edge
    pos = xp.abs(pos) % period if period else xp.zeros_like(pos)
    return xp.where(pos >= size, period - pos, pos)


class ModePad(Function):
    """Pads the last ``len(pads)`` axes by copying input values (reflect / replicate / circular).

    Backward multiplies by each axis' 0/1 selection matrix transposed, which sums every copy back into its
    source position without scatter loops.
    """

    saves_inputs = False

    def forward(self, x):
        k = len(self.pads)
        self.shape = x.shape
        self.index = [_source_index(x.shape[x.ndim - k + i], before, after, self.mode)
                      for i, (before, after) in enumerate(self.pads)]
        out = x
        for i, idx in enumerate(self.index):
            out = xp.take(out, idx, axis=x.ndim - k + i)
        return out

    def backward(self, grad):
        k = len(self.pads)
        ndim = grad.ndim
        for i, idx in enumerate(self.index):
            axis = ndim - k + i
            size = self.shape[axis]
            select = (idx[:, None] == xp.arange(size)[None, :]).astype(grad.dtype)  # (padded, size)
            grad = xp.moveaxis(xp.moveaxis(grad, axis, -1) @ select, -1, axis)
        return grad


def mode_pad(x: Tensor, pads: Sequence[Tuple[int, int]], mode: str) -> Tensor:
    """Pad the last ``len(pads)`` dims of ``x`` (``pads`` in dim order) with ``reflect``/``replicate``/``circular``."""
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"mode_pad: unsupported mode {mode!r}")
    k = len(pads)
    for i, (before, after) in enumerate(pads):
        size = x.shape[x.ndim - k + i]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({before}, {after}) at dimension {x.ndim - k + i} of input "
                               f"{list(x.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError(f"Padding value causes wrapping around more than once: padding ({before}, {after}) "
                               f"for input {list(x.shape)}")
    return ModePad.apply(x, pads=tuple(tuple(p) for p in pads), mode=mode)


# --------------------------------------------------------------------------------------------- public API
def _dtype_name(dtype) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(dtype.name, dtype.name)


def _check_types(input: Tensor, weight: Tensor, bias) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"expected a floating point input, got {input.dtype}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({_dtype_name(input._data.dtype)}) and weight type "
                           f"({_dtype_name(weight._data.dtype)}) should be the same")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({_dtype_name(input._data.dtype)}) and bias type "
                           f"({_dtype_name(bias._data.dtype)}) should be the same")


def _same_pads(kernel, dilation):
    """PyTorch's 'same': total ``d*(k-1)``, the odd extra element goes after (bottom/right)."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _conv_pads(padding, kernel, stride, dilation, ndim: int):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            return _same_pads(kernel, dilation)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of ('valid', 'same')")
    pads = _ntuple(padding, ndim, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError(f"negative padding is not supported, got {pads}")
    return tuple((p, p) for p in pads)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor = None, stride: IntOrPair = 1,
           padding: Union[IntOrPair, str] = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation). input (N, C, H, W) or (C, H, W); weight (OC, C/groups, KH, KW)."""
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got "
                           f"shape {list(weight.shape)}")
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if input.ndim != 4:
        raise InputShapeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                           f"{list(input.shape)}")
    _check_types(input, weight, bias)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"conv2d: stride and dilation must be positive, got stride={stride}, "
                           f"dilation={dilation}")
    oc, cg, kh, kw = weight.shape
    c = input.shape[1]
    if groups < 1 or oc % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if c != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {cg * groups} channels, but got {c} channels instead")
    if bias is not None and tuple(bias.shape) != (oc,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{oc} elements, but got bias of size {list(bias.shape)} instead")
    pads = _conv_pads(padding, (kh, kw), stride, dilation, 2)
    h, w = input.shape[2:]
    eff = (h + sum(pads[0]), w + sum(pads[1]))
    if eff[0] < dilation[0] * (kh - 1) + 1 or eff[1] < dilation[1] * (kw - 1) + 1:
        raise InputShapeError(f"Calculated padded input size per channel: ({eff[0]} x {eff[1]}). Kernel size: "
                           f"({dilation[0] * (kh - 1) + 1} x {dilation[1] * (kw - 1) + 1}). Kernel size can't be "
                           "greater than actual input size")
    return Conv2dFn.apply(input, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor = None, stride: IntOrPair = 1,
           padding: Union[IntOrPair, str] = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """1-D convolution. input (N, C, L) or (C, L); weight (OC, C/groups, K). Runs as conv2d with H = 1."""
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, kW), got "
                           f"shape {list(weight.shape)}")
    if input.ndim == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if input.ndim != 3:
        raise InputShapeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                           f"{list(input.shape)}")
    stride = _ntuple(stride, 1, "stride")[0]
    dilation = _ntuple(dilation, 1, "dilation")[0]
    if isinstance(padding, str):
        pad2 = padding
    else:
        pad2 = (0, _ntuple(padding, 1, "padding")[0])
    if isinstance(pad2, str) and pad2 == "same" and stride != 1:
        raise ValueError("padding='same' is not supported for strided convolutions")
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
                           f"{input.shape[1]} channels instead")
    if pad2 == "same":
        k = weight.shape[2]
        total = dilation * (k - 1)
        pads = ((0, 0), (total // 2, total - total // 2))
        _check_types(input, weight, bias)
        out = Conv2dFn.apply(input.unsqueeze(2), weight.unsqueeze(2), bias, stride=(1, 1), pads=pads,
                             dilation=(1, dilation), groups=groups)
    else:
        out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), pad2, (1, dilation), groups)
    return out.squeeze(2)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor = None, stride: IntOrPair = 1,
                     padding: IntOrPair = 0, output_padding: IntOrPair = 0, groups: int = 1,
                     dilation: IntOrPair = 1) -> Tensor:
    """Transposed 2-D convolution. input (N, C, H, W); weight (C, OC/groups, KH, KW).

    Output size ``(H-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1`` per spatial dim.
    """
    if weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 4-D weight (in_channels, out_channels/groups, kH, "
                           f"kW), got shape {list(weight.shape)}")
    if input.ndim == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    if input.ndim != 4:
        raise InputShapeError(f"Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input "
                           f"of size: {list(input.shape)}")
    _check_types(input, weight, bias)
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding, dilation = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    cin, ocg, kh, kw = weight.shape
    if input.shape[1] != cin or cin % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {cin} channels, but got {input.shape[1]} channels "
                           "instead")
    if bias is not None and tuple(bias.shape) != (ocg * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {ocg * groups} elements, but got bias of size {list(bias.shape)}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    h, w = input.shape[2:]
    full = tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip((h, w), stride, dilation, (kh, kw)))
    out_hw = tuple(f - 2 * p + op for f, p, op in zip(full, padding, output_padding))
    if min(out_hw) < 1:
        raise InputShapeError(f"conv_transpose2d: output size {out_hw} is too small for input {list(input.shape)}")
    # output_padding adds rows/cols past the windows' reach: grow the col2im canvas to cover them
    full = tuple(max(f, p + o) for f, p, o in zip(full, padding, out_hw))
    return ConvTranspose2dFn.apply(input, weight, bias, stride=stride, padding=padding, dilation=dilation,
                                   groups=groups, full_hw=full, out_hw=out_hw)


def _fold_geometry(spatial, kernel_size, dilation, padding, stride, op):
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    pads = tuple((p, p) for p in padding)
    out_hw = tuple(output_size(n, k, s, 2 * p, d) for n, k, s, p, d in zip(spatial, kernel, stride, padding,
                                                                             dilation))
    if min(out_hw) < 1:
        raise InputShapeError(f"{op}: given input spatial size {tuple(spatial)} with kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}: the calculated number of "
                           f"sliding blocks {out_hw} is too small (non-positive)")
    return dict(kernel=kernel, dilation=dilation, stride=stride, pads=pads, out_hw=out_hw)


def unfold(input: Tensor, kernel_size: IntOrPair, dilation: IntOrPair = 1, padding: IntOrPair = 0,
           stride: IntOrPair = 1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*KH*KW, L), L = number of sliding blocks (row-major over positions)."""
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 4:
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    geo = _fold_geometry(input.shape[2:], kernel_size, dilation, padding, stride, "unfold")
    return Unfold.apply(input, **geo)


def fold(input: Tensor, output_size: IntOrPair, kernel_size: IntOrPair, dilation: IntOrPair = 1,
         padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """col2im: (N, C*KH*KW, L) -> (N, C, H, W), summing overlapping block values."""
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 3:
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {input.ndim}D)")
    hw = _pair(output_size, "output_size")
    geo = _fold_geometry(hw, kernel_size, dilation, padding, stride, "fold")
    kk = geo["kernel"][0] * geo["kernel"][1]
    blocks = geo["out_hw"][0] * geo["out_hw"][1]
    if input.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={input.shape[1]} and kernel_size={geo['kernel']}")
    if input.shape[2] != blocks:
        raise RuntimeError(f"Given output_size={hw}, kernel_size={geo['kernel']}, dilation={geo['dilation']}, "
                           f"padding={tuple(p for p, _ in geo['pads'])}, stride={geo['stride']}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{geo['out_hw'][0]} * {geo['out_hw'][1]} = {blocks}, but got "
                           f"input.size(2)={input.shape[2]}.")
    padded = tuple(n + 2 * p for n, (p, _) in zip(hw, geo["pads"]))
    return Fold.apply(input, padded_hw=padded, **geo)
