"""``pixel_shuffle`` / ``pixel_unshuffle``: move ``r x r`` blocks between the channel and the spatial dims."""

from __future__ import annotations

from ...tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C * r^2, H, W)`` -> ``(*, C, H * r, W * r)`` with ``r = upscale_factor``."""
    r = _check(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    out_channels = channels // (r * r)
    n = len(batch)
    x = input.reshape(*batch, out_channels, r, r, height, width)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (*, C, H, r, W, r)
    return x.reshape(*batch, out_channels, height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H * r, W * r)`` -> ``(*, C * r^2, H, W)`` with ``r = downscale_factor``."""
    r = _check(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *batch, channels, height, width = input.shape
    if height % r or width % r:
        dim, size = ("height", height) if height % r else ("width", width)
        raise RuntimeError(f"pixel_unshuffle expects {dim} to be divisible by downscale_factor, but input.size("
                           f"{-2 if dim == 'height' else -1})={size} is not divisible by {r}")
    n = len(batch)
    x = input.reshape(*batch, channels, height // r, r, width // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (*, C, r, r, H, W)
    return x.reshape(*batch, channels * r * r, height // r, width // r)


def _check(input: Tensor, factor: int, op: str, name: str) -> int:
    if input.ndim < 3:
        raise RuntimeError(f"{op} expects its input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if int(factor) <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")
    return int(factor)
