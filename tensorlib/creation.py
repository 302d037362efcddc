"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty (+ ``_like``), arange, linspace,
logspace, eye, tril/triu, diag. Python floats become float32 (the default dtype), ints int64, bools bool."""

from __future__ import annotations

import builtins
import math

from . import dtypes as _dtypes
from ._backend import xp
from .tensor import Tensor, _check_device


def _infer_array(data, dtype):
    """Array for ``tensor(data)``: NumPy float64 input becomes the default float unless ``dtype`` is given."""
    np_dtype = _dtypes.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        array = data._data
    else:
        try:
            array = xp.asarray(data)
        except (ValueError, TypeError):
            array = None
        # lists holding tensors: only scanned when NumPy could not build a plain numeric array
        if (array is None or array.dtype.kind == "O") and isinstance(data, (list, tuple)) and _contains_tensor(data):
            array = xp.asarray([_to_nested(d) for d in data])
        elif array is None:
            array = xp.asarray(data)
    if np_dtype is not None:
        return array.astype(np_dtype)
    if array.dtype == xp.float64 and not _is_float64_source(data):
        return array.astype(_dtypes.get_default_dtype().np)
    if array.dtype.kind in "iu" and not isinstance(data, (xp.ndarray, Tensor)):
        return array.astype(xp.int64)
    if array.dtype.kind not in "biuf":
        if array.dtype.kind == "O":
            raise TypeError(f"Could not infer dtype of {type(_first(data)).__name__}")
        raise TypeError(f"can't convert {array.dtype} to a tensor: the supported types are "
                        + ", ".join(d.name for d in _dtypes.ALL))
    _dtypes.from_numpy_dtype(array.dtype)
    return array


def _first(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _is_float64_source(data) -> bool:
    return isinstance(data, Tensor) and data._data.dtype == xp.float64


def _contains_tensor(data) -> bool:
    return builtins.any(isinstance(d, Tensor) or (isinstance(d, (list, tuple)) and _contains_tensor(d))
                        for d in data)


def _to_nested(d):
    if isinstance(d, Tensor):
        return d._data
    if isinstance(d, (list, tuple)):
        return [_to_nested(x) for x in d]
    return d


def _finish(array, requires_grad: bool, device=None) -> Tensor:
    _check_device(device)
    out = Tensor._wrap(array)
    if requires_grad:
        out._make_leaf_requiring_grad()
    return out


def tensor(data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor copying ``data`` (nested lists, numbers, arrays, tensors).

    Dtype inference as PyTorch (floats -> float32, ints -> int64, bools -> bool), with one deliberate
    difference: a float64 NumPy array also becomes float32 unless ``dtype`` is given, so NumPy's default never
    leaks into models (``from_numpy`` keeps the dtype and shares memory).
    """
    array = _infer_array(data, dtype)
    return _finish(xp.array(array, copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, xp.ndarray):
        np_dtype = _dtypes.to_numpy_dtype(dtype)
        _dtypes.from_numpy_dtype(data.dtype if np_dtype is None else np_dtype)
        return _finish(data if np_dtype is None or np_dtype == data.dtype else data.astype(np_dtype), False, device)
    return _finish(_infer_array(data, dtype), False, device)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (same dtype; changes are visible both ways)."""
    if not isinstance(ndarray, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtypes.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    if builtins.any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return shape


def shape_argument(args: tuple, size, fn: str) -> tuple:
    """The shape of ``fn(*args)`` or ``fn(size=...)`` (PyTorch accepts both, not both at once)."""
    if size is not None:
        if args:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        args = (size,)
    if not args:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    return _size(args)


def _dtype(dtype, default=None):
    np_dtype = _dtypes.to_numpy_dtype(dtype)
    return np_dtype if np_dtype is not None else (default or _dtypes.get_default_dtype().np)


def zeros(*args, size=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of shape ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    return _finish(xp.zeros(shape_argument(args, size, "zeros"), dtype=_dtype(dtype)), requires_grad, device)


def ones(*args, size=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of shape ``ones(2, 3)``, ``ones((2, 3))`` or ``ones(size=(2, 3))``."""
    return _finish(xp.ones(shape_argument(args, size, "ones"), dtype=_dtype(dtype)), requires_grad, device)


def empty(*args, size=None, dtype=None, layout=None, device=None, requires_grad: bool = False, memory_format=None,
          pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor: ``empty(2, 3)``, ``empty((2, 3))`` or ``empty(size=(2, 3))``."""
    return _finish(xp.empty(shape_argument(args, size, "empty"), dtype=_dtype(dtype)), requires_grad, device)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of shape ``size`` whose elements are ``stride`` elements apart per dimension."""
    shape, strides = _size((size,)), tuple(int(s) for s in stride)
    if len(strides) != len(shape):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(strides)} vs {len(shape)}")
    np_dtype = xp.dtype(_dtype(dtype))
    extent = 1 + builtins.sum((n - 1) * st for n, st in zip(shape, strides)) if builtins.all(shape) else 0
    buffer = xp.empty(extent, dtype=np_dtype)
    array = xp.lib.stride_tricks.as_strided(buffer, shape, tuple(st * np_dtype.itemsize for st in strides))
    return _finish(array, requires_grad, device)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A 0-d tensor holding ``s``, in the default float dtype unless ``dtype`` is given (as PyTorch)."""
    value = s.item() if isinstance(s, Tensor) else s
    return _finish(xp.asarray(value, dtype=_dtype(dtype)), requires_grad, device)


def _fill_dtype(fill_value):
    if isinstance(fill_value, bool):
        return xp.dtype(bool)
    if isinstance(fill_value, int):
        return xp.dtype(xp.int64)
    return _dtypes.get_default_dtype().np


def full(size, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    np_dtype = _dtypes.to_numpy_dtype(dtype) or _fill_dtype(fill_value)
    return _finish(xp.full(_size((size,)), fill_value, dtype=np_dtype), requires_grad, device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    return _finish(xp.zeros(input.shape, dtype=_dtype(dtype, input._data.dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return _finish(xp.ones(input.shape, dtype=_dtype(dtype, input._data.dtype)), requires_grad, device)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    return _finish(xp.empty(input.shape, dtype=_dtype(dtype, input._data.dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return _finish(xp.full(input.shape, fill_value, dtype=_dtype(dtype, input._data.dtype)), requires_grad,
                   device)


def arange(start=None, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values in ``[start, end)`` by ``step``: ``arange(end)``, ``arange(start, end, step)``, ``arange(end=5)``;
    int64 for integer arguments, else the default float dtype."""
    if start is None and end is None:
        raise TypeError('arange() missing 1 required positional arguments: "end"')
    if end is None:
        if step != 1:
            raise TypeError("arange() received an invalid combination of arguments: arange(end, step=...) needs "
                            "start: arange(0, end, step)")
        start, end = 0, start
    elif start is None:
        start = 0
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    is_int = builtins.all(isinstance(v, int) for v in values)
    np_dtype = _dtypes.to_numpy_dtype(dtype) or (xp.dtype(xp.int64) if is_int else _dtypes.get_default_dtype().np)
    start, end, step = values
    count = builtins.max(math.ceil((end - start) / step), 0)
    # computed in float64/int64 then cast, so float32 ranges match PyTorch's values
    data = (xp.arange(count, dtype=xp.float64 if not is_int else xp.int64) * step + start)
    return _finish(data.astype(np_dtype), requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    data = xp.linspace(float(start), float(end), int(steps))
    return _finish(data.astype(_dtype(dtype)), requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    data = xp.logspace(float(start), float(end), int(steps), base=base)
    return _finish(data.astype(_dtype(dtype)), requires_grad, device)


def eye(n: int, m=None, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(xp.eye(n, m, dtype=_dtype(dtype)), requires_grad, device)


def tril(input, diagonal: int = 0) -> Tensor:
    mask = xp.tril(xp.ones(input.shape[-2:], dtype=bool), diagonal)
    return input.masked_fill(Tensor._wrap(~mask), 0)


def triu(input, diagonal: int = 0) -> Tensor:
    mask = xp.triu(xp.ones(input.shape[-2:], dtype=bool), diagonal)
    return input.masked_fill(Tensor._wrap(~mask), 0)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    _check_device(device)
    return Tensor._wrap(xp.stack(xp.tril_indices(row, offset, col)).astype(_dtype(dtype, xp.dtype(xp.int64))))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    _check_device(device)
    return Tensor._wrap(xp.stack(xp.triu_indices(row, offset, col)).astype(_dtype(dtype, xp.dtype(xp.int64))))


def diag(input, diagonal: int = 0) -> Tensor:
    if input.ndim == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        index = xp.arange(input.shape[0])
        rows, cols = (index, index + diagonal) if diagonal >= 0 else (index - diagonal, index)
        out = zeros(n, n, dtype=input.dtype)
        flat = rows * n + cols
        return out.reshape(-1).index_add(0, Tensor._wrap(flat), input).reshape(n, n)
    return diagonal_(input, diagonal)


def diagonal_(input, offset: int = 0) -> Tensor:
    n, m = input.shape[-2:]
    rows = xp.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return input[..., Tensor._wrap(rows), Tensor._wrap(rows + offset)]


def meshgrid(*tensors, indexing: str = "ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = [t.shape[0] for t in tensors]
    out = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[i] = -1
        out.append(t.reshape(view).expand(shape))
    if indexing == "xy" and len(tensors) >= 2:
        out = [o.transpose(0, 1) for o in out]
    return tuple(out)
