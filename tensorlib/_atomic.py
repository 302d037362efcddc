"""Atomic file writes: a temporary file beside the target, fsynced, then renamed over it.

The temporary is ``.<target name>.<pid>-<random>.tmp``. A writer killed outright (SIGKILL, power loss) cannot
remove it, so every write first removes the stale temporaries of its target: those whose writer process no
longer exists and that were last modified before this process started or more than a minute ago (the second
condition keeps the temporaries of live writers in another PID namespace sharing the folder). Temporaries of
earlier versions (``mkstemp`` names, no pid) are stale when older than this process.
"""

from __future__ import annotations

import os
import secrets
import time
from contextlib import contextmanager
from typing import IO, Iterator, Optional

_STARTED = time.time()  # (about) when this process started: older temporaries are not from a live write of ours
_QUIET_SECONDS = 60.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # exists but belongs to someone else (or is not a valid pid at all)
    return True


def _is_stale(name: str, prefix: str, modified: float) -> bool:
    writer, dash, _ = name[len(prefix):-len(".tmp")].partition("-")
    old = modified < _STARTED or modified < time.time() - _QUIET_SECONDS
    if dash and writer.isdigit():
        return old and not _pid_alive(int(writer))
    return modified < _STARTED  # an earlier version's mkstemp name: no pid to ask


def remove_stale_temporaries(path: str | os.PathLike) -> list:
    """Delete the temporaries crashed writers left beside ``path``; returns the paths removed."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    prefix = f".{os.path.basename(path)}."
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and _is_stale(entry.name, prefix, entry.stat().st_mtime):
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            pass  # removed concurrently by another writer, or not ours to remove
    return removed


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: Optional[str] = None) -> Iterator[IO]:
    """Yield a file object; on success its content replaces ``path`` in one rename, on error nothing changes.

    A crash mid-write leaves the old file (or none), never a truncated one; its temporary is removed by the
    next write to ``path``. The file gets the permissions a plain ``open`` would give (``0o666`` minus the
    umask).
    """
    path = os.fspath(path)
    remove_stale_temporaries(path)
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        tmp_path = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise
