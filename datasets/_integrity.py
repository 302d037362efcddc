"""Checksums of files on disk (md5, as torchvision's tables use)."""

from __future__ import annotations

import hashlib
import os
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]

_CHUNK = 1 << 20


def calculate_md5(fpath: PathLike, chunk_size: int = _CHUNK) -> str:
    """Return the hex md5 of the file at ``fpath``, read in ``chunk_size`` blocks."""
    # usedforsecurity=False: md5 is a checksum here, and FIPS builds refuse it otherwise.
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: PathLike, md5: str) -> bool:
    """True if the file's md5 equals ``md5``."""
    return md5 == calculate_md5(fpath)


def check_integrity(fpath: PathLike, md5: str | None = None) -> bool:
    """True if ``fpath`` is a regular file and, when ``md5`` is given, its md5 matches."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)

