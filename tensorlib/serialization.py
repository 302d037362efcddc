"""``save``/``load`` without pickle: nothing in a file can execute code when loaded.

* A flat ``dict[str, Tensor]`` (a state_dict) is written in the safetensors layout: an 8-byte little-endian
  header length, a JSON header (dtype, shape, byte offsets per tensor), then the raw little-endian bytes. The
  ``safetensors`` package reads these files and we read its files.
* Anything else (a tensor, nested dicts/lists/tuples of tensors, numbers, strings, None; optimizer state with
  int keys) is a zip holding ``structure.json`` and one safetensors part with all tensors.

A sha256 of the whole file (header and tensor bytes; in a zip also of ``structure.json``) is stored in the header
metadata and checked on load, and every structural fact of a file is validated before it is used (see
``_checkpoint_format``), so a truncated, tampered or hostile file raises ``CorruptFileError`` naming the file
instead of loading wrong numbers. Files are written to a temporary name in the target folder and renamed into
place atomically.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
import os
import zipfile
from collections import OrderedDict

from . import dtypes as _dtypes
from ._atomic import atomic_write
from ._backend import xp
from ._checkpoint_format import (
    STRUCTURE_DEPTH,
    STRUCTURE_DIGEST_KEY,
    TO_SAFETENSORS,
    ZIP_MAGIC,
    CorruptFileError,
    check_structure_digest,
    describe_foreign,
    encode_safetensors,
    parse_structure,
    read_archive,
    read_safetensors,
)
from ._parameter import Parameter
from ._strict_json import nesting_depth
from ._torch_format import is_torch_file, load_torch_bytes, torch_bytes
from .tensor import Tensor

__all__ = ["CorruptFileError", "load", "save"]


# ------------------------------------------------------------------------------------------ safetensors
def _safetensors_bytes(tensors: dict, metadata: dict = None) -> bytes:
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        source = t._data if isinstance(t, Tensor) else t
        # ascontiguousarray makes 0-d arrays 1-d: restore the shape so scalars round-trip as scalars
        array = xp.ascontiguousarray(source).reshape(source.shape)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        raw = array.tobytes()
        header[name] = {"dtype": TO_SAFETENSORS[array.dtype.name], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    return encode_safetensors(header, chunks, metadata or {})


def _read_safetensors(raw: bytes, source: str) -> dict:
    arrays, _ = read_safetensors(raw, source)
    return {name: Tensor._wrap(array) for name, array in arrays.items()}


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


_MARKER_FIELDS = {"__tensor__": {"requires_grad", "parameter"}, "__ndarray__": set(), "__float__": set(),
                  "__dtype__": set(), "__bytes__": set(), "__dict__": {"ordered"}, "__tuple__": set(),
                  "__set__": set()}
_NON_FINITE = {"nan", "inf", "-inf"}


class _Decoder:
    """Rebuilds the object of ``structure.json`` from its JSON form, checking every entry before using it: each
    tensor is referenced exactly once, markers carry only their own fields of the right types, dict keys and
    set items are hashable and unique. Any violation is ``CorruptFileError`` naming the file."""

    def __init__(self, tensors: dict, source: str) -> None:
        self.tensors = tensors
        self.unused = set(tensors)
        self.source = source

    def fail(self, problem: str) -> CorruptFileError:
        return CorruptFileError(f"{self.source}: structure.json: {problem}")

    def decode_root(self, obj):
        try:
            result = self.decode(obj)
        except RecursionError:  # only when load itself is called from deep inside a recursion
            raise self.fail("nested too deeply to rebuild from this call depth") from None
        if self.unused:
            raise self.fail(f"tensors {sorted(self.unused)[:5]} are stored but never referenced")
        return result

    def decode(self, obj):
        if isinstance(obj, list):
            return [self.decode(v) for v in obj]
        if not isinstance(obj, dict):
            return obj  # None, bool, int, float, str: the strict JSON parser bounded them already
        markers = [key for key in obj if key in _MARKER_FIELDS]
        if len(markers) != 1 or not set(obj) - {markers[0]} <= _MARKER_FIELDS[markers[0]]:
            raise self.fail(f"unknown entry with fields {sorted(obj)[:8]}")
        marker = markers[0]
        value = obj[marker]
        flags = {key: obj[key] for key in obj if key != marker}
        if not all(isinstance(flag, bool) for flag in flags.values()):
            raise self.fail(f"{marker} entry has non-boolean flags {flags}")
        if marker in ("__dict__", "__tuple__", "__set__"):
            if not isinstance(value, list):
                raise self.fail(f"{marker} must hold a list, got {type(value).__name__}")
            return self.container(marker, value, flags.get("ordered", False))
        if not isinstance(value, str):
            raise self.fail(f"{marker} must hold a string, got {type(value).__name__}")
        if marker == "__tensor__":
            return self.tensor(value, flags)
        if marker == "__ndarray__":
            return self.take(value).numpy()
        if marker == "__float__":
            if value not in _NON_FINITE:
                raise self.fail(f"__float__ holds {value[:20]!r}, expected one of {sorted(_NON_FINITE)}")
            return float(value)
        if marker == "__dtype__":
            try:
                return _dtypes._by_name(value)
            except KeyError:
                raise self.fail(f"unknown dtype {value[:40]!r}") from None
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise self.fail("__bytes__ entry is not valid base64") from None

    def take(self, key: str) -> Tensor:
        if key not in self.tensors:
            raise self.fail(f"refers to tensor {key[:40]!r}, which the tensors part does not hold")
        if key not in self.unused:
            raise self.fail(f"refers to tensor {key!r} twice")
        self.unused.discard(key)
        return self.tensors[key]

    def tensor(self, key: str, flags: dict) -> Tensor:
        t = self.take(key)
        requires_grad = flags.get("requires_grad", flags.get("parameter", False))
        if requires_grad and not t.is_floating_point():
            raise self.fail(f"tensor {key!r} of dtype {t.dtype} is marked requires_grad (only float tensors can "
                            "require gradients)")
        if flags.get("parameter"):
            return Parameter(t, requires_grad=requires_grad)
        if requires_grad:
            t.requires_grad = True
        return t

    def container(self, marker: str, items: list, ordered: bool):
        if marker == "__tuple__":
            return tuple(self.decode(v) for v in items)
        if marker == "__dict__":
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in items):
                raise self.fail("__dict__ must hold [key, value] pairs")
            pairs = [(self.hashable(self.decode(k)), self.decode(v)) for k, v in items]
            result = OrderedDict(pairs) if ordered else dict(pairs)
        else:
            result = set(self.hashable(self.decode(v)) for v in items)
        if len(result) != len(items):
            raise self.fail(f"{marker} entry holds duplicate keys")
        return result

    def hashable(self, key):
        try:
            hash(key)
        except TypeError:
            raise self.fail(f"a dict key or set item of type {type(key).__name__} is not hashable") from None
        return key


def _is_flat_state(obj) -> bool:
    return isinstance(obj, dict) and len(obj) > 0 and all(
        isinstance(k, str) and type(v) is Tensor for k, v in obj.items())


def _serialize(obj) -> bytes:
    if _is_flat_state(obj):
        return _safetensors_bytes(obj)
    tensors: dict = {}
    structure = _encode(obj, tensors)
    buffer = io.BytesIO()
    document = json.dumps({"format": "tensorlib", "version": 1, "root": structure}).encode()
    if nesting_depth(document) > STRUCTURE_DEPTH:
        raise ValueError(f"tensorlib.save: the object is nested too deeply to be loaded again (more than "
                         f"{STRUCTURE_DEPTH} JSON levels once encoded)")
    digest = {STRUCTURE_DIGEST_KEY: hashlib.sha256(document).hexdigest()}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("structure.json", document)
        archive.writestr("tensors.safetensors", _safetensors_bytes(tensors, digest))
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
    if is_torch_file(raw):  # written by torch.save: restricted unpickler (torch.load(weights_only=True)'s list)
        return load_torch_bytes(raw, source, map_location)
    if raw[:4] == ZIP_MAGIC:
        structure, tensors_part = read_archive(raw, source)
        arrays, metadata = read_safetensors(tensors_part, f"{source}: tensors.safetensors")
        check_structure_digest(structure, metadata, source)
        tensors = {name: Tensor._wrap(array) for name, array in arrays.items()}
        return _Decoder(tensors, source).decode_root(parse_structure(structure, source))
    foreign = describe_foreign(raw)
    if foreign is not None:
        raise CorruptFileError(f"{source}: {foreign}")
    return _read_safetensors(raw, source)
