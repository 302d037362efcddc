"""Helpers shared by the op modules: operand preparation (PyTorch promotion) and axis handling."""

from __future__ import annotations

from .. import dtypes as _dtypes
from .._backend import xp
from ..kernels._utils import _SCALARS
from ..kernels.elementwise import Cast
from ..tensor import Tensor

__all__ = ["cast", "float_only", "prepare", "to_tensor"]


def to_tensor(value, like: Tensor = None) -> Tensor:
    """Turn a scalar/array/list into a Tensor (Python floats -> default float dtype)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, _SCALARS):
        np_dtype = _dtypes.scalar_result_dtype(like._data.dtype, value) if like is not None else None
        if np_dtype is None:
            np_dtype = {bool: xp.bool_, int: xp.int64}.get(type(value), _dtypes.get_default_dtype().np)
        return Tensor._wrap(xp.asarray(value, dtype=np_dtype))
    array = xp.asarray(value)
    if array.dtype == xp.float64 and not isinstance(value, xp.ndarray):
        array = array.astype(_dtypes.get_default_dtype().np)
    return Tensor._wrap(array)


def prepare(a, b):
    """Return ``(a, b)`` ready for a binary op: Tensors, or a Python scalar when it keeps the tensor's dtype.

    PyTorch's rules: a Python scalar never upcasts a tensor within its category; across categories
    (bool < int < float) the higher one wins (int tensor * 0.5 -> float32); tensors of different dtypes in one
    category promote, across categories the higher category's dtype wins (int64 + float32 -> float32).
    """
    if isinstance(a, Tensor):
        if (b.__class__ is float or b.__class__ is int) and a._data.dtype.kind == "f":
            return a, b  # the common case first: a float tensor keeps its dtype (below, without the lookups)
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            if da == db:
                return a, b
            target = _dtypes.result_dtype(da, db)
            return _as(a, target), _as(b, target)
        if isinstance(b, _SCALARS):
            target = _dtypes.scalar_result_dtype(a._data.dtype, b)
            if target == a._data.dtype:
                return a, b  # NumPy >= 2 keeps the array's dtype for a Python scalar (NEP 50)
            return cast(a, target), xp.asarray(b, dtype=target)
        return prepare(a, to_tensor(b))
    if isinstance(b, Tensor):
        if (a.__class__ is float or a.__class__ is int) and b._data.dtype.kind == "f":
            return a, b
        if isinstance(a, _SCALARS):
            target = _dtypes.scalar_result_dtype(b._data.dtype, a)
            if target == b._data.dtype:
                return a, b
            return xp.asarray(a, dtype=target), cast(b, target)
        return prepare(to_tensor(a), b)
    return to_tensor(a), to_tensor(b)


def _as(tensor: Tensor, np_dtype) -> Tensor:
    return tensor if tensor._data.dtype == np_dtype else cast(tensor, np_dtype)


def cast(tensor: Tensor, np_dtype) -> Tensor:
    return Cast.apply(tensor, dtype=xp.dtype(np_dtype))


def float_only(tensor: Tensor, op: str) -> None:
    if tensor._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point tensor, got {tensor.dtype}")


def strided_view(out: Tensor) -> Tensor:
    """Mark the result of a layout-changing view op (permute, expand, slicing) when it is not contiguous.

    ``view`` refuses to reshape such a tensor when no stride pattern fits, as PyTorch does. Only these results
    are marked: a kernel that happens to return a non-contiguous array stands for a contiguous PyTorch tensor.
    """
    if not out._data.flags.c_contiguous:
        out._strided_view = True
    return out
