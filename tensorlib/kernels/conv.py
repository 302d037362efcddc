"""Convolution kernels: conv1d/conv2d/conv_transpose2d, unfold/fold (im2col/col2im) and mode padding.

NCHW at the API. ``Convolution`` works channels-first inside (see its docstring): BLAS GEMMs per group for
the forward pass (stride 1: the jit runtime's planned kernels) and for grad_weight, and for grad_input either
another planned convolution (stride 1, the full convolution with the flipped kernel) or a GEMM plus a col2im
loop over the KH*KW kernel offsets, each a strided add of one window slab (never ``np.add.at``), laid out so
that the adds run over long contiguous stretches (full-width rows, or the batch innermost for narrow outputs).
``im2col``/``col2im`` below are the NCHW versions used by unfold/fold and the transposed convolution."""

from __future__ import annotations

import threading
from typing import Sequence, Union

from .. import _threads
from .._backend import xp
from .._parallel import parallel_for
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


CHUNK_BYTES = 3 << 19  # window copy per batch chunk: stays in a core's 2 MB L2 while its GEMM reads it


# data per batch chunk of the offset-by-offset grad_weight, which copies no windows: 6 MB gives a ResNet-8 or
# ResNet-20 step on two threads 4% - 5% faster than 1.5 MB (fewer, longer NumPy calls, each of which hands the
# GIL back), and the same on one thread
OFFSET_CHUNK_BYTES = 6 << 20


# the same for a layer run serially: LeNet's first layer (a 6 x 25 weight) is 2x faster forward and backward
# with 512 KB chunks than with 1 - 3 MB ones (its GEMM then reads its columns from L2); its second layer and
# ResNet's serial layers are unchanged (measured 256 KB - 3 MB)
SERIAL_CHUNK_BYTES = 512 << 10


# convolutions with less GEMM work than this run their chunks serially with a BLAS-threaded GEMM: on LeNet's
# layers (17 and 30 MFLOP) the parallel regions' hand-offs cost more than the second core gives
PARALLEL_MIN_FLOPS = 40e6


SCRATCH_MAX_BYTES = 64 << 20  # reusable chunk buffers kept per thread


OFFSET_GRAD_MAX_PRODUCT = 32 * 32  # stride-1 grad_weight offset by offset up to these in x out channels


# the exact-window path keeps the batch innermost (long contiguous copies and col2im adds) from this batch
# size and up to this output width (measured on LeNet's 6->16 5x5 and ResNet's stride-2 layers)
BATCH_LAST_MIN_BATCH = 8


BATCH_LAST_MAX_WIDTH = 12


BATCH_LAST_GRAD_MAX_WIDTH = 16  # ... and stride-1 grad_weight of wide layers up to this output width


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
def _batch_last(x, pads):
    """``x`` (N, C, H, W) as a zero-padded (C, H', W', N) array: windows then copy in runs of OW*N or N."""
    n, c, h, w = x.shape
    (top, bottom), (left, right) = pads
    buf = xp.empty((c, h + top + bottom, w + left + right, n), dtype=x.dtype)
    if top or bottom or left or right:
        buf[...] = 0
    buf[:, top:top + h, left:left + w] = x.transpose(1, 2, 3, 0)
    return buf


def _pad_into(planes, src, top: int, left: int) -> None:
    """``planes`` (A, B, H', W') = ``src`` (A, B, H, W) at (top, left) with zero borders, in one pass over the
    memory (no zero-fill of the whole buffer first)."""
    h, w = src.shape[2:]
    planes[:, :, :top] = 0
    planes[:, :, top + h:] = 0
    planes[:, :, top:top + h, :left] = 0
    planes[:, :, top:top + h, left + w:] = 0
    planes[:, :, top:top + h, left:left + w] = src


def _pad_first_row(planes, src, image: int, top: int, left: int) -> None:
    """Write the first padded row of ``image`` (if any) exactly as ``_pad_into`` will: the windows of the chunk
    ending before it run up to the kernel span into that row (junk columns only; past a channel's last image,
    into the next channel's image 0), and must read finite values even when another thread has not filled the
    image yet. Both threads write the same bytes."""
    if image >= planes.shape[1]:
        return
    row = planes[:, image, 0]
    if top:
        row[...] = 0
        return
    w = src.shape[3]
    row[:, :left] = 0
    row[:, left + w:] = 0
    row[:, left:left + w] = src[:, image, 0]


