"""PyTorch checkpoint files (``torch.save``'s zip and legacy formats) read and written without torch.

``tensorlib.load`` hands files that look like PyTorch's to ``load_torch_bytes``; ``tensorlib.save(obj, f,
format="torch")`` uses ``torch_bytes``. Reading goes through a restricted unpickler with the allow-list of
``torch.load(weights_only=True)``, so a file can only ever produce tensors, dtypes and plain containers.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from typing import Any

from .dtypes import LOADED_AS
from .reader import TorchFileError, is_legacy_file, load_legacy, load_zip, zip_record_prefix
from .unpickler import ALLOWED_GLOBALS
from .writer import serialize as torch_bytes

__all__ = ["ALLOWED_GLOBALS", "TorchFileError", "is_torch_file", "load_torch_bytes", "torch_bytes"]


def is_torch_file(raw: bytes) -> bool:
    """True for a PyTorch zip archive (a folder holding ``data.pkl``) or a legacy PyTorch pickle stream."""
    if is_legacy_file(raw):
        return True
    if raw[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return zip_record_prefix(archive) is not None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return False


def load_torch_bytes(raw: bytes, source: str, map_location: Any = None) -> Any:
    """The object in the PyTorch file ``raw`` (read from ``source``, named in errors).

    ``map_location`` is accepted for compatibility: tensorlib tensors always live on the CPU. bfloat16,
    uint16 and uint32 storages are widened to float32, int32 and int64 (with a warning), since tensorlib has
    no such dtypes.
    """
    if is_legacy_file(raw):
        result, converted = load_legacy(raw, source, map_location)
    else:
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
            raise TorchFileError(f"{source}: damaged or truncated PyTorch archive ({error})") from None
        with archive:
            result, converted = load_zip(raw, archive, source, map_location)
    if converted:
        widened = ", ".join(f"{name} -> {LOADED_AS[name]}" for name in sorted(set(converted.values())))
        warnings.warn(f"{source}: tensorlib lacks some dtypes of this file; those tensors were widened "
                      f"({widened}), values unchanged", UserWarning, stacklevel=3)
    return result
