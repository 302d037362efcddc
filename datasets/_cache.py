"""A ``.npy`` cache of parsed arrays beside the raw files, so only the first load parses them."""

from __future__ import annotations

import os
import uuid
from typing import Callable

import numpy as np

from tensorlib._atomic import remove_stale_temporaries


def cache_path(source: str) -> str:
    """Where the parsed array of ``source`` is cached: ``<source>.npy`` in the same folder."""
    return source + ".npy"


def cached_array(source: str, parse: Callable[[str], np.ndarray], mmap: bool = False) -> np.ndarray:
    """Return ``parse(source)``, from the cache when it was built from ``source`` as it is now, else parse and
    cache it.

    The cache is written to a temporary name and renamed atomically, loaded with ``allow_pickle=False``
    (``mmap_mode='r'`` when ``mmap``). A read-only folder just means no cache.
    """
    cache = cache_path(source)
    if is_fresh(cache, source):
        try:
            return np.load(cache, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError):
            pass  # corrupt or truncated cache: rebuild below
    array = parse(source)
    save_atomic(cache, array, source)
    return array


def save_atomic(path: str, array: np.ndarray, source: str) -> None:
    """``np.save`` the cache of ``source`` to a unique temporary name, stamp it with ``source``'s modification
    time, then ``os.replace``; silently skips unwritable folders. Temporaries of killed writers are removed
    first (named as ``tensorlib._atomic`` names them, so the same rule finds them)."""
    remove_stale_temporaries(path)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}-{uuid.uuid4().hex}.tmp")
    try:
        stamp = os.stat(source).st_mtime_ns
        with open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        os.utime(tmp, ns=(stamp, stamp))
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass


def is_fresh(cache: str, source: str) -> bool:
    """The cache carries its source's modification time exactly: a source replaced by any other file (even an
    older one, as ``cp -p`` or re-extracting an archive leaves) makes it stale."""
    try:
        return os.stat(cache).st_mtime_ns == os.stat(source).st_mtime_ns
    except OSError:
        return False
