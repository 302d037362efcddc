"""Safe extraction of gz, bz2, xz, tar(.gz/.bz2/.xz), tgz and zip archives.

Every member is checked before anything is written: absolute paths, ``..`` components, links pointing
outside the target folder, and device/FIFO members are refused with ``ValueError`` naming the member.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
import tarfile
import zipfile
from typing import Callable

_SINGLE_FILE_OPENERS: dict = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")


def archive_kind(path: str) -> str | None:
    """'tar', 'zip', one of '.gz'/'.bz2'/'.xz' for a compressed single file, or None if not an archive."""
    name = path.lower()
    if name.endswith(_TAR_SUFFIXES):
        return "tar"
    if name.endswith(".zip"):
        return "zip"
    for suffix in _SINGLE_FILE_OPENERS:
        if name.endswith(suffix):
            return suffix
    return None


def decompressed_name(filename: str) -> str:
    """``train-images-idx3-ubyte.gz`` -> ``train-images-idx3-ubyte`` (unchanged if not single-file)."""
    kind = archive_kind(filename)
    if kind in _SINGLE_FILE_OPENERS:
        return filename[: -len(kind)]
    return filename


def extract_archive(from_path: str, to_path: str | None = None, remove_finished: bool = False) -> str:
    """Extract ``from_path`` into folder ``to_path`` (default: the archive's folder); return ``to_path``.

    Raises ``ValueError`` for an unsupported format or an unsafe member; nothing is written in that case.
    """
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(os.path.abspath(from_path)) if to_path is None else os.fspath(to_path)
    extract_as(from_path, os.path.basename(from_path), to_path)
    if remove_finished:
        os.remove(from_path)
    return to_path


def extract_as(from_path: str, name: str, to_path: str) -> None:
    """Extract ``from_path`` as if it were called ``name`` (its format is read from ``name``'s suffix).

    Lets a download still named ``x.tar.gz.part`` be unpacked before it is renamed.
    """
    os.makedirs(to_path, exist_ok=True)
    kind = archive_kind(name)
    if kind == "tar":
        _extract_tar(from_path, to_path)
    elif kind == "zip":
        _extract_zip(from_path, to_path)
    elif kind is not None:
        decompress_file(from_path, os.path.join(to_path, decompressed_name(name)), _SINGLE_FILE_OPENERS[kind])
    else:
        raise ValueError(f"extract_archive: unsupported archive type {name!r}; expected one of "
                         f"{', '.join(_TAR_SUFFIXES + ('.zip',) + tuple(_SINGLE_FILE_OPENERS))}")


def decompress_file(from_path: str, to_path: str, opener: Callable | None = None) -> None:
    """Decompress a single-file archive to ``to_path`` via a temporary name renamed atomically."""
    opener = opener or _SINGLE_FILE_OPENERS[archive_kind(from_path)]
    tmp = f"{to_path}.{os.getpid()}.tmp"
    try:
        with opener(from_path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, to_path)
    except (OSError, EOFError, lzma.LZMAError) as error:
        _remove_quietly(tmp)
        raise ValueError(f"{from_path!r} could not be decompressed: {error}") from error


def _extract_tar(from_path: str, to_path: str) -> None:
    try:
        with tarfile.open(from_path, "r:*") as tar:
            members = tar.getmembers()
            symlinks = {"/".join(_components(m.name)) for m in members if m.issym()}
            for member in members:
                _check_tar_member(from_path, member, to_path)
                _check_not_through_symlink(from_path, member, symlinks)
            if hasattr(tarfile, "data_filter"):
                tar.extractall(to_path, members=members, filter="data")
            else:  # pragma: no cover - Python < 3.11.4; members were checked above
                tar.extractall(to_path, members=members)
    except getattr(tarfile, "FilterError", ()) as error:  # the standard library's own safety net
        raise ValueError(f"refusing to extract {from_path!r}: {error}") from error
    except tarfile.TarError as error:
        raise ValueError(f"{from_path!r} is not a valid tar archive: {error}") from error


def _components(path: str) -> list:
    return [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]


def _check_not_through_symlink(archive: str, member: tarfile.TarInfo, symlinks: set) -> None:
    """Refuse a member, or a link target, whose path runs through a symlink of the same archive: where it lands
    depends on that link (``d -> .`` then ``d/e -> ..`` escapes), which a check of each name alone misses."""
    paths = [member.name]
    if member.issym():
        paths.append(os.path.join(os.path.dirname(member.name), member.linkname))
    elif member.islnk():
        paths.append(member.linkname)
    for path in paths:
        parts, walked = _components(path), []
        for part in parts[:-1]:  # every directory the path passes through, in order
            if part == "..":
                walked = walked[:-1]
                continue
            walked.append(part)
            if "/".join(walked) in symlinks:
                raise ValueError(f"refusing to extract {archive!r}: {member.name!r} goes through symlink "
                                 f"{'/'.join(walked)!r} of the same archive")


def _check_tar_member(archive: str, member: tarfile.TarInfo, root: str) -> None:
    _check_inside(archive, member.name, root)
    if member.issym():
        if os.path.isabs(member.linkname):
            raise ValueError(f"refusing to extract {archive!r}: symlink {member.name!r} points to absolute "
                             f"path {member.linkname!r}")
        _check_inside(archive, os.path.join(os.path.dirname(member.name), member.linkname), root,
                      what=f"symlink {member.name!r} -> {member.linkname!r}")
    elif member.islnk():
        _check_inside(archive, member.linkname, root,
                      what=f"hard link {member.name!r} -> {member.linkname!r}")
    elif not (member.isfile() or member.isdir()):
        raise ValueError(f"refusing to extract {archive!r}: member {member.name!r} is a device or FIFO")


def _extract_zip(from_path: str, to_path: str) -> None:
    try:
        with zipfile.ZipFile(from_path) as archive:
            for name in archive.namelist():
                _check_inside(from_path, name, to_path)
            archive.extractall(to_path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{from_path!r} is not a valid zip archive: {error}") from error


def _check_inside(archive: str, name: str, root: str, what: str | None = None) -> None:
    """Refuse absolute names, and names (or, for links, targets) that resolve outside ``root``.

    A member's own name may not contain ``..`` at all; a link target (``what`` given) may, if it stays inside.
    """
    label = what or f"member {name!r}"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
        raise ValueError(f"refusing to extract {archive!r}: {label} is an absolute path")
    if what is None and ".." in normalized.split("/"):
        raise ValueError(f"refusing to extract {archive!r}: {label} contains '..'")
    root_real = os.path.realpath(root)
    target = os.path.realpath(os.path.join(root_real, normalized))
    if os.path.commonpath([root_real, target]) != root_real:
        raise ValueError(f"refusing to extract {archive!r}: {label} resolves outside {root!r}")


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
