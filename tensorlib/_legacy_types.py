"""PyTorch's legacy tensor types: ``tensorlib.FloatTensor([1, 2])``, ``FloatTensor(2, 3)``,
``isinstance(t, tensorlib.LongTensor)`` and ``t.type(tensorlib.DoubleTensor)``."""

from __future__ import annotations

from . import dtypes as _dtypes
from .tensor import Tensor

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
           "LongTensor", "ShortTensor"]


class _LegacyTensorType(type):
    """The metaclass: calling a legacy type builds a Tensor of its dtype; ``isinstance`` checks the dtype."""

    def __call__(cls, *args, device=None) -> Tensor:
        return Tensor(*args, dtype=cls.dtype, device=device)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'tensorlib.{cls.__name__}'>"


def _legacy_type(name: str, dtype: _dtypes.dtype) -> type:
    return _LegacyTensorType(name, (), {"dtype": dtype, "__module__": "tensorlib",
                                        "__doc__": f"Legacy constructor of {dtype} tensors (``torch.{name}``)."})


FloatTensor = _legacy_type("FloatTensor", _dtypes.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtypes.float64)
HalfTensor = _legacy_type("HalfTensor", _dtypes.float16)
LongTensor = _legacy_type("LongTensor", _dtypes.int64)
IntTensor = _legacy_type("IntTensor", _dtypes.int32)
ShortTensor = _legacy_type("ShortTensor", _dtypes.int16)
CharTensor = _legacy_type("CharTensor", _dtypes.int8)
ByteTensor = _legacy_type("ByteTensor", _dtypes.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtypes.bool)
