"""Transposed 2-d convolution (the gradient of conv2d w.r.t. its input, used as a layer) on raw arrays."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ._adjoint import bilinear_backward
from .im2col import col2im, im2col

__all__ = ["ConvolutionTranspose"]


class ConvolutionTranspose(Function):
    """The adjoint of Convolution in ``x``: ``y = col2im(w^T @ x)``, cropped by ``padding``, plus bias."""

    def name(self) -> str:
        return "ConvolutionBackward0"  # PyTorch runs transposed convolution through the same op

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

    def backward_tensors(self, g):
        gx, gw = bilinear_backward(self, g)
        need = self.needs_input_grad
        return gx, gw, (g.sum(dim=(0, 2, 3)) if len(need) > 2 and need[2] else None)
