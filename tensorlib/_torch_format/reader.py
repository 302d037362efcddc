"""Read files written by ``torch.save``: the zip format (PyTorch >= 1.6) and the legacy pickle stream.

Zip format: ``<name>/data.pkl`` (the object, protocol 2, storages as persistent ids
``('storage', StorageType, key, location, numel)``), ``<name>/data/<key>`` (raw storage bytes),
``<name>/byteorder`` (``little``/``big``, absent in old files: little) and ``<name>/version``.

Legacy format: five consecutive pickles/blocks: magic number ``0x1950a86a20f9469cfc6c``, protocol ``1001``,
sys info (``little_endian`` ...), the object (persistent ids carry a 6th item, a storage view or None), the
list of storage keys; then per key an int64 element count and the raw bytes.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from typing import Any

import numpy as np

from ..errors import CorruptFileError
from .dtypes import LOADED_AS, disk_dtype, to_tensorlib_array
from .tensors import Storage, TensorBuilder
from .unpickler import TorchUnpickler

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001
_LEGACY_PREFIX = b"\x80\x02\x8a\x0a" + LEGACY_MAGIC.to_bytes(10, "little")
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")


class TorchFileError(CorruptFileError):
    """A PyTorch file is truncated or damaged (a ``CorruptFileError``, as for tensorlib's own files)."""


def is_legacy_file(raw: bytes) -> bool:
    return raw[:len(_LEGACY_PREFIX)] == _LEGACY_PREFIX


def zip_record_prefix(archive: zipfile.ZipFile) -> str | None:
    """``"<name>/"`` of a PyTorch zip archive (the folder holding ``data.pkl``), or None if it is not one."""
    for name in archive.namelist():
        if name.endswith("data.pkl") and name.count("/") == 1:
            return name[: -len("data.pkl")]
    return None


def load_zip(raw: bytes, archive: zipfile.ZipFile, source: str, map_location: Any = None) -> tuple[Any, dict]:
    """The object in a PyTorch zip archive ``archive`` (opened on the bytes ``raw``) and the storages widened
    to a dtype tensorlib has (key -> torch dtype name)."""
    prefix = zip_record_prefix(archive)
    names = set(archive.namelist())
    byteorder = "little"
    if f"{prefix}byteorder" in names:
        byteorder = archive.read(f"{prefix}byteorder").decode().strip()
    builder = TensorBuilder(source, byteorder)
    cache: dict[str, Storage] = {}

    def load_storage(dtype_name: str, key: str, numel: int) -> Storage:
        if key not in cache:
            member = f"{prefix}data/{key}"
            if member not in names:
                raise TorchFileError(f"{source}: storage {key} is missing from the archive: file is damaged")
            dtype = disk_dtype(dtype_name, byteorder, f"{source}: storage {key}")
            data = _member_bytes(raw, archive, member, source)
            if len(data) < numel * dtype.itemsize:
                raise TorchFileError(f"{source}: storage {key} holds {len(data)} bytes, {numel} elements of "
                                     f"{dtype_name} need {numel * dtype.itemsize}: file is truncated")
            array = np.frombuffer(data, dtype=dtype, count=numel)
            cache[key] = Storage(key, dtype_name, to_tensorlib_array(array, dtype_name))
        return cache[key]

    pickled = archive.read(f"{prefix}data.pkl")
    return _unpickle(io.BytesIO(pickled), source, load_storage, builder), builder.converted


def load_legacy(raw: bytes, source: str, map_location: Any = None) -> tuple[Any, dict]:
    """As ``load_zip`` for a legacy (``_use_new_zipfile_serialization=False``) PyTorch file."""
    stream = io.BytesIO(raw)
    builder = TensorBuilder(source)
    try:
        magic, protocol, sys_info = (_plain_unpickle(stream, source) for _ in range(3))
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise TorchFileError(f"{source}: damaged PyTorch legacy header ({error})") from None
    if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL or not isinstance(sys_info, dict):
        raise TorchFileError(f"{source}: not a PyTorch legacy file (magic {magic!r}, protocol {protocol!r})")
    byteorder = "little" if sys_info.get("little_endian", True) else "big"
    builder.byteorder = byteorder
    # The raw bytes follow the pickle: a first pass learns each storage's dtype and size (np.zeros costs no
    # memory until written), the bytes are read, and a second pass rebuilds the tensors over the real data.
    wanted: dict[str, tuple[str, int]] = {}
    pickle_start = stream.tell()

    def survey(dtype_name: str, key: str, numel: int) -> Storage:
        dtype = disk_dtype(dtype_name, byteorder, f"{source}: storage {key}")
        if not 0 <= numel * dtype.itemsize <= len(raw):
            raise TorchFileError(f"{source}: storage {key} claims {numel} elements, more than the file holds: "
                                 "file is damaged")
        wanted.setdefault(key, (dtype_name, numel))
        return Storage(key, dtype_name, np.zeros(numel, LOADED_AS.get(dtype_name, dtype.newbyteorder("="))))

    _unpickle(stream, source, survey, TensorBuilder(source, byteorder))
    keys = _plain_unpickle(stream, source)
    order = "<" if byteorder == "little" else ">"
    storages: dict[str, Storage] = {}
    for key in keys:
        if key not in wanted:
            raise TorchFileError(f"{source}: storage {key} is listed but never used: file is damaged")
        dtype_name, numel = wanted[key]
        header = stream.read(8)
        if len(header) < 8:
            raise TorchFileError(f"{source}: file is truncated before storage {key}")
        (count,) = struct.unpack(order + "q", header)
        dtype = disk_dtype(dtype_name, byteorder, f"{source}: storage {key}")
        data = stream.read(max(count, 0) * dtype.itemsize)
        if count != numel or len(data) < numel * dtype.itemsize:
            raise TorchFileError(f"{source}: storage {key} is truncated ({len(data)} bytes of "
                                 f"{numel * dtype.itemsize})")
        storages[key] = Storage(key, dtype_name, to_tensorlib_array(np.frombuffer(data, dtype=dtype), dtype_name))
    missing = set(wanted) - set(storages)
    if missing:
        raise TorchFileError(f"{source}: storages {sorted(missing)} are missing: file is truncated")
    stream.seek(pickle_start)
    result = _unpickle(stream, source, lambda dtype_name, key, numel: storages[key], builder)
    return result, builder.converted


def _unpickle(stream: io.BytesIO, source: str, load_storage: Any, builder: TensorBuilder) -> Any:
    try:
        return TorchUnpickler(stream, source, load_storage, builder).load()
    except (pickle.UnpicklingError, TorchFileError, TypeError):
        raise
    except (EOFError, ValueError, IndexError, KeyError, AttributeError, struct.error) as error:
        raise TorchFileError(f"{source}: damaged PyTorch pickle ({type(error).__name__}: {error})") from None


def _plain_unpickle(stream: io.BytesIO, source: str) -> Any:
    return TorchUnpickler(stream, source, _no_storage(source), TensorBuilder(source)).load()


def _no_storage(source: str) -> Any:
    def refuse(*args: Any) -> Any:
        raise TorchFileError(f"{source}: unexpected storage in a PyTorch legacy header")
    return refuse


def _member_bytes(raw: bytes, archive: zipfile.ZipFile, member: str, source: str) -> memoryview | bytes:
    """A stored member's bytes as a zero-copy slice of ``raw``; compressed ones via zipfile.

    Like ``torch.load``, storage CRCs are not computed (that would double the load time of a large
    checkpoint); sizes are checked, so a truncated file is still reported. The pickle's CRC is checked.
    """
    info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return archive.read(member)
    header = raw[info.header_offset:info.header_offset + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise TorchFileError(f"{source}: bad zip entry {member}: file is damaged")
    fields = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]
    data = memoryview(raw)[start:start + info.file_size]
    if len(data) < info.file_size:
        raise TorchFileError(f"{source}: {member} is truncated: file is damaged")
    return data
