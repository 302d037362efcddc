"""Validating reader (and digest writer) of tensorlib's checkpoint layouts; every failure is ``CorruptFileError``.

Safetensors layout: ``<u64 little-endian header length> <JSON header> <data>``. The header maps tensor names to
``{"dtype", "shape", "data_offsets": [start, stop]}`` (relative to the data section) plus an optional
``"__metadata__"`` of strings. Before any byte is used we check: the header is strict JSON (depth and integer
size bounded, no duplicate keys); each entry has exactly those three fields of the right types; dims are
non-negative integers; each byte range matches its shape and dtype; the ranges, sorted, tile the data section
exactly once (no gap, overlap or trailing byte); bool bytes are 0 or 1.

Integrity: files written since format 2 carry ``"tensorlib_sha256"`` in the metadata: the sha256 of the whole
file (length prefix, header with this value written as 64 zeros, data), so a flipped bit in a name, dtype, shape
or offset is caught, not only one in the data. Files of earlier tensorlib versions carry ``"sha256"`` of the
data only and still load; safetensors files of other tools carry no digest and load after the structural checks.

Zip layout: exactly the members ``structure.json`` and ``tensors.safetensors`` (duplicates refused), stored or
deflated, sizes bounded before anything is decompressed; the tensors part records the sha256 of
``structure.json``. A file that is not ours is named (PyTorch pickle, NumPy, gzip, HDF5, other zip).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zipfile

import numpy as np

from ._strict_json import StrictJSONError, loads_strict
from .errors import CorruptFileError

TO_SAFETENSORS = {"float32": "F32", "float64": "F64", "float16": "F16", "int64": "I64", "int32": "I32",
                  "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}
FROM_SAFETENSORS = {v: k for k, v in TO_SAFETENSORS.items()}
ZIP_MAGIC = b"PK\x03\x04"
STRUCTURE_MEMBER, TENSORS_MEMBER = "structure.json", "tensors.safetensors"
DIGEST_KEY = "tensorlib_sha256"  # whole-file digest (format 2)
LEGACY_DIGEST_KEY = "sha256"  # tensor bytes only (files of earlier versions)
STRUCTURE_DIGEST_KEY = "structure_sha256"
_PLACEHOLDER = "0" * 64
_MAX_HEADER = 100 * 1024 * 1024
_MAX_STRUCTURE = 64 * 1024 * 1024
_MAX_DEFLATE_RATIO = 1032  # deflate cannot expand more than this: a larger declared size is a lie
_MAX_NDIM = 64  # NumPy's limit
_HEADER_DEPTH = 3  # {name: {"shape": [...]}}
STRUCTURE_DEPTH = 200  # nested containers of a checkpoint; _decode recurses about twice per level
_ENTRY_FIELDS = {"dtype", "shape", "data_offsets"}


# ------------------------------------------------------------------------------------------ writing
def encode_safetensors(header: dict, chunks: list, metadata: dict) -> bytes:
    """The safetensors bytes of ``header`` (entries with offsets into the concatenated ``chunks``), with
    ``metadata`` and the whole-file digest in ``__metadata__``."""
    header["__metadata__"] = {"format": "pt", "producer": "tensorlib", "tensorlib_format": "2", **metadata,
                              DIGEST_KEY: _PLACEHOLDER}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # keep the data section 8-byte aligned, as safetensors does
    prefix = struct.pack("<Q", len(encoded))
    digest = hashlib.sha256(prefix)
    digest.update(encoded)
    for chunk in chunks:
        digest.update(chunk)
    encoded = encoded.replace(_digest_field(_PLACEHOLDER), _digest_field(digest.hexdigest()), 1)
    return prefix + encoded + b"".join(chunks)


def _digest_field(value: str) -> bytes:
    # inside JSON strings quotes are escaped, so this exact byte sequence only occurs as the real field
    return f'"{DIGEST_KEY}":"{value}"'.encode()


# ------------------------------------------------------------------------------------------ reading
def read_safetensors(raw: bytes, source: str) -> tuple[dict, dict]:
    """``({name: native-endian ndarray}, metadata)`` of the safetensors bytes ``raw``, in header order."""
    if len(raw) < 8:
        raise CorruptFileError(f"{source}: file is truncated ({len(raw)} bytes): not a tensor file")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > min(_MAX_HEADER, len(raw) - 8):
        raise CorruptFileError(f"{source}: header length {header_len} exceeds the file size ({len(raw)} bytes) "
                               "or the 100 MiB limit: the file is truncated or not a tensor file")
    header_bytes = bytes(raw[8:8 + header_len])
    try:
        header = loads_strict(header_bytes, max_depth=_HEADER_DEPTH)
    except StrictJSONError as error:
        raise CorruptFileError(f"{source}: unreadable header: {error}") from None
    if not isinstance(header, dict):
        raise CorruptFileError(f"{source}: header is a JSON {type(header).__name__}, expected an object")
    metadata = _check_metadata(header.pop("__metadata__", {}), source)
    data = memoryview(raw)[8 + header_len:]
    entries = [_check_entry(name, info, source) for name, info in header.items()]
    _check_tiling(entries, len(data), source)
    _check_digest(raw, header_bytes, data, metadata, source)
    arrays = {}
    for name, dtype, shape, start, stop in entries:
        little = np.frombuffer(data[start:stop], dtype=dtype.newbyteorder("<"))
        if dtype == np.bool_ and little.view(np.uint8).max(initial=0) > 1:
            raise CorruptFileError(f"{source}: tensor {name!r} of dtype BOOL holds bytes other than 0 and 1")
        arrays[name] = little.astype(dtype).reshape(shape)
    return arrays, metadata


def _check_metadata(metadata, source: str) -> dict:
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CorruptFileError(f"{source}: '__metadata__' must be an object of strings")
    return metadata


def _check_entry(name: str, info, source: str) -> tuple:
    where = f"{source}: tensor {name!r}"
    if not isinstance(info, dict) or set(info) != _ENTRY_FIELDS:
        got = sorted(info) if isinstance(info, dict) else type(info).__name__
        raise CorruptFileError(f"{where}: expected an entry with fields {sorted(_ENTRY_FIELDS)}, got {got}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str) or code not in FROM_SAFETENSORS:
        raise CorruptFileError(f"{where} has unsupported dtype {code!r} (supported: {sorted(FROM_SAFETENSORS)})")
    if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
            or not all(type(d) is int and d >= 0 for d in shape)):
        raise CorruptFileError(f"{where}: shape {shape!r} is not a list of at most {_MAX_NDIM} non-negative "
                               "integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise CorruptFileError(f"{where}: data_offsets {offsets!r} is not [start, stop] with 0 <= start <= stop")
    dtype = np.dtype(FROM_SAFETENSORS[code])
    start, stop = offsets
    if stop - start != math.prod(shape) * dtype.itemsize:
        raise CorruptFileError(f"{where}: byte range [{start}, {stop}) holds {stop - start} bytes, but shape "
                               f"{shape} of {code} needs {math.prod(shape) * dtype.itemsize}")
    return name, dtype, tuple(shape), start, stop


def _check_tiling(entries: list, size: int, source: str) -> None:
    """The byte ranges, sorted, must cover ``[0, size)`` exactly once."""
    position = 0
    for name, _, _, start, stop in sorted(entries, key=lambda e: (e[3], e[4])):
        if start != position:
            problem = "overlaps the previous tensor" if start < position else f"leaves a gap at byte {position}"
            raise CorruptFileError(f"{source}: tensor {name!r} data range [{start}, {stop}) {problem}")
        position = stop
    if position > size:
        raise CorruptFileError(f"{source}: file is truncated: tensor data needs {position} bytes, found {size}")
    if position < size:
        raise CorruptFileError(f"{source}: {size - position} bytes after the last tensor's data: trailing "
                               "garbage or a damaged header")


def _check_digest(raw: bytes, header_bytes: bytes, data: memoryview, metadata: dict, source: str) -> None:
    expected = metadata.get(DIGEST_KEY)
    if expected is not None:
        field = _digest_field(expected)
        if header_bytes.count(field) != 1:
            raise CorruptFileError(f"{source}: damaged header: its digest field is malformed")
        digest = hashlib.sha256(raw[:8])
        digest.update(header_bytes.replace(field, _digest_field(_PLACEHOLDER)))
        digest.update(data)
        if digest.hexdigest() != expected:
            raise CorruptFileError(f"{source}: checksum mismatch: the file (header or tensor data) was modified "
                                   "or corrupted")
    elif LEGACY_DIGEST_KEY in metadata:  # written by an earlier tensorlib: the digest covers the data only
        if hashlib.sha256(data).hexdigest() != metadata[LEGACY_DIGEST_KEY]:
            raise CorruptFileError(f"{source}: checksum mismatch: the tensor data was modified or corrupted")
    elif metadata.get("producer") == "tensorlib":
        raise CorruptFileError(f"{source}: written by tensorlib but its digest is missing: damaged header")


def read_archive(raw: bytes, source: str) -> tuple[bytes, bytes]:
    """``(structure.json bytes, tensors.safetensors bytes)`` of a zip checkpoint, every member checked."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except Exception as error:  # zipfile's errors on hostile input are not enumerable (struct, KeyError, ...)
        raise CorruptFileError(f"{source}: damaged or truncated zip archive ({type(error).__name__}: {error})") \
            from None
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        duplicate = sorted({n for n in names if names.count(n) > 1})
        raise CorruptFileError(f"{source}: zip archive has duplicate members {duplicate}")
    if set(names) != {STRUCTURE_MEMBER, TENSORS_MEMBER}:
        raise CorruptFileError(f"{source}: {describe_zip(names)}")
    _check_zip_tiling(raw, infos, archive.start_dir, source)
    parts = {}
    for info in infos:
        parts[info.filename] = _read_member(archive, info, len(raw), source)
    return parts[STRUCTURE_MEMBER], parts[TENSORS_MEMBER]


