"""Download utilities (``tensorlib.datasets.utils``), shaped like ``torchvision.datasets.utils``.

Downloads stream with ``requests`` (connect/read timeouts), retry transient failures with exponential
backoff, resume a partial ``name.part`` with an HTTP Range request, show a tqdm bar only on a terminal,
hold a lock file so concurrent processes don't collide, and rename to the final name only after the md5
matches. Tune ``download_options`` (retries, backoff, timeouts, progress) for every download at once.
"""

from __future__ import annotations

import os

from ._archive import extract_archive
from ._fetch import MIRROR_ENV, FetchReport, Mirrors, Resource, candidate_sources, fetch_resource
from ._http import DownloadOptions
from ._integrity import calculate_md5, check_integrity

__all__ = ["DownloadOptions", "MIRROR_ENV", "calculate_md5", "check_integrity",
           "download_and_extract_archive", "download_options", "download_url", "extract_archive"]

download_options = DownloadOptions()


def download_url(url: str, root: str, filename: str | None = None, md5: str | None = None,
                 max_redirect_hops: int = 3, *, mirrors: Mirrors = None) -> None:
    """Download ``url`` to ``root/filename`` (default: the URL's last component), verified by ``md5``.

    ``mirrors`` (and ``$TENSORLIB_DATASETS_MIRROR``): base URLs or local folders tried before ``url``.
    Does nothing if the file is already there with the right md5. Raises ``RuntimeError`` listing every
    source tried when none works. ``max_redirect_hops`` is accepted for torchvision compatibility.
    """
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(url.rstrip("/"))
    resource = Resource(filename=filename, md5=md5, url=url, extract=False)
    report = FetchReport()
    sources = candidate_sources(resource, [], mirrors)
    if not fetch_resource(resource, root, sources, download_options, report):
        raise RuntimeError(f"could not download {filename!r} to {root!r}. Tried:\n  "
                           + "\n  ".join(report.failures))


def download_and_extract_archive(url: str, download_root: str, extract_root: str | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False, *, mirrors: Mirrors = None) -> None:
    """``download_url`` then ``extract_archive`` into ``extract_root`` (default: ``download_root``)."""
    download_root = os.path.expanduser(os.fspath(download_root))
    filename = filename or os.path.basename(url.rstrip("/"))
    download_url(url, download_root, filename, md5, mirrors=mirrors)
    extract_archive(os.path.join(download_root, filename), extract_root or download_root, remove_finished)
