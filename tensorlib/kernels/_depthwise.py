"""Depthwise convolution (``groups == in_channels``, one input channel per group) without im2col or GEMM.

``Convolution`` dispatches here (see ``applies``); the functions take the ``Convolution`` node as ``op`` and
keep their state on it, so ``grad_fn`` stays ``ConvolutionBackward0`` and the bilinear double backward of
``_adjoint.py`` works unchanged. ``OC = k * C`` output channels (channel multiplier ``k``): output channel
``c * k + m`` convolves input channel ``c`` with its own KHxKW filter.

The forward is a sum over the KH*KW kernel offsets of (shifted window slab) * (per-channel weight): whole-array
multiply-adds, no window copy and no GEMM (a depthwise GEMM is a batch of C (k, KH*KW) @ (KH*KW, N*OH*OW)
products, all copy and no arithmetic). grad_input is the adjoint (each offset's ``grad * weight`` added back
into its window slab), grad_weight one ``einsum`` reduction of ``grad * window`` per offset.
The zero-padded input is laid out batch-innermost, (C, H', W', N): a window slab then reads runs of OW*N (stride 1)
or N contiguous elements rather than OW, which is what keeps the late 8x8 ... 2x2 layers fast. The work goes
through the channels in blocks of about ``BLOCK_ELEMENTS`` outputs, so the KH*KW passes over one block stay in
cache instead of streaming the whole activation KH*KW times; the blocks of large layers run on the intra-op
threads (each writes its own channels: the same bits for any thread count).
"""

from __future__ import annotations

from .._backend import xp
from .._parallel import parallel_for
from .._threads import get_num_threads

__all__ = ["applies", "forward", "backward"]


BLOCK_ELEMENTS = 1 << 15  # outputs per channel block: a block's passes (window, product, sum) fit in L2


PARALLEL_MIN_ELEMENTS = 1 << 17  # layers with this many outputs spread their channel blocks over the threads


# ... in blocks this large: fewer, longer NumPy calls hold the GIL less often (MobileNetV2's 96-channel 32x32
# layer on two threads: 41.6 against 50.5 ms forward + backward; on one thread the smaller blocks stay faster)
PARALLEL_BLOCK_ELEMENTS = 1 << 17


