"""Separable resampling of (..., C, H, W) NumPy arrays: the maths behind tensor ``resize``.

Each axis is resized by a dense (out, in) weight matrix, so a resize is two matrix products. The matrices
follow PyTorch's ``interpolate`` (align_corners=False): ``antialias=True`` uses the PIL-style filter whose
support grows with the downscale factor (bicubic a=-0.5), ``antialias=False`` the plain 2- or 4-tap kernel
with clamped borders (bicubic a=-0.75).
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

from tensorlib.kernels.resample import cubic_matrix, linear_matrix, nearest_source


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = ((x - 5.0) * x + 8.0) * x * a - 4.0 * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - np.abs(x), 0.0, None)


def antialias_matrix(in_size: int, out_size: int, mode: str) -> np.ndarray:
    """PIL / ``interpolate(antialias=True)`` weights, shape (out_size, in_size), rows summing to 1."""
    scale = in_size / out_size
    stretch = max(scale, 1.0)
    support = (1.0 if mode == "bilinear" else 2.0) * stretch
    centers = (np.arange(out_size) + 0.5) * scale
    first = np.maximum((centers - support + 0.5).astype(np.int64), 0)
    stop = np.minimum((centers + support + 0.5).astype(np.int64), in_size)
    taps = np.arange(in_size)
    distance = (taps[None, :] - centers[:, None] + 0.5) / stretch
    weights = _triangle(distance) if mode == "bilinear" else _cubic(distance, -0.5)
    inside = (taps[None, :] >= first[:, None]) & (taps[None, :] < stop[:, None])
    weights = np.where(inside, weights, 0.0)
    return weights / weights.sum(axis=1, keepdims=True)


def _plain_matrix(in_size: int, out_size: int, mode: str) -> np.ndarray:
    """``interpolate(antialias=False, align_corners=False)`` weights, shape (out_size, in_size): the same
    matrices as tensor ``interpolate``."""
    build = linear_matrix if mode == "bilinear" else cubic_matrix
    return build(in_size, out_size, None, False, np.float64)


def resize_array(image: np.ndarray, size: Tuple[int, int], mode: str, antialias: bool) -> np.ndarray:
    """Resize the last two axes of ``image`` (..., H, W) to ``size`` = (h, w).

    ``mode`` is one of nearest, nearest-exact, bilinear, bicubic. Interpolating modes return a floating array
    (float32 unless the input is float64); the caller casts back to the input dtype.
    """
    in_h, in_w = image.shape[-2:]
    out_h, out_w = size
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        rows = nearest_source(in_h, out_h, None, exact)
        cols = nearest_source(in_w, out_w, None, exact)
        return image[..., rows[:, None], cols[None, :]]
    work = np.float64 if image.dtype == np.float64 else np.float32
    build = antialias_matrix if antialias else _plain_matrix
    height_weights = build(in_h, out_h, mode).astype(work)
    width_weights = build(in_w, out_w, mode).astype(work)
    return height_weights @ (image.astype(work, copy=False) @ width_weights.T)
