"""A restricted unpickler for PyTorch files with the allow-list of ``torch.load(weights_only=True)``.

Only the globals PyTorch's weights-only unpickler accepts are resolved, each to a tensorlib function or a
plain value (``torch._utils._rebuild_tensor_v2`` -> builds a tensorlib Tensor, ``torch.Size`` -> tuple,
``torch.float32`` -> ``tensorlib.float32`` ...). Every other global (``os.system``, ``builtins.eval``, a
user's class) raises ``pickle.UnpicklingError`` naming it, before anything can run.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import pickle
from collections import Counter, OrderedDict
from typing import Any, Callable

from .. import dtypes as _tl_dtypes
from .dtypes import STORAGE_CLASSES
from .tensors import TensorBuilder

_DTYPE_NAMES = (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
    "complex32", "complex64", "complex128", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
    "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
    "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "uint16", "uint32", "uint64",
    *(f"uint{n}" for n in range(1, 8)), *(f"int{n}" for n in range(1, 8)),
)
_TENSOR_TYPES = ("Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool")
_QSCHEMES = ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
             "per_channel_affine_float_qparams")
_UNSUPPORTED_REBUILDS = {
    "_rebuild_qtensor": "quantized tensors", "_rebuild_sparse_tensor": "sparse tensors",
    "_rebuild_nested_tensor": "nested tensors", "_rebuild_wrapper_subclass": "tensor subclasses",
    "_rebuild_meta_tensor_no_storage": "meta tensors (they hold no data)",
    "_rebuild_device_tensor_from_numpy": "tensors pickled through NumPy",
}


def allowed_globals() -> frozenset:
    """Every ``module.name`` that ``torch.load(weights_only=True)`` accepts (PyTorch 2.x's list)."""
    names = {"collections.OrderedDict", "collections.Counter", "torch.nn.parameter.Parameter",
             "torch.serialization._get_layout", "torch.Size", "torch.Tensor", "torch.device", "_codecs.encode",
             "builtins.bytearray", "builtins.set", "builtins.complex", "torch._tensor._rebuild_from_type_v2",
             "torch.storage.TypedStorage", "torch.storage.UntypedStorage"}
    names.update(f"torch.{name}" for name in _DTYPE_NAMES)
    names.update(f"torch.{cls}" for cls in STORAGE_CLASSES if cls != "UntypedStorage")
    names.update(f"torch.cuda.{cls}" for cls in STORAGE_CLASSES if not cls.startswith(("Q", "Untyped")))
    for prefix in ("torch", "torch.cuda", "torch.sparse", "torch.cuda.sparse"):
        names.update(f"{prefix}.{kind}Tensor" for kind in _TENSOR_TYPES if not (prefix.endswith("sparse")
                                                                                and kind == "Bool"))
    names.update(f"torch.{scheme}" for scheme in _QSCHEMES)
    names.update(f"torch._utils.{fn}" for fn in (
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
        "_rebuild_parameter_with_state", "_rebuild_device_tensor_from_cpu_tensor", *_UNSUPPORTED_REBUILDS))
    return frozenset(names)


ALLOWED_GLOBALS = allowed_globals()


class StorageType:
    """Stand-in for ``torch.FloatStorage`` & co. in a persistent id: only its dtype name matters."""

    def __init__(self, class_name: str) -> None:
        self.class_name = class_name
        self.dtype_name = STORAGE_CLASSES.get(class_name, "uint8")


class TorchMarker:
    """Stand-in for an allowed torch global that is only ever passed around (``torch.Tensor``, a qscheme)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class TorchUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` resolving only ``ALLOWED_GLOBALS``; storages come from ``load_storage``.

    ``load_storage(dtype_name, key, numel)`` returns the storage's array (see ``tensors.TensorBuilder``).
    """

    def __init__(self, file, source: str, load_storage: Callable[[str, str, int], Any],
                 builder: TensorBuilder, encoding: str = "utf-8") -> None:
        super().__init__(file, encoding=encoding)
        self.source = source
        self._load_storage = load_storage
        self._builder = builder

    def find_class(self, module: str, name: str) -> Any:
        # Protocol-2 pickles name Python 2 modules (__builtin__.set); map them as pickle itself would.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        full = f"{module}.{name}"
        if full not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"{self.source}: refusing to load global {full}: it is not in the allow-list of "
                "torch.load(weights_only=True) (tensors, parameters, dtypes and plain containers). The file may "
                "execute code when unpickled, so nothing in it was run; load it only if you trust it, with PyTorch")
        return self._resolve(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], StorageType)):
            raise pickle.UnpicklingError(f"{self.source}: unknown persistent id {pid!r} (not a PyTorch storage)")
        _, storage_type, key, _location, numel = pid[:5]
        view = pid[5] if len(pid) > 5 else None
        storage = self._load_storage(storage_type.dtype_name, str(key), int(numel))
        if view is not None:  # legacy storage views: (view_key, offset, size) within the root storage
            _, offset, size = view
            storage = storage.view_of(int(offset), int(size))
        return storage

    def _resolve(self, module: str, name: str) -> Any:
        builder = self._builder
        simple = {
            "collections.OrderedDict": OrderedDict, "collections.Counter": Counter, "_codecs.encode": codecs.encode,
            "builtins.bytearray": bytearray, "builtins.set": set, "builtins.complex": complex,
            "torch.Size": tuple, "torch.device": _device, "torch.serialization._get_layout": TorchMarker,
            "torch._utils._rebuild_tensor": builder.rebuild_tensor,
            "torch._utils._rebuild_tensor_v2": builder.rebuild_tensor_v2,
            "torch._utils._rebuild_tensor_v3": builder.rebuild_tensor_v3,
            "torch._utils._rebuild_parameter": builder.rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": builder.rebuild_parameter_with_state,
            "torch._utils._rebuild_device_tensor_from_cpu_tensor": _rebuild_device_tensor_from_cpu_tensor,
            "torch._tensor._rebuild_from_type_v2": builder.rebuild_from_type_v2,
        }
        full = f"{module}.{name}"
        if full in simple:
            return simple[full]
        if module == "torch._utils":
            return _unsupported(self.source, _UNSUPPORTED_REBUILDS[name])
        if name.endswith("Storage"):
            return StorageType(name)
        if module == "torch" and name in _DTYPE_NAMES:
            return _dtype(name)
        return TorchMarker(full[len("torch."):])


def _dtype(name: str) -> Any:
    """``tensorlib.<name>`` when tensorlib has that dtype, else a marker carrying the torch name."""
    return _tl_dtypes._BY_NAME.get(name) or TorchMarker(name)


def _device(*args: Any) -> str:
    return ":".join(str(a) for a in args)


def _rebuild_device_tensor_from_cpu_tensor(data: Any, dtype: Any, device: Any, requires_grad: bool) -> Any:
    data.requires_grad = bool(requires_grad)
    return data


def _unsupported(source: str, what: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise pickle.UnpicklingError(f"{source}: the file holds {what}, which tensorlib does not support")
    return refuse


__all__ = ["ALLOWED_GLOBALS", "StorageType", "TorchMarker", "TorchUnpickler", "allowed_globals"]
