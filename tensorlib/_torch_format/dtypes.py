"""PyTorch storage and dtype names <-> NumPy dtypes, and the conversions for dtypes tensorlib lacks.

tensorlib has float32/64/16, int64/32/16/8, uint8 and bool. Storages of other PyTorch dtypes are widened on
load so no value changes: bfloat16 -> float32 (exact: bfloat16 is the top half of a float32), uint16 -> int32,
uint32 -> int64. Complex, quantized, float8 and uint64 storages are refused with the tensor's key named.
"""

from __future__ import annotations

import numpy as np

# torch dtype name -> (NumPy dtype of the bytes on disk, element size)
STORAGE_DTYPES = {
    "float32": np.dtype("float32"), "float64": np.dtype("float64"), "float16": np.dtype("float16"),
    "bfloat16": np.dtype("uint16"), "int64": np.dtype("int64"), "int32": np.dtype("int32"),
    "int16": np.dtype("int16"), "int8": np.dtype("int8"), "uint8": np.dtype("uint8"), "bool": np.dtype("bool"),
    "uint16": np.dtype("uint16"), "uint32": np.dtype("uint32"),
}

# legacy typed storage class -> torch dtype name
STORAGE_CLASSES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
    "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8",
    "QUInt8Storage": "quint8", "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4", "UntypedStorage": "uint8",
}
CLASS_OF_DTYPE = {name: cls for cls, name in STORAGE_CLASSES.items() if cls != "UntypedStorage"}

# what tensorlib keeps for each storage dtype (after widening)
LOADED_AS = {"bfloat16": "float32", "uint16": "int32", "uint32": "int64"}


def disk_dtype(name: str, byteorder: str, where: str) -> np.dtype:
    """The NumPy dtype of a storage's raw bytes; TypeError naming ``where`` for unsupported dtypes."""
    try:
        dtype = STORAGE_DTYPES[name]
    except KeyError:
        supported = ", ".join(sorted(STORAGE_DTYPES))
        raise TypeError(f"{where}: PyTorch dtype {name} is not supported by tensorlib (supported: {supported})") \
            from None
    return dtype.newbyteorder("<" if byteorder == "little" else ">")


def to_tensorlib_array(raw: np.ndarray, name: str) -> np.ndarray:
    """Native-order array of a dtype tensorlib has, converting ``raw`` (storage bytes viewed as
    ``disk_dtype``) when needed. bfloat16 bits shifted into the high half of a float32 are the same number."""
    if name == "bfloat16":
        return (raw.astype(np.uint32) << 16).view(np.float32)
    if name in LOADED_AS:
        return raw.astype(LOADED_AS[name])
    return raw.astype(raw.dtype.newbyteorder("="), copy=not raw.flags.writeable)
