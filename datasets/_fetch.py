"""Fetch a dataset's files from a list of sources, verify them, and install them atomically.

A *resource* is one file as published upstream (``Resource.filename``) plus what it unpacks to
(``Resource.payload``: paths relative to the dataset folder with their md5s). Sources are tried in order:
the ``mirrors=`` argument, ``$TENSORLIB_DATASETS_MIRROR``, then the dataset's own mirrors. A source is a
base URL (the file name is appended), a ``file://`` URL or a local folder holding the upstream files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from ._archive import archive_kind, extract_as
from ._http import DownloadError, DownloadOptions, fetch, is_local_source, local_path
from ._integrity import calculate_md5, check_integrity
from ._lock import FileLock

MIRROR_ENV = "TENSORLIB_DATASETS_MIRROR"

Mirrors = Optional[Union[str, Sequence[str]]]


@dataclass(frozen=True)
class Resource:
    """One upstream file: its name on a mirror, its md5, and the files it unpacks to.

    ``payload``: ``(path relative to the install folder, md5 or None)`` for each file the archive must
    yield (a path ending in ``/`` names a folder). ``url``: a full upstream URL when the file is not at
    ``mirror + filename``.
    """

    filename: str
    md5: str | None = None
    payload: tuple[tuple[str, str | None], ...] = ()
    url: str | None = None
    extract: bool = True

    @property
    def is_archive(self) -> bool:
        return self.extract and archive_kind(self.filename) is not None


class IntegrityError(Exception):
    """A fetched file (or what it unpacked to) does not have the expected checksum or contents."""


@dataclass
class FetchReport:
    """What happened while fetching: every source tried, with the reason it failed."""

    failures: list[str] = field(default_factory=list)


def mirror_list(mirrors: Mirrors) -> list[str]:
    """A ``mirrors=`` argument (one source or a sequence) as a list of strings."""
    items = [mirrors] if isinstance(mirrors, (str, os.PathLike)) else list(mirrors or [])
    return [os.fspath(item) for item in items]


def user_mirrors(mirrors: Mirrors) -> list[str]:
    """The user's sources in priority order: ``mirrors=``, then ``$TENSORLIB_DATASETS_MIRROR``.

    The variable may hold several sources separated by commas.
    """
    env = os.environ.get(MIRROR_ENV, "")
    return mirror_list(mirrors) + [item.strip() for item in env.split(",") if item.strip()]


def candidate_sources(resource: Resource, base_mirrors: Iterable[str], mirrors: Mirrors) -> list[str]:
    """Every location to try for ``resource``, in order, without duplicates."""
    sources = [_join(base, resource.filename) for base in user_mirrors(mirrors)]
    sources += [_join(base, resource.filename) for base in base_mirrors]
    if resource.url:
        sources.append(resource.url)
    return list(dict.fromkeys(sources))


def is_installed(resource: Resource, folder: str, check_md5: bool = True) -> bool:
    """True if what ``resource`` provides is present in ``folder`` (with matching md5s when checked)."""
    if resource.is_archive and resource.payload:
        return all(_payload_present(folder, rel, md5 if check_md5 else None) for rel, md5 in resource.payload)
    return check_integrity(os.path.join(folder, resource.filename), resource.md5 if check_md5 else None)


def fetch_resource(resource: Resource, folder: str, sources: Sequence[str], options: DownloadOptions,
                   report: FetchReport) -> bool:
    """Install ``resource`` into ``folder`` from the first source that yields verified bytes.

    Holds a lock file so concurrent processes fetch it once. Returns False (reasons in ``report``) if every
    source failed; nothing partial is ever left under a final name.
    """
    os.makedirs(folder, exist_ok=True)
    final = os.path.join(folder, resource.filename)
    with FileLock(final + ".lock", timeout=options.lock_timeout):
        if is_installed(resource, folder):
            return True
        part = final + ".part"
        for source in sources:
            try:
                fetch(source, part, options)
                install(part, resource, folder)
                return True
            except DownloadError as error:
                report.failures.append(f"{source}: {error.reason}")
            except IntegrityError as error:
                report.failures.append(f"{source}: {error}")
                _remove_quietly(part)
                _remove_quietly(part + ".url")
    return False


def install(part: str, resource: Resource, folder: str) -> None:
    """Verify the downloaded ``part`` file and move it (and what it unpacks to) to the final names.

    An archive is accepted when its own md5 matches, or when every payload file's md5 matches (mirrors may
    re-compress files). Raises ``IntegrityError`` (expected vs got) and leaves no final file otherwise.
    """
    archive_md5 = calculate_md5(part) if resource.md5 else None
    archive_ok = resource.md5 is not None and archive_md5 == resource.md5
    if not resource.is_archive:
        if resource.md5 is not None and not archive_ok:
            raise IntegrityError(f"md5 mismatch for {resource.filename}: expected {resource.md5}, "
                                 f"got {archive_md5}")
        os.replace(part, os.path.join(folder, resource.filename))
        return
    staging = tempfile.mkdtemp(prefix=".staging-", dir=folder)
    try:
        try:
            extract_as(part, resource.filename, staging)
        except ValueError as error:
            raise IntegrityError(str(error)) from error
        _verify_payload(resource, staging, archive_ok, archive_md5)
        _move_tree(staging, folder)
        os.replace(part, os.path.join(folder, resource.filename))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _verify_payload(resource: Resource, staging: str, archive_ok: bool, archive_md5: str | None) -> None:
    missing = [rel for rel, _ in resource.payload if not _payload_present(staging, rel, None)]
    if missing:
        raise IntegrityError(f"{resource.filename} does not contain {', '.join(missing)}")
    if archive_ok:
        return
    checked = [(rel, md5, calculate_md5(os.path.join(staging, rel))) for rel, md5 in resource.payload if md5]
    if not checked and resource.md5 is None:
        return  # nothing to check against
    bad = [f"{rel}: expected md5 {want}, got {got}" for rel, want, got in checked if want != got]
    if checked and not bad:
        return
    problems = []
    if resource.md5:
        problems.append(f"{resource.filename}: expected md5 {resource.md5}, got {archive_md5}")
    raise IntegrityError("checksum mismatch: " + "; ".join(problems + bad))


def _payload_present(folder: str, rel: str, md5: str | None) -> bool:
    if rel.endswith("/"):
        return os.path.isdir(os.path.join(folder, rel))
    return check_integrity(os.path.join(folder, rel), md5)


def _move_tree(src_root: str, dst_root: str) -> None:
    # File by file, so a folder a user started filling by hand is completed rather than replaced.
    for dirpath, _, filenames in os.walk(src_root):
        rel = os.path.relpath(dirpath, src_root)
        target_dir = os.path.normpath(os.path.join(dst_root, rel))
        os.makedirs(target_dir, exist_ok=True)
        for name in filenames:
            os.replace(os.path.join(dirpath, name), os.path.join(target_dir, name))


def _join(base: str, filename: str) -> str:
    if is_local_source(base) and not base.lower().startswith("file://"):
        return os.path.join(local_path(base), filename)
    return base.rstrip("/") + "/" + filename


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