def _check_zip_tiling(raw: bytes, infos: list, central_directory: int, source: str) -> None:
    """Members (local header + data, no data descriptor) follow each other from byte 0 to the central directory,
    and the end-of-central-directory record (without comment) ends the file: no hidden or trailing bytes."""
    position = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != position or raw[position:position + 4] != ZIP_MAGIC or info.flag_bits & 0x08:
            raise CorruptFileError(f"{source}: zip member {info.filename!r} is not where the archive layout puts it "
                                   f"(byte {info.header_offset}, expected {position}): damaged or altered archive")
        if position + 30 > len(raw):
            raise CorruptFileError(f"{source}: zip archive is truncated")
        name_length, extra_length = struct.unpack_from("<HH", raw, position + 26)
        position += 30 + name_length + extra_length + info.compress_size
    if position != central_directory or raw.rfind(b"PK\x05\x06") != len(raw) - 22:
        raise CorruptFileError(f"{source}: zip archive has bytes outside its members (hidden data, trailing "
                               "garbage or a damaged central directory)")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, archive_size: int, source: str) -> bytes:
    where = f"{source}: zip member {info.filename!r}"
    if info.flag_bits & 0x1:
        raise CorruptFileError(f"{where} is encrypted")
    if info.compress_type == zipfile.ZIP_STORED:
        limit = min(info.compress_size, archive_size)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        limit = _MAX_DEFLATE_RATIO * info.compress_size
    else:
        raise CorruptFileError(f"{where} uses compression method {info.compress_type}; only stored and deflated "
                               "members are read")
    if info.filename == STRUCTURE_MEMBER:
        limit = min(limit, _MAX_STRUCTURE)
    if info.file_size > limit:
        raise CorruptFileError(f"{where} declares {info.file_size} bytes, more than its {info.compress_size} "
                               f"stored bytes can hold (limit {limit})")
    try:
        with archive.open(info) as member:  # zipfile never returns more than the declared size
            content = member.read(info.file_size + 1)
    except Exception as error:  # CRC mismatch, bad local header, zlib errors, ...
        raise CorruptFileError(f"{where} is damaged ({type(error).__name__}: {error})") from None
    if len(content) != info.file_size:
        raise CorruptFileError(f"{where} holds {len(content)} bytes, its header declares {info.file_size}")
    return content


