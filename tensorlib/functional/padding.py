"""Padding (Tensor level): constant, reflect, replicate and circular."""

from __future__ import annotations

from typing import Optional, Sequence

from ..kernels.padding import ConstantPadNd, ModePad
from ..tensor import Tensor

__all__ = ["pad"]


def _pairs(pad: Sequence[int], ndim: int):
    """PyTorch's pad tuple (last dim first) -> list of ``(axis, before, after)``."""
    if len(pad) % 2 != 0:
        raise RuntimeError(f"Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {ndim}")
    return [(ndim - 1 - k, int(pad[2 * k]), int(pad[2 * k + 1])) for k in range(len(pad) // 2)]


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dims; ``pad`` lists the last dim first."""
    pairs = _pairs(pad, input.ndim)
    for axis, before, after in pairs:
        if input.shape[axis] + before + after < 0:
            raise RuntimeError(f"The input size {input.shape[axis]}, plus negative padding {before} and {after} "
                               f"resulted in a negative output size, which is invalid. Check dimension {axis} "
                               "of your input.")
    if mode == "constant":
        return ConstantPadNd.apply(input, pairs=pairs, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}: expected 'constant', 'reflect', "
                                  "'replicate' or 'circular'")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    return ModePad.apply(input, pairs=pairs, mode=mode)
