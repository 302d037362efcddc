"""Reader for the IDX format of MNIST-family files (big-endian header, then raw big-endian data)."""

from __future__ import annotations

import math
import os

import numpy as np

from ._errors import CorruptDatasetError

# type code -> big-endian dtype (from the IDX spec: 0x08 ubyte ... 0x0E double)
_IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_MAX_NDIM = 32  # NumPy allows 64; no IDX file has more than 4


def read_idx(path: str, expected_ndim: int | None = None) -> np.ndarray:
    """Read an IDX file into a native-endian array of shape ``dims`` from its header.

    Raises ``CorruptDatasetError`` (a ``RuntimeError``) naming the file when the magic number, the number of
    dimensions, a dimension (negative) or the file size does not match what the header says.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        header = f.read(4)
        if len(header) < 4 or header[0] != 0 or header[1] != 0 or header[2] not in _IDX_DTYPES:
            raise CorruptDatasetError(f"{path!r} is not an IDX file: expected a magic number 0x0000 followed by "
                                      f"a type code in {sorted(_IDX_DTYPES)}, got {header.hex() or 'an empty file'}")
        dtype, ndim = _IDX_DTYPES[header[2]], header[3]
        if expected_ndim is not None and ndim != expected_ndim:
            raise CorruptDatasetError(f"{path!r}: expected an IDX file with {expected_ndim} dimensions, got {ndim}")
        if ndim > _MAX_NDIM:
            raise CorruptDatasetError(f"{path!r}: IDX header declares {ndim} dimensions (at most {_MAX_NDIM})")
        dims_raw = f.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise CorruptDatasetError(f"{path!r}: truncated IDX header ({size} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">i4"))
    if any(d < 0 for d in dims):
        raise CorruptDatasetError(f"{path!r}: IDX header declares a negative dimension in {dims}")
    offset = 4 + 4 * ndim
    count = math.prod(dims)  # Python ints: no overflow for any header
    expected_size = offset + count * dtype.itemsize
    if size != expected_size:
        raise CorruptDatasetError(f"{path!r}: IDX header says shape {dims} of {dtype.name} "
                                  f"({expected_size} bytes), but the file has {size} bytes")
    data = np.fromfile(path, dtype=dtype, count=count, offset=offset)
    if data.size != count:  # the file shrank after it was measured
        raise CorruptDatasetError(f"{path!r}: truncated while reading ({data.size} of {count} values)")
    return data.astype(dtype.newbyteorder("="), copy=False).reshape(dims)