def _rows_buffer(shape, pads, slack: int, dtype):
    """An unfilled flat channels-first buffer of an (N, C, H, W) input zero-padded by ``pads``, its spare tail zeroed.

    Returns ``(buffer, (C, N, H', W'), planes)`` with ``planes`` the (C, N, H', W') view that the caller fills
    (``_pad_into``) image chunk by image chunk. Rows are stored back to back, so a window offset ``(i, j)`` of
    all ``OH`` output rows is the single contiguous run ``[i*W' + j, i*W' + j + OH*W')`` of each (c, n) plane.
    """
    n, c, h, w = shape
    (top, bottom), (left, right) = pads
    hp, wp = h + top + bottom, w + left + right
    buf = xp.empty(c * n * hp * wp + slack, dtype=dtype)
    buf[c * n * hp * wp:] = 0
    return buf, (c, n, hp, wp), buf[:c * n * hp * wp].reshape(c, n, hp, wp)


def _row_windows(buf, shape, kernel, dilation, out_h: int, n0: int, n1: int):
    """Stride-1 im2col of images ``n0:n1`` of a ``_rows_buffer``: contiguous ``(C*KH*KW, n*OH*W')``.

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


def _offset_weight_grad(buf, shape, kernel, dilation, gck, n0: int, n1: int):
    """The grad_weight share (C*KH*KW, OC) of images ``n0:n1`` of a ``_rows_buffer`` and their gradient ``gck``
    (OC, n, OH, W') in full-width rows (zeros under the junk columns), without copying windows.

    Offset ``(i, j)`` of all output rows of a (c, image) plane is one contiguous run of the padded buffer, so
    per image and offset the product is ``g (OC, OH*W') @ x_ij (OH*W', C)`` with ``x_ij`` a strided view: one
    stacked matmul of KH*KW*n small GEMMs, summed over the images. For layers of at most 32x32 channels that is
    1.2x-2x faster than copying the C*KH*KW windows for one GEMM (measured on ResNet's 16- and 32-channel
    layers, its stem and LeNet's convolutions); with 64 channels it is slower."""
    c, n, hp, wp = shape
    (kh, kw), (dh, dw) = kernel, dilation
    m, oc, run, item = n1 - n0, gck.shape[0], gck.shape[2] * gck.shape[3], buf.itemsize
    windows = xp.lib.stride_tricks.as_strided(
        buf[n0 * hp * wp:], shape=(kh, kw, m, run, c),
        strides=(dh * wp * item, dw * item, hp * wp * item, item, n * hp * wp * item), writeable=False)
    products = xp.matmul(gck.transpose(1, 0, 2, 3).reshape(m, oc, run), windows)  # (KH, KW, n, OC, C)
    return products.sum(axis=2).transpose(3, 0, 1, 2).reshape(c * kh * kw, oc)


def _weight_grad(parts):
    """Sum of the chunks' transposed grad_weight shares (chunks, G, CG*KH*KW, OC/G), in chunk order (the same
    bits for any thread count), as (G, OC/G, CG*KH*KW). The shares are computed transposed, ``cols @ g.T``:
    OpenBLAS runs that 1.2x - 1.6x faster than ``g @ cols.T`` on these shapes (long K, narrow M and N)."""
    return parts.sum(axis=0).transpose(0, 2, 1)


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


class _IntraOpWorkers:
    """tensorlib's intra-op threads (``parallel_for``) behind the runtime's worker interface."""

    def __init__(self, threads: int):
        self.threads = threads

    def run(self, parts) -> None:
        parallel_for(len(parts), lambda i: parts[i]())


MAX_PLANS = 32  # convolution plans kept per thread (a network has few distinct layer geometries)


MAX_PLAN_BYTES = 128 << 20  # ... holding at most this much output buffer between them; a larger one is not kept


_plans_local = threading.local()


def _planned(x_shape, dtype, pads, dilation, w_shape, groups: int, bias: bool):
    """The runtime's stride-1 convolution plan for these sizes (``tensorlib.jit.runtime._conv_plan``), kept per
    thread and per thread count: a plan owns the buffers it computes in, so one thread uses it at a time, and
    every caller loads its weights into it before running it and copies the result out at once.

    It is the fastest convolution forward here (chunks sized for L2, a GEMM per image with OpenBLAS's unpacked
    small kernels, neighbouring rows sharing one zero gap): ResNet's 3x3 layers run 1.3x-1.6x faster than in the
    full-width-row chunks it replaces."""
    from ..jit import runtime  # imported on first use: ``tensorlib.jit`` imports the rest of the library

    threads = _threads.get_num_threads()
    pads, dilation = tuple(map(tuple, pads)), tuple(dilation)
    key = (tuple(x_shape), xp.dtype(dtype).str, pads, dilation, tuple(w_shape), groups, bias, threads)
    plans = getattr(_plans_local, "plans", None)
    if plans is None:
        plans, _plans_local.contexts, _plans_local.sizes = {}, {}, {}
        _plans_local.plans = plans
    plan = plans.get(key)
    if plan is None:
        n, _, h, w = x_shape
        (top, bottom), (left, right) = pads
        size = n * w_shape[0] * (h + top + bottom) * (w + left + right) * xp.dtype(dtype).itemsize  # its output
        if len(plans) >= MAX_PLANS or sum(_plans_local.sizes.values()) + size > MAX_PLAN_BYTES:
            plans.clear()
            _plans_local.sizes.clear()
        context = _plans_local.contexts.get(threads)
        if context is None:  # one per thread count: its plans share their scratch buffers
            workers = _IntraOpWorkers(threads) if threads > 1 else None
            context = _plans_local.contexts[threads] = runtime._Context(threads, workers=workers)
        oc, cg, kh, kw = w_shape
        weight = xp.zeros((groups, oc // groups, cg * kh * kw), dtype=dtype)
        plan = runtime._conv_plan(tuple(x_shape), dtype, pads, (1, 1), dilation, (kh, kw), weight,
                                  xp.zeros((groups, oc // groups, 1), dtype=dtype) if bias else None, None, context)
        if size <= MAX_PLAN_BYTES:  # e.g. one evaluation over a whole test set: its buffers go with it
            plans[key], _plans_local.sizes[key] = plan, size
    return plan


def _run_planned(x, w, b, pads, dilation, groups: int):
    """Stride-1 ``conv2d(x, w) + b`` through a ``_planned`` runtime plan: an (N, OC, OH, OW) view of a fresh
    channels-first (OC, N, OH, OW) array (the layout the elementwise ops and the next convolution read well)."""
    oc, cg, kh, kw = w.shape
    plan = _planned(x.shape, x.dtype, pads, dilation, w.shape, groups, b is not None)
    plan.load_weight(w.reshape(groups, oc // groups, cg * kh * kw), None if b is None else b.reshape(groups, -1, 1))
    n, _, h, w_ = x.shape
    (top, bottom), (left, right) = pads
    (dh, dw) = dilation
    out = xp.empty((oc, n, h + top + bottom - dh * (kh - 1), w_ + left + right - dw * (kw - 1)), dtype=x.dtype)
    return plan(x, into=out.transpose(1, 0, 2, 3))


def _batch_chunks(n: int, bytes_per_image: int, serial: bool = False, chunk_bytes: int = 0):
    """Split the batch into near-equal chunks whose window copy stays cache-sized (measured: 2x faster than one
    big copy; ``chunk_bytes`` instead of ``CHUNK_BYTES`` when set), two at least so that both cores work, and an
    even number when they are few;
    a ``serial`` layer takes chunks of ``SERIAL_CHUNK_BYTES`` in order (LeNet's layers: faster than the
    parallel split).

    The split depends on the sizes only, never on the thread count (so neither do the results' bits)."""
    if serial:
        step = max(1, min(n, SERIAL_CHUNK_BYTES // max(bytes_per_image, 1)))
        return [(start, min(n, start + step)) for start in range(0, n, step)]
    count = min(n, max(2, -(-n * bytes_per_image // (chunk_bytes or CHUNK_BYTES))))
    # an odd count below 8 drops to the even one below, so two threads get equal shares (3 chunks gave one thread 1
    # and the other 2: a third of the region waited). Not up: every chunk holds a grad_weight part (VGG-11/2 +10 MB
    # peak RSS with 4 chunks instead of 3); from 8 on, an odd count costs at most 1/8 of the region
    count -= count % 2 if 3 <= count < min(n, 8) else 0
    return [(n * k // count, n * (k + 1) // count) for k in range(count)]


class Convolution(Function):
    """``y = conv2d(x, w) + b`` with zero padding ``pads`` = ((top, bottom), (left, right)) and groups.

    Channels-first inside: windows are copied as ``cols`` (C*KH*KW, n*OH*OW'), so each product is one GEMM
    ``(OC, CKK) @ (CKK, n*L)`` per group (groups are a batch dim of the matmul). The batch is worked through in
    cache-sized chunks, each padded, copied and multiplied end to end by one thread (``parallel_for``: copies
    and GEMMs then run on every core, and a chunk's data stays in its core's cache). Stride-1 convolutions run
    the jit runtime's plans (``_planned``: full-width rows, a GEMM per image), keeping only their input; their
    backward reads the windows again (in place or re-copied, see ``_backward_rows``) and computes grad_input as
    the full convolution of the gradient with the flipped kernel, another plan (or a run-wise col2im when that
    would mostly multiply padding). Others copy exact windows
    once and scatter grad_input back with a loop over the KH*KW kernel offsets; for narrow outputs (LeNet's
    10x10, ResNet's stride-2 8x8) the windows are (C*KH*KW, OH*OW*N) with the batch innermost, so the copies
    and col2im adds run over OW*N contiguous elements instead of OW (chunks of output rows there).
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
        (sh, sw), (dh, dw) = self.stride, self.dilation
        oh = output_size(h, kh, sh, sum(self.pads[0]), dh)
        ow = output_size(wd, kw, sw, sum(self.pads[1]), dw)
        # full-width rows cost (W'/OW - 1) extra GEMM work; worth it while that stays small
        self.rows = sh == 1 and sw == 1 and (wd + sum(self.pads[1])) <= ROWS_MAX_WIDENING * ow
        # batch-innermost windows pay two transposing copies (input, output) to lengthen every copy's/add's
        # contiguous runs from OW to OW*N: a win for narrow outputs of multi-offset kernels only
        self.batch_last = (not self.rows and n >= BATCH_LAST_MIN_BATCH and ow <= BATCH_LAST_MAX_WIDTH
                           and kh * kw > 1)
        self.w, self.w_shape, self.x_shape = w, w.shape, x.shape
        self.serial = 2 * oc * cg * kh * kw * n * oh * ow < PARALLEL_MIN_FLOPS
        if self.rows:
            self.x = x  # backward re-copies its windows
            return _run_planned(x, w, b, self.pads, self.dilation, self.groups)
        wg = w.reshape(self.groups, oc // self.groups, cg * kh * kw)
        out = self._forward_windows(x, wg, oh, ow)
        if b is not None:
            out += b.reshape(oc, 1, 1, 1)
        return out.transpose(1, 0, 2, 3)

    def _forward_windows(self, x, wg, oh: int, ow: int):
        """Exact-window forward: ``cols`` (G, CG*KH*KW, n*OH*OW) in the column order (N, OH, OW), or (OH, OW, N)
        when ``batch_last``; padded, copied and multiplied in cache-sized chunks of images (of output rows when
        the batch is innermost). Returns (OC, N, OH, OW)."""
        n, c = x.shape[:2]
        oc, cg, kh, kw = self.w_shape
        g = self.groups
        (sh, sw), (dh, dw) = self.stride, self.dilation
        (top, bottom), (left, right) = self.pads
        xt = x.transpose(1, 0, 2, 3)
        padded = bool(top or bottom or left or right)
        if self.batch_last:
            xl = _batch_last(x, self.pads)
            s_c, s_h, s_w, s_n = xl.strides
            windows = xp.lib.stride_tricks.as_strided(
                xl, shape=(c, kh, kw, oh, ow, n), strides=(s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw, s_n),
                writeable=False)
            split, unit = oh, ow * n
        else:
            xc = xp.empty((c, n, x.shape[2] + top + bottom, x.shape[3] + left + right), x.dtype) if padded else xt
            s_c, s_n, s_h, s_w = xc.strides
            windows = xp.lib.stride_tricks.as_strided(
                xc, shape=(c, kh, kw, n, oh, ow), strides=(s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
                writeable=False)
            split, unit = n, oh * ow
        cols = xp.empty(windows.shape, dtype=x.dtype)
        cols2d = cols.reshape(g, cg * kh * kw, split * unit)
        chunks = [(0, split)] if self.serial else _batch_chunks(split, c * kh * kw * unit * x.itemsize)
        result = xp.empty((g, oc // g, split * unit), dtype=x.dtype)  # in the column order of ``cols``
        out = result.reshape(oc, n, oh, ow)
        if self.batch_last:
            out = xp.empty((oc, n, oh, ow), dtype=x.dtype)
            result_rows = result.reshape(oc, oh, ow, n)

        def chunk_forward(k: int) -> None:
            a0, a1 = chunks[k]
            if padded and not self.batch_last:
                _pad_into(xc[:, a0:a1], xt[:, a0:a1], top, left)
            xp.copyto(cols[:, :, :, a0:a1], windows[:, :, :, a0:a1])
            xp.matmul(wg, cols2d[:, :, a0 * unit:a1 * unit], out=result[:, :, a0 * unit:a1 * unit])
            if self.batch_last:
                out[:, :, a0:a1] = result_rows[:, a0:a1].transpose(0, 3, 1, 2)

        parallel_for(len(chunks), chunk_forward, self.serial)
        self.cols, self.chunks, self.unit = cols2d, chunks, unit
        return out

    def backward(self, grad):
        if self.depthwise:
            return _depthwise.backward(self, grad)
        need = self.needs_input_grad
        need_b = len(need) > 2 and need[2]
        if self.rows:
            gx, gw, gb = self._backward_rows(grad, need[0], need[1], need_b)
        elif self.batch_last:
            gx, gw, gb = self._backward_batch_last(grad, need[0], need[1], need_b)
        else:
            gx, gw, gb = self._backward_channels_first(grad, need[0], need[1], need_b)
        if gw is not None:
            gw = gw.reshape(self.w_shape)
        return gx, gw, gb

    def _full_conv_pads(self, grad_shape):
        """Padding of the gradient for grad_input as a full convolution with the flipped kernel, or None when
        that route would mostly multiply padding (a large kernel with little padding)."""
        oc, cg, kh, kw = self.w_shape
        (dh, dw) = self.dilation
        (top, bottom), (left, right) = self.pads
        span_h, span_w = dh * (kh - 1), dw * (kw - 1)
        n, c, h, wd = self.x_shape
        full_area = (h + 2 * span_h - top - bottom) * (wd + 2 * span_w - left - right)
        if (max(top, bottom) <= span_h and max(left, right) <= span_w
                and oc * full_area <= FULL_CONV_MAX_RATIO * c * grad_shape[2] * grad_shape[3]):
            return (span_h - top, span_h - bottom), (span_w - left, span_w - right)
        return None

    def _backward_rows(self, grad, need_x: bool, need_w: bool, need_b: bool):
        """Backward of the stride-1 forward. grad_weight and grad_bias chunk by chunk of images on the threads:
        the chunk's gradient in full-width rows (zeros under the junk columns) times its input's windows, read in
        place offset by offset for narrow layers (``_offset_weight_grad``), re-copied for wide ones (as exact
        batch-innermost windows for small images, ``_batch_last_weight_grad``). grad_input is
        the full convolution of the gradient with the flipped kernel (a ``_planned`` stride-1 convolution), or a
        run-wise col2im when that would mostly multiply padding. Unpadded 1x1 layers: ``_pointwise_backward``."""
        n, oc, oh, ow = grad.shape
        _, cg, kh, kw = self.w_shape
        g, (dh, dw) = self.groups, self.dilation
        (top, _), (left, _) = self.pads
        if kh == kw == 1 and not any(self.pads[0]) and not any(self.pads[1]):
            return self._pointwise_backward(grad, need_x, need_w, need_b)
        ckk = cg * kh * kw
        c = self.x_shape[1]
        full_pads = self._full_conv_pads(grad.shape) if need_x else None
        col2im = need_x and full_pads is None
        gx = gw = gb = None
        # narrow layers take grad_weight offset by offset, straight from the padded input (no window copy); wide
        # layers of small images from exact windows with the batch innermost (no junk columns to multiply)
        by_offset = need_w and g == 1 and oc * c <= OFFSET_GRAD_MAX_PRODUCT
        batch_last_w = (need_w and not by_offset and ow <= BATCH_LAST_GRAD_MAX_WIDTH
                        and n >= BATCH_LAST_MIN_BATCH)
        if batch_last_w:
            gw = self._batch_last_weight_grad(grad)
        rows_w = need_w and not batch_last_w  # grad_weight in the chunk loop below
        if rows_w or need_b or col2im:
            buf, shape, planes = _rows_buffer(self.x_shape, self.pads, dw * (kw - 1), grad.dtype)
            _, _, hp, width = shape
            xt = self.x.transpose(1, 0, 2, 3)
            if by_offset:  # no windows to keep in cache: larger chunks, fewer calls
                chunks = _batch_chunks(n, (c * hp * width + oc * oh * width + kh * kw * oc * c) * grad.itemsize,
                                       self.serial, OFFSET_CHUNK_BYTES)
            else:
                chunks = _batch_chunks(n, c * kh * kw * oh * width * grad.itemsize, self.serial)
            gc = xp.empty((oc, n, oh, width), dtype=grad.dtype)
            grad_t = grad.transpose(1, 0, 2, 3)
            if rows_w:
                _pad_first_row(planes, xt, 0, top, left)  # read past the last image of each channel plane
            gw_parts = xp.empty((len(chunks), g, ckk, oc // g), dtype=grad.dtype) if rows_w else None  # transposed
            gb_parts = xp.empty((len(chunks), oc), dtype=grad.dtype) if need_b else None

            def chunk_backward(k: int) -> None:
                n0, n1 = chunks[k]
                gck = gc[:, n0:n1]
                _pad_into(gck, grad_t[:, n0:n1], 0, 0)
                if need_b:
                    gb_parts[k] = gck.sum(axis=(1, 2, 3))
                if rows_w:
                    # windows of the chunk's last image run into the next image's first row (possibly being
                    # filled by another thread): junk columns only, which multiply the gradient's zeros
                    _pad_into(planes[:, n0:n1], xt[:, n0:n1], top, left)
                    _pad_first_row(planes, xt, n1, top, left)
                    if by_offset:
                        gw_parts[k, 0] = _offset_weight_grad(buf, shape, (kh, kw), (dh, dw), gck, n0, n1)
                        return
                    cols = _row_windows(buf, shape, (kh, kw), (dh, dw), oh, n0, n1)
                    xp.matmul(cols.reshape(g, ckk, -1), gck.reshape(g, oc // g, -1).transpose(0, 2, 1),
                              out=gw_parts[k])

            parallel_for(len(chunks), chunk_backward, self.serial)
            # chunk partials summed in chunk order: the same bits for any thread count
            gw = gw if gw_parts is None else _weight_grad(gw_parts)
            gb = None if gb_parts is None else gb_parts.sum(axis=0)
            if col2im:
                wt = self.w.reshape(g, oc // g, ckk).transpose(0, 2, 1)
                gx = self._col2im_rows(wt, gc, shape).transpose(1, 0, 2, 3)
        if full_pads is not None:
            flipped = self.w[:, :, ::-1, ::-1].reshape(g, oc // g, cg, kh, kw).transpose(0, 2, 1, 3, 4)
            flipped = flipped.reshape(g * cg, oc // g, kh, kw)
            gx = _run_planned(grad, flipped, None, full_pads, self.dilation, g)
        return gx, gw, gb

    def _batch_last_weight_grad(self, grad):
        """grad_weight (G, OC/G, CG*KH*KW) from exact windows with the batch innermost, (C*KH*KW, OH*OW*N), by
        chunks of output rows on the threads: every window copy is a run of OW*N elements and the GEMM multiplies
        no junk columns. For small images of wide layers (ResNet's and VGG's 8x8 and 16x16) that is 12% - 28%
        faster than the full-width rows, which carry W' - OW junk columns per row."""
        n, oc, oh, ow = grad.shape
        _, cg, kh, kw = self.w_shape
        c, g = self.x_shape[1], self.groups
        (dh, dw), ckk = self.dilation, cg * kh * kw
        xl = _batch_last(self.x, self.pads)
        s_c, s_h, s_w, s_n = xl.strides
        windows = xp.lib.stride_tricks.as_strided(
            xl, shape=(c, kh, kw, oh, ow, n), strides=(s_c, s_h * dh, s_w * dw, s_h, s_w, s_n), writeable=False)
        gl = xp.empty((oc, oh, ow, n), dtype=grad.dtype)
        gl[...] = grad.transpose(1, 2, 3, 0)
        unit = ow * n
        chunks = _batch_chunks(oh, c * kh * kw * unit * grad.itemsize, self.serial)
        parts = xp.empty((len(chunks), g, ckk, oc // g), dtype=grad.dtype)  # transposed, as _weight_grad sums

        def rows_weight_grad(k: int) -> None:
            a0, a1 = chunks[k]
            cols = _scratch((c, kh, kw, a1 - a0, ow, n), grad.dtype)
            xp.copyto(cols, windows[:, :, :, a0:a1])
            xp.matmul(cols.reshape(g, ckk, -1), gl[:, a0:a1].reshape(g, oc // g, -1).transpose(0, 2, 1),
                      out=parts[k])

        parallel_for(len(chunks), rows_weight_grad, self.serial)
        return _weight_grad(parts)

    def _pointwise_backward(self, grad, need_x: bool, need_w: bool, need_b: bool):
        """Backward of an unpadded 1x1 stride-1 convolution, whose input is its own window matrix: one GEMM per
        gradient over channels-first views (no copies when both arrays are channels-first in memory, as
        convolution and batch-norm outputs are). grad_input is (N, C, H, W) in (C, N, H, W) memory."""
        n, oc, oh, ow = grad.shape
        c, g = self.x_shape[1], self.groups
        g2 = grad.transpose(1, 0, 2, 3).reshape(g, oc // g, n * oh * ow)
        gx = gw = gb = None
        if need_x:
            wt = self.w.reshape(g, oc // g, c // g).transpose(0, 2, 1)
            gx = xp.matmul(wt, g2).reshape(c, n, oh, ow).transpose(1, 0, 2, 3)
        if need_w:
            x2 = self.x.transpose(1, 0, 2, 3).reshape(g, c // g, n * oh * ow)
            gw = xp.matmul(x2, g2.transpose(0, 2, 1)).transpose(0, 2, 1)  # transposed: see _weight_grad
        if need_b:
            gb = g2.reshape(oc, -1).sum(axis=1)
        return gx, gw, gb

    def _backward_channels_first(self, grad, need_x: bool, need_w: bool, need_b: bool):
        """Backward of the exact windows in image order, chunk by chunk of images on the threads: the chunk's
        gradient, its grad_weight and grad_bias shares, and its images' grad_input (col2im)."""
        n, oc, oh, ow = grad.shape
        _, cg, kh, kw = self.w_shape
        g, chunks, unit = self.groups, self.chunks, self.unit
        (sh, sw), (dh, dw) = self.stride, self.dilation
        (top, bottom), (left, right) = self.pads
        c, h, wd = self.x_shape[1:]
        hp, wp = h + top + bottom, wd + left + right
        ckk = cg * kh * kw
        grad_t = grad.transpose(1, 0, 2, 3)
        # a gradient in (OC, N, OH, OW) memory (a batch norm's or ReLU's after a convolution) is used as is
        copy_grad = not grad_t.flags.c_contiguous
        gc2d = (xp.empty((g, oc // g, n * unit), dtype=grad.dtype) if copy_grad
                else grad_t.reshape(g, oc // g, n * unit))
        gc = gc2d.reshape(oc, n, oh, ow)
        # windows that never overlap (a strided 1x1) land on disjoint positions: assigned, not added
        disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
        wt = self.w.reshape(g, oc // g, ckk).transpose(0, 2, 1)
        gw_parts = xp.empty((len(chunks), g, ckk, oc // g), dtype=grad.dtype) if need_w else None  # transposed
        gb_parts = xp.empty((len(chunks), oc), dtype=grad.dtype) if need_b else None
        dx = xp.empty((c, n, hp, wp), dtype=grad.dtype) if need_x else None

        def chunk_backward(k: int) -> None:
            n0, n1 = chunks[k]
            span = slice(n0 * unit, n1 * unit)
            if copy_grad:
                gc[:, n0:n1] = grad_t[:, n0:n1]
            if need_b:
                gb_parts[k] = gc[:, n0:n1].sum(axis=(1, 2, 3))
            if need_w:
                xp.matmul(self.cols[:, :, span], gc2d[:, :, span].transpose(0, 2, 1), out=gw_parts[k])
            if need_x:
                dcols = xp.matmul(wt, gc2d[:, :, span]).reshape(c, kh, kw, n1 - n0, oh, ow)
                part = dx[:, n0:n1]
                part[...] = 0
                for i in range(kh):
                    rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
                    for j in range(kw):
                        target = part[:, :, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw]
                        if disjoint:
                            target[...] = dcols[:, i, j]
                        else:
                            target += dcols[:, i, j]

        parallel_for(len(chunks), chunk_backward, self.serial)
        gx = None if dx is None else dx[:, :, top:hp - bottom, left:wp - right].transpose(1, 0, 2, 3)
        return (gx, None if gw_parts is None else _weight_grad(gw_parts),
                None if gb_parts is None else gb_parts.sum(axis=0))

    def _backward_batch_last(self, grad, need_x: bool, need_w: bool, need_b: bool):
        """Backward of the batch-innermost windows: grad_weight and grad_bias shares by chunks of output rows,
        then grad_input by blocks of channels (windows of neighbouring rows overlap; channels do not)."""
        n, oc, oh, ow = grad.shape
        _, cg, kh, kw = self.w_shape
        g, chunks, unit = self.groups, self.chunks, self.unit
        ckk = cg * kh * kw
        gc = xp.empty((oc, oh, ow, n), dtype=grad.dtype)  # the column order of the cols
        gc2d = gc.reshape(g, oc // g, oh * unit)
        grad_t = grad.transpose(1, 2, 3, 0)
        gw_parts = xp.empty((len(chunks), g, ckk, oc // g), dtype=grad.dtype) if need_w else None  # transposed
        gb_parts = xp.empty((len(chunks), oc), dtype=grad.dtype) if need_b else None

        def chunk_backward(k: int) -> None:
            a0, a1 = chunks[k]
            gc[:, a0:a1] = grad_t[:, a0:a1]
            if need_b:
                gb_parts[k] = gc[:, a0:a1].sum(axis=(1, 2, 3))
            if need_w:
                span = slice(a0 * unit, a1 * unit)
                xp.matmul(self.cols[:, :, span], gc2d[:, :, span].transpose(0, 2, 1), out=gw_parts[k])

        parallel_for(len(chunks), chunk_backward, self.serial)
        gx = None
        if need_x:
            wt = self.w.reshape(g, oc // g, ckk).transpose(0, 2, 1)
            gx = self._col2im_batch_last(wt, gc2d)
        return (gx, None if gw_parts is None else _weight_grad(gw_parts),
                None if gb_parts is None else gb_parts.sum(axis=0))

    def _col2im_rows(self, wt, gc, shape):
        """grad_input (C, N, H, W) of a full-width-row convolution: window gradients ``wt @ gc`` summed back into
        the padded input of ``shape`` (C, N, H', W').

        The adjoint of ``_row_windows``: offset ``(i, j)`` adds one contiguous run of OH*W' elements per
        (c, n) plane. The junk columns are exactly zero (``gc`` is zero under them), so the runs may spill into
        the next row or plane (or the buffer's slack) harmlessly; long runs keep the adds fast.
        """
        c, n, hp, wp = shape
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

    def _col2im_batch_last(self, wt, gc2d):
        """grad_input of the batch-innermost windows: ``wt @ gc`` window gradients (C, KH, KW, OH, OW, N) summed
        into the input; returns (N, C, H, W) in (C, N, H, W) memory.

        With the batch innermost every offset's add runs over OW*N (stride 1) or N contiguous elements instead
        of OW, which is what makes this col2im fast for small images. Windows of neighbouring output rows
        overlap, so the threads split the channels (blocks within a group), not the rows."""
        oc, cg, kh, kw = self.w_shape
        n, c, h, wd = self.x_shape
        oh, ow = self.cols.shape[2] // self.unit, self.unit // n
        (sh, sw), (dh, dw) = self.stride, self.dilation
        (top, bottom), (left, right) = self.pads
        per_group = min(cg, 4) if self.groups == 1 and not self.serial else 1
        blocks = [(gi, gi * cg + cg * k // per_group, gi * cg + cg * (k + 1) // per_group)
                  for gi in range(self.groups) for k in range(per_group)]
        out = xp.empty((c, h + top + bottom, wd + left + right, n), dtype=gc2d.dtype)
        dx = xp.empty((c, n, h, wd), dtype=gc2d.dtype)

        def block_col2im(k: int) -> None:
            gi, c0, c1 = blocks[k]
            rows = wt[gi, (c0 - gi * cg) * kh * kw:(c1 - gi * cg) * kh * kw]
            dcols = xp.matmul(rows, gc2d[gi]).reshape(c1 - c0, kh, kw, oh, ow, n)
            part = out[c0:c1]
            part[...] = 0
            for i in range(kh):
                span = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
                for j in range(kw):
                    part[:, span, j * dw:j * dw + sw * (ow - 1) + 1:sw] += dcols[:, i, j]
            dx[c0:c1] = part[:, top:top + h, left:left + wd].transpose(0, 3, 1, 2)

        parallel_for(len(blocks), block_col2im, self.serial)
        return dx.transpose(1, 0, 2, 3)

    def backward_tensors(self, g):
        gx, gw = bilinear_backward(self, g)
        need = self.needs_input_grad
        return gx, gw, (g.sum(dim=(0, 2, 3)) if len(need) > 2 and need[2] else None)


# --------------------------------------------------------------------------------------------- public API
