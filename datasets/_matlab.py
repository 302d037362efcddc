"""A small reader for MATLAB level-5 ``.mat`` files: numeric arrays only (enough for SVHN).

Format (MathWorks "MAT-File Format", level 5): a 128-byte header (text, subsystem offset, version,
endian indicator 'IM'/'MI'), then data elements, each an 8-byte tag (type, byte count) or a 4-byte "small
element" tag, padded to 8 bytes. A variable is a ``miMATRIX`` element (possibly inside ``miCOMPRESSED``,
zlib) holding array flags (class), dimensions, name and the real part in column-major order.
"""

from __future__ import annotations

import zlib

import numpy as np

_MI_MATRIX, _MI_COMPRESSED = 14, 15
_MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8",
              16: "u1"}
# mxClass -> dtype the array has in MATLAB (the stored element type may be narrower).
_MX_DTYPES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4", 14: "i8", 15: "u8"}


def load_mat(path: str) -> dict:
    """Read every numeric variable of a level-5 ``.mat`` file into ``{name: ndarray}``.

    Raises ``RuntimeError`` naming the file for a v7.3 (HDF5) or v4 file, sparse/cell/struct variables,
    or truncated data.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 128:
        raise RuntimeError(f"{path!r} is not a MATLAB 5 .mat file: only {len(data)} bytes")
    endian = {b"IM": "<", b"MI": ">"}.get(data[126:128])
    version = int.from_bytes(data[124:126], "little" if endian == "<" else "big") if endian else None
    if endian is None or version != 0x0100:
        raise RuntimeError(f"{path!r} is not a MATLAB level-5 .mat file (header version {data[124:128]!r}); "
                           "v7.3 (HDF5) files are not supported")
    result: dict = {}
    try:
        for kind, body in _elements(data, 128, endian):
            if kind == _MI_COMPRESSED:
                inner = zlib.decompress(body)
                for inner_kind, inner_body in _elements(inner, 0, endian):
                    _add_matrix(result, inner_kind, inner_body, endian, path)
            else:
                _add_matrix(result, kind, body, endian, path)
    except (ValueError, zlib.error, IndexError) as error:
        raise RuntimeError(f"{path!r}: malformed .mat data: {error}") from error
    return result


def _elements(data: bytes, offset: int, endian: str):
    """Yield ``(type, payload bytes)`` for each data element from ``offset`` to the end of ``data``."""
    u32 = np.dtype(endian + "u4")
    while offset + 4 <= len(data):
        first = int(np.frombuffer(data, u32, 1, offset)[0])
        if first >> 16:  # small data element: size in the upper half, payload in the same 8 bytes
            kind, size = first & 0xFFFF, first >> 16
            yield kind, data[offset + 4: offset + 4 + size]
            offset += 8
            continue
        if offset + 8 > len(data):
            raise ValueError(f"truncated element tag at byte {offset}")
        size = int(np.frombuffer(data, u32, 1, offset + 4)[0])
        end = offset + 8 + size
        if end > len(data):
            raise ValueError(f"element at byte {offset} needs {size} bytes, {len(data) - offset - 8} remain")
        yield first, data[offset + 8: end]
        # compressed elements are not padded; everything else is padded to 8 bytes
        offset = end if first == _MI_COMPRESSED else end + (-size % 8)


def _add_matrix(result: dict, kind: int, body: bytes, endian: str, path: str) -> None:
    if kind != _MI_MATRIX:
        return
    parts = list(_elements(body, 0, endian))
    if len(parts) < 4:
        raise ValueError("matrix element with fewer than 4 sub-elements")
    (_, flags), (dims_kind, dims_raw), (_, name_raw), (data_kind, values) = parts[:4]
    mx_class = int(np.frombuffer(flags[:4], endian + "u4")[0]) & 0xFF
    name = name_raw.decode("ascii", "replace")
    if mx_class not in _MX_DTYPES:
        raise RuntimeError(f"{path!r}: variable {name!r} has MATLAB class {mx_class}; only numeric arrays "
                           "are supported")
    dims = tuple(int(d) for d in np.frombuffer(dims_raw, endian + _MI_DTYPES[dims_kind]))
    stored = np.frombuffer(values, endian + _MI_DTYPES[data_kind])
    if stored.size != int(np.prod(dims, dtype=np.int64)):
        raise ValueError(f"variable {name!r}: dimensions {dims} but {stored.size} values")
    result[name] = stored.astype(_MX_DTYPES[mx_class]).reshape(dims, order="F")