def _schedule(c: int, per_channel: int, outputs: int):
    """(channel blocks, serial): a block's channels are computed exactly as in any other blocking, so neither
    the blocks nor the thread count change the results' bits."""
    serial = outputs < PARALLEL_MIN_ELEMENTS or get_num_threads() < 2
    size = BLOCK_ELEMENTS if serial else PARALLEL_BLOCK_ELEMENTS
    step = max(1, min(c, size // max(per_channel, 1)))
    return [(start, min(c, start + step)) for start in range(0, c, step)], serial


def applies(x_shape, w_shape, groups: int) -> bool:
    """True for a depthwise convolution: every group has one input channel (any channel multiplier)."""
    return groups > 1 and groups == x_shape[1] and w_shape[1] == 1


def _geometry(op):
    """Output size and, per kernel offset, its index and the (rows, cols) slices of its window slab."""
    h, wd = op.x_shape[2:]
    kh, kw = op.w.shape[2:]
    (sh, sw), (dh, dw) = op.stride, op.dilation
    oh = (h + sum(op.pads[0]) - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + sum(op.pads[1]) - dw * (kw - 1) - 1) // sw + 1
    rows = [slice(i * dh, i * dh + sh * (oh - 1) + 1, sh) for i in range(kh)]
    cols = [slice(j * dw, j * dw + sw * (ow - 1) + 1, sw) for j in range(kw)]
    offsets = [(i * kw + j, rows[i], cols[j]) for i in range(kh) for j in range(kw)]
    return oh, ow, offsets


def _padded(x, pads):
    """``x`` (N, C, H, W) zero-padded, batch innermost: (C, H', W', N)."""
    n, c, h, wd = x.shape
    (top, bottom), (left, right) = pads
    padded = xp.zeros((c, h + top + bottom, wd + left + right, n), dtype=x.dtype)
    padded[:, top:top + h, left:left + wd] = x.transpose(1, 2, 3, 0)
    return padded


def forward(op, x, w, b):
    """``conv2d(x, w, b)`` for depthwise ``w`` (k*C, 1, KH, KW): (N, k*C, OH, OW) in (k*C, N, OH, OW) memory."""
    n, c = x.shape[:2]
    oc = w.shape[0]
    k = oc // c
    # backward re-pads x (the array autograd keeps anyway) rather than keeping the padded copy: one more pass,
    # but a depthwise layer's input is MobileNet's largest activation (the expanded one), held once, not twice
    op.w, op.x_shape, op.dw_x = w, x.shape, x
    padded = _padded(x, op.pads)
    oh, ow, offsets = _geometry(op)
    weights = w.reshape(c, k, -1)[..., None, None, None]  # (C, k, KH*KW, 1, 1, 1): broadcasts over (OH, OW, N)
    acc = xp.empty((c, k, oh, ow, n), dtype=x.dtype)
    blocks, serial = _schedule(c, k * oh * ow * n, acc.size)

    def block_forward(b: int) -> None:
        c0, c1 = blocks[b]
        part = acc[c0:c1]
        t = xp.empty_like(part)
        for index, rows, cols in offsets:
            window = padded[c0:c1, None, rows, cols]
            if index == 0:
                xp.multiply(window, weights[c0:c1, :, index], out=part)
            else:
                xp.multiply(window, weights[c0:c1, :, index], out=t)
                part += t

    parallel_for(len(blocks), block_forward, serial)
    out = xp.empty((oc, n, oh, ow), dtype=x.dtype)
    out[...] = acc.reshape(oc, oh, ow, n).transpose(0, 3, 1, 2)
    if b is not None:
        out += b.reshape(oc, 1, 1, 1)
    return out.transpose(1, 0, 2, 3)


def backward(op, grad):
    """``(grad_input, grad_weight, grad_bias)`` (None where not needed) of a depthwise ``forward``."""
    n, oc, oh, ow = grad.shape
    c, h, wd = op.x_shape[1:]
    k = oc // c
    need = op.needs_input_grad
    want_x, want_w = need[0], need[1]
    _, _, offsets = _geometry(op)
    gc = xp.empty((oc, oh, ow, n), dtype=grad.dtype)  # the gradient in the layout of the window slabs
    gc[...] = grad.transpose(1, 2, 3, 0)
    gc = gc.reshape(c, k, oh, ow, n)
    padded = _padded(op.dw_x, op.pads) if want_w else None
    weights = op.w.reshape(c, k, -1)[..., None, None, None]
    gw = xp.empty((c, k, len(offsets)), dtype=grad.dtype) if want_w else None
    (top, bottom), (left, right) = op.pads
    padded_shape = (c, h + top + bottom, wd + left + right, n)
    gp = xp.zeros(padded_shape, dtype=grad.dtype) if want_x else None  # grad of the padded input
    blocks, serial = _schedule(c, k * oh * ow * n, gc.size)

    def block_backward(b: int) -> None:
        c0, c1 = blocks[b]
        g = gc[c0:c1]
        t = xp.empty_like(g) if want_x else None
        for index, rows, cols in offsets:
            if want_w:  # one pass, no product array (2-3x faster than multiply + sum)
                gw[c0:c1, :, index] = xp.einsum("ckhwn,chwn->ck", g, padded[c0:c1, rows, cols])
            if want_x:
                xp.multiply(g, weights[c0:c1, :, index], out=t)
                gp[c0:c1, rows, cols] += t[:, 0] if k == 1 else t.sum(axis=1)

    parallel_for(len(blocks), block_backward, serial)
    gx = gb = None
    if want_w:
        gw = gw.reshape(op.w.shape)
    if want_x:
        gx = xp.empty((c, n, h, wd), dtype=grad.dtype)
        gx[...] = gp[:, top:top + h, left:left + wd].transpose(0, 3, 1, 2)
        gx = gx.transpose(1, 0, 2, 3)
    if len(need) > 2 and need[2]:
        gb = gc.reshape(oc, -1).sum(axis=1)
    return gx, gw, gb
