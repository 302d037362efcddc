"""Rebuild tensorlib tensors from PyTorch storages: offsets, sizes, strides and storages shared by views.

A storage is read once into a native-order NumPy array of a dtype tensorlib has (``dtypes.to_tensorlib_array``).
Each tensor is a strided view of it, so tensors that share a storage in PyTorch (a tensor and its slices, tied
weights) share memory here too. A view whose elements overlap (stride 0, as ``expand`` makes) is read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._parameter import Parameter
from ..creation import from_numpy
from .dtypes import disk_dtype, to_tensorlib_array


class Storage:
    """One storage: ``array`` (1-D, native order) over ``numel`` elements of PyTorch dtype ``dtype_name``."""

    def __init__(self, key: str, dtype_name: str, array: np.ndarray) -> None:
        self.key = key
        self.dtype_name = dtype_name
        self.array = array

    def view_of(self, offset: int, size: int) -> Storage:
        return Storage(self.key, self.dtype_name, self.array[offset:offset + size])

    def reinterpret(self, dtype_name: str, byteorder: str) -> Storage:
        """An untyped (byte) storage seen as ``dtype_name`` elements (``_rebuild_tensor_v3``)."""
        raw = self.array.view(np.uint8)
        dtype = disk_dtype(dtype_name, byteorder, f"storage {self.key}")
        usable = len(raw) // dtype.itemsize * dtype.itemsize
        return Storage(self.key, dtype_name, to_tensorlib_array(raw[:usable].view(dtype), dtype_name))


class TensorBuilder:
    """The ``torch._utils._rebuild_*`` functions, building tensorlib tensors; records the widened dtypes."""

    def __init__(self, source: str, byteorder: str = "little") -> None:
        self.source = source
        self.byteorder = byteorder
        self.converted: dict[str, str] = {}  # storage key -> torch dtype that was widened

    def rebuild_tensor(self, storage: Storage, offset: int, size: tuple, stride: tuple) -> Any:
        if not isinstance(storage, Storage):
            raise TypeError(f"{self.source}: a tensor refers to {type(storage).__name__}, not a storage")
        size, stride, offset = tuple(int(s) for s in size), tuple(int(s) for s in stride), int(offset)
        array = storage.array
        if len(size) != len(stride) or any(s < 0 for s in size) or any(s < 0 for s in stride) or offset < 0:
            raise ValueError(f"{self.source}: storage {storage.key}: invalid size {size} / stride {stride}")
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset - 1
        if last >= len(array):
            raise ValueError(f"{self.source}: storage {storage.key} has {len(array)} elements but a tensor of size "
                             f"{list(size)}, stride {list(stride)}, offset {offset} needs {last + 1}: "
                             "file is truncated or damaged")
        # Overlapping elements (stride 0, as expand makes) stay one memory location, read-only: PyTorch refuses
        # in-place writes to such tensors too, and copying could allocate whatever size the file claims.
        view = as_strided(array[offset:], shape=size, strides=[s * array.itemsize for s in stride],
                          writeable=not _overlaps(size, stride))
        if storage.dtype_name != array.dtype.name:
            self.converted[storage.key] = storage.dtype_name
        return from_numpy(view)

    def rebuild_tensor_v2(self, storage: Storage, offset: int, size: tuple, stride: tuple,
                          requires_grad: bool = False, backward_hooks: Any = None, metadata: Any = None) -> Any:
        tensor = self.rebuild_tensor(storage, offset, size, stride)
        tensor.requires_grad = bool(requires_grad)
        return tensor

    def rebuild_tensor_v3(self, storage: Storage, offset: int, size: tuple, stride: tuple, requires_grad: bool,
                          backward_hooks: Any, dtype: Any, metadata: Any = None) -> Any:
        name = getattr(dtype, "name", str(dtype))
        return self.rebuild_tensor_v2(storage.reinterpret(name, self.byteorder), offset, size, stride,
                                      requires_grad)

    def rebuild_parameter(self, data: Any, requires_grad: bool, backward_hooks: Any) -> Parameter:
        return Parameter(data, requires_grad=bool(requires_grad))

    def rebuild_parameter_with_state(self, data: Any, requires_grad: bool, backward_hooks: Any,
                                     state: Any) -> Parameter:
        return self.rebuild_parameter(data, requires_grad, backward_hooks)

    def rebuild_from_type_v2(self, func: Callable, new_type: Any, args: tuple, state: Any) -> Any:
        return func(*args)


def _overlaps(size: tuple, stride: tuple) -> bool:
    """True unless the strides provably address distinct elements (each dim steps past the dims inside it)."""
    dims = sorted((s, n) for n, s in zip(size, stride) if n > 1)
    extent = 1
    for s, n in dims:
        if s < extent:
            return True
        extent = s * (n - 1) + extent
    return False
