"""Resampling (interpolate) at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/resample.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

import math
from typing import Optional, Sequence, Union

from ..kernels.resample import (
    _LINEAR_MODES,
    _NEAREST_MODES,
    Resample,
    _expand,
    area_matrix,
    cubic_matrix,
    linear_matrix,
    nearest_source,
)
from ..tensor import Tensor

__all__ = ["interpolate"]


def interpolate(input: Tensor, size: Union[int, Sequence[int], None] = None,
                scale_factor: Union[float, Sequence[float], None] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) by ``size`` or ``scale_factor`` (PyTorch's semantics and indices)."""
    if mode in _NEAREST_MODES or mode == "area":
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | "
                             "bilinear | bicubic | trilinear")
    elif mode not in _LINEAR_MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; supported modes: nearest, "
                                  "nearest-exact, linear, bilinear, bicubic, area")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D and 4D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear (got {mode})")
    if mode in _LINEAR_MODES and input.ndim != _LINEAR_MODES[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_MODES[mode]}D input")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"interpolate: expected a floating point input, got {input.dtype}")
    dims = input.ndim - 2
    in_sizes = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out_sizes = tuple(int(s) for s in _expand(size, dims, "size"))
        scales = (None,) * dims
    elif scale_factor is not None:
        factors = tuple(float(f) for f in _expand(scale_factor, dims, "scale_factor"))
        out_sizes = tuple(int(math.floor(n * f)) for n, f in zip(in_sizes, factors))
        scales = (None,) * dims if recompute_scale_factor else factors
    else:
        raise ValueError("either size or scale_factor should be defined")
    if min(out_sizes) < 1 or min(in_sizes) < 1:
        raise ValueError(f"interpolate: input and output sizes should be greater than 0, but got input "
                         f"{in_sizes} and output {out_sizes}")
    plan = []
    for n, o, s in zip(in_sizes, out_sizes, scales):
        dtype = input._data.dtype
        if mode in _NEAREST_MODES:
            plan.append(("gather", nearest_source(n, o, s, mode == "nearest-exact")))
        elif mode == "area":
            plan.append(("matrix", area_matrix(n, o, dtype)))
        elif mode == "bicubic":
            plan.append(("matrix", cubic_matrix(n, o, s, bool(align_corners), dtype)))
        else:
            plan.append(("matrix", linear_matrix(n, o, s, bool(align_corners), dtype)))
    return Resample.apply(input, plan=tuple(plan))
