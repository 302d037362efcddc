"""Affine geometry shared by rotate/affine: torchvision's inverse matrix, expanded size and grid sampling."""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import numpy as np


def inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float], scale: float,
                          shear: Sequence[float]) -> List[float]:
    """The 2x3 matrix (flattened) mapping output coordinates to input ones, as in torchvision.

    The forward map is ``T * C * R * S * Sh * C^-1`` (translate, centre, rotate-scale,
    shear); this returns its inverse so that each output pixel can look up its source.
    """
    rot = math.radians(angle)
    shear_x, shear_y = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - shear_y) / math.cos(shear_y)
    b = -math.cos(rot - shear_y) * math.tan(shear_x) / math.cos(shear_y) - math.sin(rot)
    c = math.sin(rot - shear_y) / math.cos(shear_y)
    d = -math.sin(rot - shear_y) * math.tan(shear_x) / math.cos(shear_y) + math.cos(rot)
    matrix = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def expanded_size(matrix: Sequence[float], width: int, height: int) -> Tuple[int, int]:
    """(width, height) large enough to hold the whole rotated image (``expand=True``)."""
    # float32 throughout, like torchvision, so that the rounding quirks (e.g. 7x4 at 90 degrees) match.
    f32 = np.float32
    corners = np.array([[-0.5 * width, -0.5 * height, 1.0], [-0.5 * width, 0.5 * height, 1.0],
                        [0.5 * width, 0.5 * height, 1.0], [0.5 * width, -0.5 * height, 1.0]], dtype=f32)
    theta = np.asarray(matrix, dtype=f32).reshape(2, 3)
    moved = corners @ theta.T
    shift = np.array([0.5 * width, 0.5 * height], dtype=f32)  # to PIL's [0, w] x [0, h] frame
    tol = f32(1e-4)  # truncate so that 2.0000001 does not ceil to 3
    high = np.ceil(np.trunc((moved.max(axis=0) + shift) / tol) * tol)
    low = np.floor(np.trunc((moved.min(axis=0) + shift) / tol) * tol)
    size = high - low
    return int(size[0]), int(size[1])


def _gather(image: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Values at integer source positions (zeros outside) and the in-bounds mask."""
    height, width = image.shape[-2:]
    valid = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    values = image[..., np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)]
    return values * valid, valid.astype(image.dtype)


def warp(image: np.ndarray, matrix: Sequence[float], out_size: Tuple[int, int], mode: str,
         fill: Sequence[float] | None) -> np.ndarray:
    """Sample float ``image`` (..., C, H, W) at ``matrix`` applied to each output pixel (centred coordinates).

    Reproduces ``grid_sample(align_corners=False, padding_mode='zeros')`` plus torchvision's fill handling:
    an all-ones mask is warped alongside; nearest mode fills where the mask is < 0.5, bilinear blends
    ``img * mask + (1 - mask) * fill``. ``out_size`` is (height, width).
    """
    height, width = image.shape[-2:]
    out_h, out_w = out_size
    xs = np.arange(out_w, dtype=np.float64) - (out_w - 1) / 2.0
    ys = np.arange(out_h, dtype=np.float64)[:, None] - (out_h - 1) / 2.0
    m = matrix
    src_x = (m[0] * xs + m[1] * ys + m[2] + (width - 1) / 2.0).astype(image.dtype)
    src_y = (m[3] * xs + m[4] * ys + m[5] + (height - 1) / 2.0).astype(image.dtype)
    if mode == "nearest":
        out, mask = _gather(image, np.rint(src_y).astype(np.int64), np.rint(src_x).astype(np.int64))
    else:
        x0 = np.floor(src_x)
        y0 = np.floor(src_y)
        wx1, wy1 = src_x - x0, src_y - y0
        x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
        out = np.zeros(image.shape[:-2] + (out_h, out_w), dtype=image.dtype)
        mask = np.zeros((out_h, out_w), dtype=image.dtype)
        for dy, wy in ((0, 1.0 - wy1), (1, wy1)):
            for dx, wx in ((0, 1.0 - wx1), (1, wx1)):
                values, valid = _gather(image, y0 + dy, x0 + dx)
                out += values * (wy * wx)
                mask += valid * (wy * wx)
    if fill is None:
        return out
    fill_values = np.asarray(fill, dtype=image.dtype).reshape(-1, 1, 1)
    if mode == "nearest":
        return np.where(mask < 0.5, fill_values, out)
    return out * mask + (1.0 - mask) * fill_values
