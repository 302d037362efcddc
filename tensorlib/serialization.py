"""``save``/``load`` without pickle: nothing in a file can execute code when loaded.

* A flat ``dict[str, Tensor]`` (a state_dict) is written in the safetensors layout: an 8-byte little-endian
  header length, a JSON header (dtype, shape, byte offsets per tensor), then the raw little-endian bytes. The
  ``safetensors`` package reads these files and we read its files.
* Anything else (a tensor, nested dicts/lists/tuples of tensors, numbers, strings, None; optimizer state with
  int keys) is a zip holding ``structure.json`` and one safetensors part with all tensors.

A sha256 of the tensor bytes is stored in the header metadata and checked on load, and zip members carry
CRCs, so a truncated or tampered file raises instead of loading wrong numbers. Files are written to a
temporary name in the target folder and renamed into place atomically.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import struct
import zipfile
from collections import OrderedDict

from . import dtypes as _dtypes
from ._atomic import atomic_write
from ._backend import xp
from .errors import CorruptFileError
from .tensor import Tensor

_TO_SAFETENSORS = {"float32": "F32", "float64": "F64", "float16": "F16", "int64": "I64", "int32": "I32",
                   "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}
_FROM_SAFETENSORS = {v: k for k, v in _TO_SAFETENSORS.items()}
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_HEADER = 100 * 1024 * 1024


# ------------------------------------------------------------------------------------------ safetensors
def _safetensors_bytes(tensors: dict, metadata: dict = None) -> bytes:
    header, chunks, offset = {}, [], 0
    digest = hashlib.sha256()
    for name, t in tensors.items():
        source = t._data if isinstance(t, Tensor) else t
        # ascontiguousarray makes 0-d arrays 1-d: restore the shape so scalars round-trip as scalars
        array = xp.ascontiguousarray(source).reshape(source.shape)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        raw = array.tobytes()
        header[name] = {"dtype": _TO_SAFETENSORS[array.dtype.name], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        digest.update(raw)
        offset += len(raw)
    meta = {"format": "pt", "producer": "tensorlib", "sha256": digest.hexdigest()}
    meta.update(metadata or {})
    header["__metadata__"] = meta
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # keep the data section 8-byte aligned, as safetensors does
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks)


def _read_safetensors(raw: bytes, source: str) -> dict:
    if len(raw) < 8:
        raise CorruptFileError(f"{source}: file is truncated ({len(raw)} bytes): not a tensor file")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > min(_MAX_HEADER, len(raw) - 8):
        raise CorruptFileError(f"{source}: header length {header_len} exceeds the file size: file is truncated or "
                               "not a tensor file")
    try:
        header = json.loads(raw[8:8 + header_len].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"{source}: unreadable header ({exc})") from None
    data = memoryview(raw)[8 + header_len:]
    metadata = header.pop("__metadata__", {}) or {}
    end = max((info["data_offsets"][1] for info in header.values()), default=0)
    if end > len(data):
        raise CorruptFileError(f"{source}: file is truncated: tensor data needs {end} bytes, found {len(data)}")
    expected = metadata.get("sha256")
    if expected is not None and hashlib.sha256(data[:end]).hexdigest() != expected:
        raise CorruptFileError(f"{source}: checksum mismatch: the tensor data was modified or corrupted")
    tensors = {}
    for name, info in header.items():
        try:
            np_dtype = xp.dtype(_FROM_SAFETENSORS[info["dtype"]])
        except KeyError:
            raise CorruptFileError(f"{source}: tensor '{name}' has unsupported dtype {info['dtype']}") from None
        start, stop = info["data_offsets"]
        shape = tuple(info["shape"])
        count = math.prod(shape)
        if stop - start != count * np_dtype.itemsize:
            raise CorruptFileError(f"{source}: tensor '{name}' byte range does not match its shape {list(shape)}")
        array = xp.frombuffer(data[start:stop], dtype=np_dtype.newbyteorder("<")).astype(np_dtype).reshape(shape)
        tensors[name] = Tensor._wrap(array)
    return tensors


# ------------------------------------------------------------------------------------------ structure
def _encode(obj, tensors: dict):
    if isinstance(obj, Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = obj.detach()
        return {"__tensor__": key, "requires_grad": bool(obj.requires_grad),
                "parameter": type(obj).__name__ == "Parameter"}
    if isinstance(obj, xp.ndarray):
        key = f"t{len(tensors)}"
        tensors[key] = obj
        return {"__ndarray__": key}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, xp.integer)):
        return int(obj)
    if isinstance(obj, (float, xp.floating)):
        value = float(obj)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(obj, _dtypes.dtype):
        return {"__dtype__": obj.name}
    if isinstance(obj, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(bytes(obj)).decode()}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, tensors), _encode(v, tensors)] for k, v in obj.items()],
                "ordered": isinstance(obj, OrderedDict)}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, tensors) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, tensors) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return {"__set__": [_encode(v, tensors) for v in obj]}
    if callable(getattr(obj, "state_dict", None)):
        raise _whole_object_error(obj)
    raise TypeError(f"tensorlib.save can't store an object of type {type(obj).__name__}: supported are tensors, "
                    "NumPy arrays, dicts, lists, tuples, sets, numbers, strings, bytes, dtypes and None "
                    "(no pickle, so files never execute code on load)")


def _decode(obj, tensors: dict):
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        t = tensors[obj["__tensor__"]]
        if obj.get("parameter"):
            from .nn.parameter import Parameter

            return Parameter(t, requires_grad=obj.get("requires_grad", True))
        if obj.get("requires_grad"):
            t.requires_grad = True
        return t
    if "__ndarray__" in obj:
        return tensors[obj["__ndarray__"]]._data
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__dtype__" in obj:
        return _dtypes._by_name(obj["__dtype__"])
    if "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    if "__dict__" in obj:
        items = [(_decode(k, tensors), _decode(v, tensors)) for k, v in obj["__dict__"]]
        return OrderedDict(items) if obj.get("ordered") else dict(items)
    if "__tuple__" in obj:
        return tuple(_decode(v, tensors) for v in obj["__tuple__"])
    if "__set__" in obj:
        return set(_decode(v, tensors) for v in obj["__set__"])
    raise CorruptFileError(f"unknown entry in structure.json: {sorted(obj)}")


def _is_flat_state(obj) -> bool:
    return isinstance(obj, dict) and len(obj) > 0 and all(
        isinstance(k, str) and type(v) is Tensor for k, v in obj.items())


def _serialize(obj) -> bytes:
    if _is_flat_state(obj):
        return _safetensors_bytes(obj)
    tensors: dict = {}
    structure = _encode(obj, tensors)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("structure.json", json.dumps({"format": "tensorlib", "version": 1, "root": structure}))
        archive.writestr("tensors.safetensors", _safetensors_bytes(tensors))
    return buffer.getvalue()


def _whole_object_error(obj) -> TypeError:
    return TypeError(f"tensorlib.save can't store a whole {type(obj).__name__} object: files never hold code "
                     "(no pickle). Save its state instead, tensorlib.save(obj.state_dict(), path), and restore "
                     "it into an object your script builds: obj.load_state_dict(tensorlib.load(path))")


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True, *,
         format: str = "tensorlib") -> None:
    """Save ``obj`` to a path (atomically: temp file + rename) or a writable binary file object.

    ``format="torch"`` writes PyTorch's zip format (``torch.load(f, weights_only=True)`` opens it).
    """
    if callable(getattr(obj, "state_dict", None)):
        raise _whole_object_error(obj)
    if format not in ("tensorlib", "torch"):
        raise ValueError(f"unknown format {format!r}: expected 'tensorlib' or 'torch'")
    from ._torch_format import torch_bytes

    payload = torch_bytes(obj) if format == "torch" else _serialize(obj)
    if hasattr(f, "write"):
        f.write(payload)
        return
    with atomic_write(f) as out:
        out.write(payload)


def load(f, map_location=None, weights_only=None, mmap=None, **kwargs):
    """Load an object written by ``save`` (or any safetensors file). Never executes code."""
    if hasattr(f, "read"):
        raw, source = f.read(), getattr(f, "name", "<file object>")
    else:
        source = os.fspath(f)
        with open(source, "rb") as handle:
            raw = handle.read()
    from ._torch_format import is_torch_file, load_torch_bytes

    if is_torch_file(raw):  # written by torch.save: restricted unpickler (torch.load(weights_only=True)'s list)
        return load_torch_bytes(raw, source, map_location)
    if raw[:4] == _ZIP_MAGIC:
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                structure = json.loads(archive.read("structure.json").decode())
                tensors = _read_safetensors(archive.read("tensors.safetensors"), source)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError, OSError) as exc:
            raise CorruptFileError(f"{source}: damaged or truncated archive ({exc})") from None
        if structure.get("format") != "tensorlib":
            raise CorruptFileError(f"{source}: not a tensorlib file (is it a PyTorch pickle? those are not loaded "
                                   "because unpickling can execute code; re-save it with safetensors)")
        return _decode(structure["root"], tensors)
    return _read_safetensors(raw, source)
