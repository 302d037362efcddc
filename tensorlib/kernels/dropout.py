"""Dropout as a multiplicative mask kernel; the mask is drawn by the caller and kept as an attribute."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function

__all__ = ["NativeDropout"]


# ---------------------------------------------------------------------------------------------- dropout
class NativeDropout(Function):
    """``x * mask + shift``: dropout variants with a precomputed (already scaled) mask."""

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        out = x * self.mask
        if self.shift is not None:
            out += self.shift
        return out

    def backward(self, g):
        return g * self.mask

    def backward_tensors(self, g):
        return g * g._wrap(xp.asarray(self.mask, dtype=g._data.dtype))


_SELU_ALPHA_PRIME = 1.7580993408473766  # -scale * alpha of SELU
