"""Shared machinery of the downloadable datasets: root, transforms, mirrors, fetch-or-explain."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Callable

from tensorlib.data import Dataset

from ._fetch import (
    MIRROR_ENV,
    FetchReport,
    IntegrityError,
    Mirrors,
    Resource,
    candidate_sources,
    fetch_resource,
    install,
    is_installed,
    mirror_list,
)
from ._repr import dataset_repr
from .utils import download_options


class DownloadableDataset(Dataset):
    """Base of every dataset here: ``root``, ``transform``, ``target_transform`` and the download logic.

    Subclasses list their upstream files with ``_resource_list()`` and the base URLs in the class attribute
    ``mirrors``; ``_folder`` is where those files are installed.
    """

    mirrors: list[str] = []

    def __init__(self, root: str, transform: Callable | None = None,
                 target_transform: Callable | None = None, mirrors: Mirrors = None) -> None:
        self.root = os.path.expanduser(os.fspath(root))
        self.transform = transform
        self.target_transform = target_transform
        self.user_mirrors = mirrors

    @property
    def _folder(self) -> str:
        raise NotImplementedError

    def _resource_list(self) -> list[Resource]:
        raise NotImplementedError

    def _prepare(self, download: bool) -> None:
        """Make the files present: unpack archives placed by hand, download if asked, else explain."""
        resources = self._resource_list()
        folder = self._folder
        for resource in resources:
            # With download=True a bad archive placed by hand is simply fetched again.
            self._unpack_local_archive(resource, folder, strict=not download)
        if download:
            self.download()
        missing = [r for r in resources if not is_installed(r, folder, check_md5=False)]
        if missing:
            raise RuntimeError(self._not_found_message(missing, failures=None))

    def download(self) -> None:
        """Fetch every resource not yet installed (md5-checked), trying each source in order."""
        folder = self._folder
        report = FetchReport()
        failed = []
        for resource in self._resource_list():
            if is_installed(resource, folder):
                continue
            sources = candidate_sources(resource, type(self).mirrors, self.user_mirrors)
            if not fetch_resource(resource, folder, sources, download_options, report):
                failed.append(resource)
        if failed:
            raise RuntimeError(self._not_found_message(failed, failures=report.failures))

    def _unpack_local_archive(self, resource: Resource, folder: str, strict: bool) -> None:
        archive = os.path.join(folder, resource.filename)
        if not (resource.is_archive and resource.payload and os.path.isfile(archive)):
            return
        if is_installed(resource, folder, check_md5=False):
            return
        try:
            install(archive, resource, folder)
        except IntegrityError as error:
            if strict:
                raise RuntimeError(f"{archive!r} is not the expected file: {error}") from error

    def _not_found_message(self, resources: Sequence[Resource], failures: list[str] | None) -> str:
        name = type(self).__name__
        folder = self._folder
        if failures is None:
            lines = [f"Dataset {name} not found in {folder!r}. You can use download=True to download it.",
                     "download=True would try, in order:"]
            for resource in resources:
                sources = candidate_sources(resource, type(self).mirrors, self.user_mirrors)
                lines += [f"  {s}" for s in sources]
        else:
            lines = [f"Dataset {name} not found in {folder!r} and it could not be downloaded. Tried:"]
            lines += [f"  {failure}" for failure in failures]
        lines.append(f"To install it by hand, place the upstream files in {folder!r}:")
        for resource in resources:
            md5 = f"  (md5 {resource.md5})" if resource.md5 else ""
            lines.append(f"  {os.path.join(folder, resource.filename)}{md5}")
            if resource.is_archive and resource.payload:
                unpacked = ", ".join(os.path.join(folder, rel) for rel, _ in resource.payload)
                lines.append(f"    or what it unpacks to: {unpacked}")
        given = ", ".join(mirror_list(self.user_mirrors)) or "none"
        lines.append(f"or set {MIRROR_ENV} (now: {os.environ.get(MIRROR_ENV) or 'unset'}) or mirrors=[...] "
                     f"(now: {given}) to a local folder or base URL holding those files, and use download=True.")
        return "\n".join(lines)

    def _apply_transforms(self, img: Any, target: Any) -> tuple:
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _check_index(self, index: int) -> int:
        n = len(self)
        if not isinstance(index, (int,)) and hasattr(index, "__index__"):
            index = index.__index__()
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of length {n}")
        return index + n if index < 0 else index

    def __repr__(self) -> str:
        return dataset_repr(self, self.root, self.extra_repr(), self.transform, self.target_transform)

    def extra_repr(self) -> str:
        return ""
