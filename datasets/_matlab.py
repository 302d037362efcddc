"""A small validating reader for MATLAB level-5 ``.mat`` files: numeric arrays only (enough for SVHN).

Format (MathWorks "MAT-File Format", level 5): a 128-byte header (text, subsystem offset, version,
endian indicator 'IM'/'MI'), then data elements, each an 8-byte tag (type, byte count) or a 4-byte "small
element" tag, padded to 8 bytes. A variable is a ``miMATRIX`` element (possibly inside ``miCOMPRESSED``,
zlib) holding array flags (class), dimensions, name and the real part in column-major order.

Every tag is checked before use (sizes inside the buffer, known element types, non-negative dimensions whose
product matches the stored values, ASCII names, no duplicate names) and a compressed element is inflated
with a size cap, so any malformed file raises ``CorruptDatasetError`` naming the file and the fault.
"""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np

from ._errors import CorruptDatasetError

_MI_INT8, _MI_INT32, _MI_UINT32, _MI_MATRIX, _MI_COMPRESSED = 1, 5, 6, 14, 15
_MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8",
              16: "u1"}
# mxClass -> dtype the array has in MATLAB (the stored element type may be narrower).
_MX_DTYPES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4", 14: "i8", 15: "u8"}
_COMPLEX_FLAG = 0x0800
_MAX_NDIM = 32
_MAX_INFLATED = 4 << 30  # SVHN's largest variable is 1.6 GB: a bigger inflation is refused, not attempted


class _Malformed(Exception):
    """Raised inside the parser; ``load_mat`` turns it into ``CorruptDatasetError`` naming the file."""


def load_mat(path: str) -> dict:
    """Read every numeric variable of a level-5 ``.mat`` file into ``{name: ndarray}``.

    Raises ``CorruptDatasetError`` (a ``RuntimeError``) naming the file for a v7.3 (HDF5) or v4 file,
    sparse/cell/struct/complex variables, or truncated and malformed data.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 128:
        raise CorruptDatasetError(f"{path!r} is not a MATLAB 5 .mat file: only {len(data)} bytes")
    endian = {b"IM": "<", b"MI": ">"}.get(data[126:128])
    version = int.from_bytes(data[124:126], "little" if endian == "<" else "big") if endian else None
    if endian is None or version != 0x0100:
        raise CorruptDatasetError(f"{path!r} is not a MATLAB level-5 .mat file (header version "
                                  f"{data[124:128]!r}); v7.3 (HDF5) files are not supported")
    result: dict = {}
    try:
        for kind, body in _elements(data, 128, endian):
            if kind == _MI_COMPRESSED:
                for inner_kind, inner_body in _elements(_inflate(body), 0, endian):
                    _add_matrix(result, inner_kind, inner_body, endian)
            else:
                _add_matrix(result, kind, body, endian)
    except _Malformed as error:
        raise CorruptDatasetError(f"{path!r}: malformed .mat data: {error}") from None
    return result


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(body, _MAX_INFLATED)
    except zlib.error as error:
        raise _Malformed(f"compressed element is damaged ({error})") from None
    if inflater.unconsumed_tail:
        raise _Malformed(f"compressed element inflates beyond {_MAX_INFLATED} bytes")
    if not inflater.eof:
        raise _Malformed("compressed element is truncated")
    return inflated


def _elements(data: bytes, offset: int, endian: str):
    """Yield ``(type, payload bytes)`` for each data element from ``offset`` to the end of ``data``."""
    tag = struct.Struct(endian + "I")
    while offset < len(data):
        if offset + 8 > len(data):
            if data[offset:].strip(b"\0"):
                raise _Malformed(f"truncated element tag at byte {offset}")
            return  # zero padding at the end
        first = tag.unpack_from(data, offset)[0]
        if first >> 16:  # small data element: size in the upper half, payload in the same 8 bytes
            kind, size = first & 0xFFFF, first >> 16
            if size > 4:
                raise _Malformed(f"small element at byte {offset} declares {size} bytes (at most 4)")
            yield kind, data[offset + 4: offset + 4 + size]
            offset += 8
            continue
        size = tag.unpack_from(data, offset + 4)[0]
        end = offset + 8 + size
        if end > len(data):
            raise _Malformed(f"element at byte {offset} needs {size} bytes, {len(data) - offset - 8} remain")
        yield first, data[offset + 8: end]
        # compressed elements are not padded; everything else is padded to 8 bytes
        offset = end if first == _MI_COMPRESSED else end + (-size % 8)


def _typed(kind: int, raw: bytes, endian: str, what: str) -> np.ndarray:
    if kind not in _MI_DTYPES:
        raise _Malformed(f"{what} has unknown element type {kind}")
    dtype = np.dtype(endian + _MI_DTYPES[kind])
    if len(raw) % dtype.itemsize:
        raise _Malformed(f"{what} holds {len(raw)} bytes, not a multiple of its {dtype.itemsize}-byte type")
    return np.frombuffer(raw, dtype)


def _add_matrix(result: dict, kind: int, body: bytes, endian: str) -> None:
    if kind != _MI_MATRIX:
        return
    parts = list(_elements(body, 0, endian))
    if len(parts) < 4:
        raise _Malformed("matrix element with fewer than 4 sub-elements")
    (flags_kind, flags), (dims_kind, dims_raw), (name_kind, name_raw), (data_kind, values) = parts[:4]
    if name_kind not in (_MI_INT8, 2) or not name_raw.isascii():
        raise _Malformed(f"variable name {name_raw[:40]!r} is not ASCII text")
    name = name_raw.decode("ascii")
    if flags_kind != _MI_UINT32 or len(flags) != 8:
        raise _Malformed(f"variable {name!r}: array flags must be two uint32 values")
    flag_word = struct.unpack_from(endian + "I", flags)[0]
    mx_class = flag_word & 0xFF
    if mx_class not in _MX_DTYPES:
        raise _Malformed(f"variable {name!r} has MATLAB class {mx_class}; only numeric arrays are supported")
    if flag_word & _COMPLEX_FLAG or len(parts) > 4:
        raise _Malformed(f"variable {name!r} is complex; only real arrays are supported")
    if dims_kind != _MI_INT32:
        raise _Malformed(f"variable {name!r}: dimensions must be int32 (element type {dims_kind})")
    dims = tuple(int(d) for d in _typed(dims_kind, dims_raw, endian, f"variable {name!r} dimensions"))
    if not 2 <= len(dims) <= _MAX_NDIM or any(d < 0 for d in dims):
        raise _Malformed(f"variable {name!r}: dimensions {dims[:8]} are not 2 to {_MAX_NDIM} non-negative sizes")
    stored = _typed(data_kind, values, endian, f"variable {name!r} data")
    if stored.size != math.prod(dims):
        raise _Malformed(f"variable {name!r}: dimensions {dims} but {stored.size} values")
    if name in result:
        raise _Malformed(f"variable {name!r} appears twice")
    result[name] = stored.astype(_MX_DTYPES[mx_class]).reshape(dims, order="F")
