"""Write PyTorch's zip format, which ``torch.load(f, weights_only=True)`` opens.

Layout as ``torch.save`` writes it: ``archive/data.pkl`` (protocol 2; tensors as
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``, parameters
wrapped in ``_rebuild_parameter``), ``archive/data/<key>`` per storage (little-endian, each aligned to 64
bytes in the file), ``archive/byteorder``, ``archive/version`` (3), ``archive/.format_version``,
``archive/.storage_alignment``. The pickle is produced by a pure-Python ``pickle._Pickler`` that writes torch's
globals by name, so torch need not be installed. The same tensor object saved twice is pickled once, and
tensors that view one buffer (a tensor and its slices) share one storage (see ``sharing.py``).
"""

from __future__ import annotations

import codecs
import io
import pickle
import struct
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from .. import dtypes as _tl_dtypes
from .._parameter import Parameter
from ..tensor import Tensor
from .dtypes import CLASS_OF_DTYPE
from .sharing import SharedView, plan_shared_storages

ALIGNMENT = 64
_RECORD = "archive"


class TorchGlobal:
    """A torch global to be pickled by name (``GLOBAL 'module name'``) without importing torch."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, *args: Any) -> Any:  # pickle requires reduce functions to be callable; never called
        raise TypeError(f"{self.module}.{self.name} is a placeholder for pickling")


class _StorageRef:
    def __init__(self, key: str, dtype_name: str, numel: int) -> None:
        self.key, self.dtype_name, self.numel = key, dtype_name, numel


class _Call:
    """A nested reduce call ``func(*args)`` inside another one's arguments (a parameter's tensor)."""

    def __init__(self, func: TorchGlobal, args: tuple) -> None:
        self.func, self.args = func, args


# what pickle itself references for sets, bytes, bytearrays, complex numbers and OrderedDicts (all allowed)
_ALLOWED_CALLABLES = (set, bytearray, complex, OrderedDict, codecs.encode)
_PLAIN_TYPES = (dict, list, tuple, set, str, bytes, bytearray, int, float, complex, bool, type(None))


class _TorchPickler(pickle._Pickler):
    """Pickles tensors as torch's rebuild calls; their arrays go to ``self.storages`` (persistent ids)."""

    def __init__(self, file: io.BytesIO, shared: dict[int, SharedView]) -> None:
        super().__init__(file, protocol=2)
        self.storages: dict[str, np.ndarray] = {}
        self._shared = shared  # id(tensor) -> its place in a buffer other saved tensors view too
        self._root_keys: dict[int, str] = {}

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _StorageRef):
            return ("storage", TorchGlobal("torch", CLASS_OF_DTYPE[obj.dtype_name]), obj.key, "cpu", obj.numel)
        return None

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if isinstance(obj, TorchGlobal):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        elif isinstance(obj, _tl_dtypes.dtype):
            self.save(TorchGlobal("torch", obj.name))
        elif isinstance(obj, _Call):
            self.save_reduce(obj.func, obj.args, obj=None)
        elif isinstance(obj, (np.integer, np.floating, np.bool_)):
            super().save(obj.item(), save_persistent_id)
        else:
            super().save(obj, save_persistent_id)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, (_StorageRef, OrderedDict) + _PLAIN_TYPES) or any(obj is g for g in _ALLOWED_CALLABLES):
            return NotImplemented
        if isinstance(obj, np.ndarray):
            raise TypeError("tensorlib.save(format='torch') can't store NumPy arrays (torch.load(weights_only=True) "
                            "refuses them): convert them with tensorlib.from_numpy first")
        raise TypeError(f"tensorlib.save(format='torch') can't store an object of type {type(obj).__name__}: "
                        "torch.load(weights_only=True) accepts only tensors, dtypes, numbers, strings and "
                        "dicts/lists/tuples/sets of them")

    def _reduce_tensor(self, tensor: Tensor) -> tuple:
        source = tensor.detach().numpy()
        view = self._shared.get(id(tensor))
        if view is not None:
            if id(view.root) not in self._root_keys:
                self._root_keys[id(view.root)] = self._add_storage(view.root.reshape(-1))
            key, buffer = self._root_keys[id(view.root)], view.root
            offset, strides = view.offset, view.strides
        else:
            buffer = np.ascontiguousarray(source).reshape(source.shape)  # ascontiguousarray turns 0-d into 1-d
            key, offset, strides = self._add_storage(buffer), 0, _contiguous_strides(source.shape)
        storage = _StorageRef(key, _tl_dtypes.from_numpy_dtype(buffer.dtype).name, buffer.size)
        rebuild = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
        if isinstance(tensor, Parameter):
            data = _Call(rebuild, (storage, offset, tuple(source.shape), strides, False, OrderedDict()))
            return (TorchGlobal("torch._utils", "_rebuild_parameter"),
                    (data, bool(tensor.requires_grad), OrderedDict()))
        return (rebuild, (storage, offset, tuple(source.shape), strides, bool(tensor.requires_grad),
                          OrderedDict()))

    def _add_storage(self, array: np.ndarray) -> str:
        key = str(len(self.storages))
        self.storages[key] = array
        return key


def _contiguous_strides(shape: tuple) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def serialize(obj: Any) -> memoryview:
    """The bytes of a PyTorch zip file holding ``obj``."""
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
        raise TypeError("tensorlib.save(format='torch') does not pickle whole modules (loading them would need "
                        "code): save model.state_dict() instead")
    pickled = io.BytesIO()
    pickler = _TorchPickler(pickled, plan_shared_storages(obj))
    pickler.dump(obj)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        _write(archive, "data.pkl", pickled.getvalue())
        _write(archive, ".format_version", b"1")
        _write(archive, ".storage_alignment", str(ALIGNMENT).encode())
        _write(archive, "byteorder", b"little")
        for key, array in pickler.storages.items():
            little = array.astype(array.dtype.newbyteorder("<"), copy=False)
            _write(archive, f"data/{key}", memoryview(np.ascontiguousarray(little).reshape(-1).view(np.uint8)))
        _write(archive, "version", b"3\n")
    return buffer.getbuffer()


def _write(archive: zipfile.ZipFile, name: str, data: bytes | memoryview) -> None:
    """Add a stored member whose data starts on an ``ALIGNMENT`` boundary (padding in the extra field, as
    PyTorch does), so readers may map storages straight from the file."""
    info = zipfile.ZipInfo(f"{_RECORD}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    offset = archive.fp.tell() + 30 + len(info.filename.encode())
    large = len(data) >= 0xFFFFFFFF
    if large:
        offset += 20  # the zip64 extra field zipfile adds to the local header
    pad = -(offset + 4) % ALIGNMENT
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # "FB": PyTorch's padding record id
    info.file_size = len(data)
    archive.writestr(info, data)  # zipfile accepts a byte memoryview: no copy of the storage
