"""Atomic file writes: a temporary file beside the target, fsynced, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from typing import IO, Iterator, Optional


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it; put it straight back
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once at import: changing it briefly later could race with other threads


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: Optional[str] = None) -> Iterator[IO]:
    """Yield a file object; on success its content replaces ``path`` in one rename, on error nothing changes.

    A crash mid-write leaves the old file (or none), never a truncated one. The file gets the permissions a
    plain ``open`` would give (``0o666`` minus the umask), not ``mkstemp``'s owner-only ``0o600``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise
