"""Helpers shared by the op modules: operand preparation (PyTorch promotion) and axis handling."""

from __future__ import annotations

from .. import dtypes as _dtypes
from .._backend import xp
from ..tensor import Tensor

_SCALARS = (int, float, bool)


class InputShapeError(RuntimeError):
    """A kernel got an input whose shape it can't handle (too small, wrong rank).

    ``Module.__call__`` turns it into an error that names the layer and its path in the model.
    """


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
        if isinstance(a, _SCALARS):
            target = _dtypes.scalar_result_dtype(b._data.dtype, a)
            if target == b._data.dtype:
                return a, b
            return xp.asarray(a, dtype=target), cast(b, target)
        return prepare(to_tensor(a), b)
    return to_tensor(a), to_tensor(b)


def _as(tensor: Tensor, np_dtype) -> Tensor:
    return tensor if tensor._data.dtype == np_dtype else cast(tensor, np_dtype)


def normalize_dim(dim: int, ndim: int) -> int:
    """Wrap a negative dim; IndexError like PyTorch when out of range."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], "
                         f"but got {dim})")
    return dim % size


def normalize_dims(dim, ndim: int):
    """``None`` -> all axes; int or sequence -> tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(normalize_dim(d, ndim) for d in dim)
    return (normalize_dim(dim, ndim),)


def expand_reduced(grad, shape, axes, keepdim: bool):
    """Broadcast the gradient of a reduction back to the input ``shape``."""
    if axes is None:
        return xp.broadcast_to(grad, shape)
    if not keepdim:
        grad = xp.expand_dims(grad, axes)
    return xp.broadcast_to(grad, shape)


def cast(tensor: Tensor, np_dtype) -> Tensor:
    from .elementwise import Cast

    return Cast.apply(tensor, dtype=xp.dtype(np_dtype))


def float_only(tensor: Tensor, op: str) -> None:
    if tensor._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point tensor, got {tensor.dtype}")
