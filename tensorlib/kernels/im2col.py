"""im2col/col2im: sliding-window patches of a padded image as columns and back (nn.Unfold / nn.Fold)."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ._adjoint import adjoint
from .conv import _crop, _zero_pad

__all__ = ["Im2Col", "Col2Im"]


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


# ------------------------------------------------------------------------------------------- unfold / fold
class Im2Col(Function):
    saves_inputs = False
    keeps_inputs = False

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

    def backward_tensors(self, grad):
        return adjoint(self, grad)


class Col2Im(Function):
    saves_inputs = False
    keeps_inputs = False

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

    def backward_tensors(self, grad):
        return adjoint(self, grad)
