"""Linear and bilinear maps (Tensor level): dtype checks, then the linear kernels."""

from __future__ import annotations

import math
from typing import Optional

from ..dtypes import cpp_name
from ..kernels.linear import Bilinear, Linear
from ..tensor import Tensor

__all__ = ["linear", "bilinear"]


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``input @ weight.T + bias``; input ``(*, in)``, weight ``(out, in)``, bias ``(out,)``."""
    w_shape, x_shape = weight._data.shape, input._data.shape  # array shapes: no Size objects on the hot path
    if len(w_shape) != 2 and len(w_shape) != 1:
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got shape {tuple(weight.shape)}")
    if len(w_shape) == 1:
        out = input @ weight
        return out + bias if bias is not None else out
    if not x_shape or x_shape[-1] != w_shape[1]:
        rows = math.prod(input.shape[:-1]) if input.ndim else 1
        cols = input.shape[-1] if input.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    _same_dtype("linear", input, weight, bias)
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """Input ``(*, in1)`` and ``(*, in2)`` with equal leading dims, weight ``(out, in1, in2)`` -> ``(*, out)``."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got {tuple(weight.shape)}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {tuple(input1.shape[:-1])} and "
                           f"{tuple(input2.shape[:-1])}")
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {input1.shape[-1]} and {input2.shape[-1]} do not match "
                           f"weight of shape {tuple(weight.shape)}")
    _same_dtype("bilinear", input1, input2, weight, bias)
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    return Bilinear.apply(x1, x2, weight, bias).reshape(*lead, weight.shape[0])


def _same_dtype(op: str, *tensors) -> None:
    dtypes = {t._data.dtype for t in tensors if t is not None}
    if len(dtypes) > 1:
        names = " != ".join(cpp_name(t._data.dtype) for t in tensors if t is not None)
        raise RuntimeError(f"{op}: expected all inputs to have the same dtype, but got {names}. Convert the input "
                           "with `.float()`/`.double()` or the layer with `.to(dtype)`.")
