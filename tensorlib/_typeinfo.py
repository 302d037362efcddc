"""``finfo`` and ``iinfo``: the numerical limits of a dtype, with PyTorch's attribute names and repr."""

from __future__ import annotations

from typing import Optional

from . import dtypes as _dtypes
from ._backend import xp


class finfo:
    """Limits of a floating-point dtype (the default float dtype when none is given), like ``torch.finfo``:
    ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution`` and ``dtype`` (a name)."""

    def __init__(self, type: Optional[_dtypes.dtype] = None):
        np_dtype = _dtypes.get_default_dtype().np if type is None else _dtypes.to_numpy_dtype(type)
        if np_dtype.kind != "f":
            raise TypeError("tensorlib.finfo() requires a floating point input type. Use tensorlib.iinfo to handle "
                            "'tensorlib.finfo'")
        info = xp.finfo(np_dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = np_dtype.name

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype, like ``torch.iinfo``: ``bits``, ``max``, ``min`` and ``dtype`` (a name)."""

    def __init__(self, type: _dtypes.dtype):
        np_dtype = _dtypes.to_numpy_dtype(type)
        if np_dtype.kind == "b":
            raise TypeError("tensorlib.bool is not supported by tensorlib.iinfo")
        if np_dtype.kind not in "iu":
            raise TypeError("tensorlib.iinfo() requires an integer input type. Use tensorlib.finfo to handle "
                            "'tensorlib.iinfo'")
        info = xp.iinfo(np_dtype)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = np_dtype.name

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
