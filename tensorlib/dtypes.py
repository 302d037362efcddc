"""PyTorch-named dtypes over NumPy dtypes, and PyTorch's type-promotion rules.

float32 is the default float and int64 the default int; a Python scalar never upcasts a tensor within its
category (``float32_tensor * 0.5`` stays float32), int/int true division gives the default float.
"""

from __future__ import annotations

from ._backend import xp
from .errors import CPU_ONLY_HINT


class dtype:
    """A tensor element type (``tensorlib.float32`` ...), a thin named wrapper over a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = xp.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"tensorlib.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> dtype:
        return self


float32 = dtype("float32", "float32", 2)
float64 = dtype("float64", "float64", 2)
float16 = dtype("float16", "float16", 2)
int64 = dtype("int64", "int64", 1)
int32 = dtype("int32", "int32", 1)
int16 = dtype("int16", "int16", 1)
int8 = dtype("int8", "int8", 1)
uint8 = dtype("uint8", "uint8", 1)
bool = dtype("bool", "bool", 0)  # noqa: A001 - PyTorch's name
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool)
_FROM_NUMPY = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
                 "short": int16})


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype) -> dtype:
    """Map a NumPy dtype to ours; unsupported ones (complex, strings, uint16...) raise TypeError."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NUMPY[xp.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert NumPy array of type {np_dtype}: the supported types are "
            + ", ".join(d.name for d in ALL)) from None


def to_numpy_dtype(d):
    """Accept a tensorlib dtype, a NumPy dtype, a Python type or a name and return the NumPy dtype."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.np
    if d is _pyfloat:
        return _default_float.np
    if d is _pyint:
        return int64.np
    if d is _pybool:
        return bool.np
    if isinstance(d, str):
        name = d.replace("torch.", "").replace("tensorlib.", "")
        if name in _BY_NAME:
            return _BY_NAME[name].np
    return from_numpy_dtype(d).np


_pyfloat = 1.0.__class__
_pyint = (1).__class__
_pybool = True.__class__


def category_of_scalar(value) -> int:
    if isinstance(value, _pybool):
        return 0
    if isinstance(value, _pyint):
        return 1
    return 2


def scalar_result_dtype(array_dtype, value):
    """Result NumPy dtype of ``array (op) python_scalar`` under PyTorch's rules."""
    kind = array_dtype.kind
    array_category = 0 if kind == "b" else (2 if kind == "f" else 1)
    scalar_category = category_of_scalar(value)
    if scalar_category <= array_category:
        return array_dtype
    return _default_float.np if scalar_category == 2 else int64.np


def result_dtype(a_dtype, b_dtype):
    """Result NumPy dtype of ``array (op) array``: the higher category wins, ties promote as NumPy does."""
    if a_dtype == b_dtype:
        return a_dtype
    ka, kb = a_dtype.kind, b_dtype.kind
    ca = 0 if ka == "b" else (2 if ka == "f" else 1)
    cb = 0 if kb == "b" else (2 if kb == "f" else 1)
    if ca == cb:
        return xp.promote_types(a_dtype, b_dtype)
    return a_dtype if ca > cb else b_dtype


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int"}


def cpp_name(np_dtype) -> str:
    """The C++ scalar type name PyTorch's dtype-mismatch errors print (``float``, ``double``, ``long int``)."""
    return _CPP_NAMES.get(np_dtype.name, np_dtype.name)


_LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
                 "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
                 "bool": "BoolTensor"}


def legacy_type_name(np_dtype) -> str:
    """PyTorch's legacy type name for a tensor of this dtype, e.g. ``'torch.FloatTensor'`` (``Tensor.type()``)."""
    return "torch." + _LEGACY_NAMES[xp.dtype(np_dtype).name]


def scalar_type_name(np_dtype) -> str:
    """PyTorch's C++ scalar type name used in its error messages: ``'Float'``, ``'Long'``, ``'Bool'``..."""
    return _LEGACY_NAMES[xp.dtype(np_dtype).name][:-len("Tensor")]


def from_legacy_type(value) -> dtype:
    """The dtype ``Tensor.type(value)`` converts to: a dtype, a legacy type (``tensorlib.FloatTensor``) or its
    name (``'torch.FloatTensor'``, ``'tensorlib.LongTensor'``)."""
    if isinstance(value, dtype):
        return value
    if isinstance(getattr(value, "dtype", None), dtype):  # the legacy type classes carry their dtype
        return value.dtype
    if isinstance(value, str):
        prefix, _, name = value.rpartition(".")
        if prefix.endswith("cuda"):
            raise RuntimeError(f"tensorlib runs on the CPU only, so '{value}' is not available: {CPU_ONLY_HINT}")
        by_legacy = {legacy: _BY_NAME[np_name] for np_name, legacy in _LEGACY_NAMES.items()}
        if prefix in ("torch", "tensorlib") and name in by_legacy:
            return by_legacy[name]
        raise ValueError(f"invalid type: '{value}'")
    return from_numpy_dtype(to_numpy_dtype(value))
