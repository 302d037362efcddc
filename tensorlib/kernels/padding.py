"""Padding kernels: constant padding, and reflect/replicate/circular padding as one index-gather kernel."""

from __future__ import annotations

from .._backend import xp
from ..autograd.function import Function
from ._adjoint import adjoint

__all__ = ["ConstantPadNd", "ModePad"]

# ---------------------------------------------------------------------------------------------- pad
_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class ConstantPadNd(Function):
    """Constant padding (negative amounts crop); backward crops the gradient back (and zero-pads cropped parts)."""

    saves_inputs = False
    keeps_inputs = False

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

    def backward_tensors(self, g):
        return adjoint(self, g, value=0)


class ModePad(Function):
    """Reflect/replicate/circular padding as a per-axis gather; backward is the per-axis scatter-add.

    ``pairs`` holds ``(axis, before, after)`` per padded axis (negative amounts crop). Forward keeps, per axis,
    the source index of every output position for the backward scatter.
    """

    saves_inputs = False
    keeps_inputs = False
    _NAMES = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}

    def name(self) -> str:
        return f"{self._NAMES[self.mode]}{len(self.pairs)}DBackward0"

    def forward(self, x):
        self.in_shape = x.shape
        self.sources = []
        for axis, before, after in self.pairs:
            if before or after:
                n = x.shape[axis]
                middle = n - max(-before, 0) - max(-after, 0)
                source = _source_indices(n, before, after, self.mode, axis, x.shape)
                self.sources.append((axis, source, (max(before, 0), max(-before, 0), middle)))
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

    def backward_tensors(self, g):
        return adjoint(self, g)


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