def check_structure_digest(structure: bytes, metadata: dict, source: str) -> None:
    """The tensors part of a format-2 archive records the sha256 of ``structure.json``."""
    expected = metadata.get(STRUCTURE_DIGEST_KEY)
    if expected is None:
        if DIGEST_KEY in metadata:
            raise CorruptFileError(f"{source}: the digest of structure.json is missing: damaged archive")
        return  # an archive of an earlier version: structure.json is covered by the zip CRC only
    if hashlib.sha256(structure).hexdigest() != expected:
        raise CorruptFileError(f"{source}: checksum mismatch: structure.json was modified or corrupted")


def parse_structure(structure: bytes, source: str):
    """The ``root`` of ``structure.json`` after checking it is a tensorlib structure document."""
    try:
        document = loads_strict(structure, max_depth=STRUCTURE_DEPTH)
    except StrictJSONError as error:
        raise CorruptFileError(f"{source}: unreadable structure.json: {error}") from None
    if not isinstance(document, dict) or document.get("format") != "tensorlib" or "root" not in document:
        raise CorruptFileError(f"{source}: structure.json is not a tensorlib structure document")
    if document.get("version") != 1:
        raise CorruptFileError(f"{source}: unsupported structure.json version {document.get('version')!r}")
    return document["root"]


# ------------------------------------------------------------------------------------------ foreign files
def describe_zip(names: list) -> str:
    """What a zip archive with members ``names`` is, for an error message."""
    if any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        return ("this is a PyTorch checkpoint (pickle) written by torch.save; tensorlib does not unpickle it "
                "because unpickling can execute code: load it with torch and re-save it with safetensors")
    if names and all(name.endswith(".npy") for name in names):
        return "this is a NumPy .npz archive, not a tensorlib checkpoint: read it with numpy.load"
    shown = ", ".join(repr(n) for n in names[:5]) + (", ..." if len(names) > 5 else "")
    return (f"a zip archive that is not a tensorlib checkpoint (members {shown}; expected exactly "
            f"{STRUCTURE_MEMBER!r} and {TENSORS_MEMBER!r})")


def describe_foreign(raw: bytes) -> str | None:
    """What a non-zip file that is certainly not a checkpoint is (gzip, HDF5, pickle, .npy), else None."""
    if raw[:2] == b"\x1f\x8b":
        return "this is a gzip-compressed file, not a tensorlib checkpoint: decompress it first"
    if raw[:8] == b"\x89HDF\r\n\x1a\n":
        return "this is an HDF5 file (e.g. Keras/h5py), not a tensorlib checkpoint"
    if raw[:6] == b"\x93NUMPY":
        return "this is a NumPy .npy file, not a tensorlib checkpoint: read it with numpy.load"
    if raw[:1] == b"\x80" and raw[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ("this is a PyTorch checkpoint (pickle) in the legacy non-zip format, or another pickle file; "
                "tensorlib does not unpickle it because unpickling can execute code")
    return None
