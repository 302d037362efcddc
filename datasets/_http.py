"""Fetch one URL into a ``.part`` file: streaming, timeouts, retries with backoff, HTTP Range resume.

Nothing here verifies checksums or renames: the caller does that once the bytes are complete.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import urllib.parse
from dataclasses import dataclass
from typing import Iterator

import requests
import urllib3
from tqdm import tqdm

_RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                     requests.exceptions.ContentDecodingError)
# Raised by the raw body reads of _iter_body (urllib3's own errors and socket-level OSErrors).
_BODY_ERRORS = _RETRYABLE_ERRORS + (urllib3.exceptions.HTTPError, OSError)


@dataclass
class DownloadOptions:
    """Knobs for every download; ``tensorlib.datasets.utils.download_options`` holds the defaults.

    ``retries``: extra attempts per URL after a transient failure (connection reset, timeout, 5xx).
    ``backoff``: seconds before the first retry, doubled for each later one.
    ``connect_timeout``/``read_timeout``: seconds, passed to ``requests``.
    ``progress``: None shows a tqdm bar only when stderr is a terminal; True/False forces it.
    """

    retries: int = 3
    backoff: float = 0.5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    chunk_size: int = 1 << 16
    progress: bool | None = None
    lock_timeout: float | None = None


class DownloadError(Exception):
    """A URL could not be fetched; ``retryable`` says whether trying it again might help."""

    def __init__(self, url: str, reason: str, retryable: bool) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.retryable = retryable


def is_local_source(source: str) -> bool:
    """True for ``file://`` URLs and plain filesystem paths (anything without an http(s)/ftp scheme)."""
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    return scheme not in ("http", "https", "ftp")


def local_path(source: str) -> str:
    """The filesystem path of a local source (``file://`` URL or plain path)."""
    if source.lower().startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(source).path)
    return os.path.expanduser(source)


def fetch(url: str, part_path: str, options: DownloadOptions) -> None:
    """Complete ``part_path`` with the bytes at ``url``, resuming a partial file from the same URL.

    Retries transient failures ``options.retries`` times with exponential backoff; raises
    ``DownloadError`` when the URL cannot be fetched.
    """
    if is_local_source(url):
        _copy_local(url, part_path)
        return
    _forget_part_from_other_url(url, part_path)
    attempt = 0
    while True:
        try:
            _fetch_once(url, part_path, options)
            _remove_quietly(part_path + ".url")
            return
        except DownloadError as error:
            if not error.retryable or attempt >= options.retries:
                raise
        attempt += 1
        time.sleep(options.backoff * (2 ** (attempt - 1)))


def _fetch_once(url: str, part_path: str, options: DownloadOptions) -> None:
    have = os.path.getsize(part_path) if os.path.exists(part_path) else 0
    # identity: a server that gzips a .gz on the fly would make byte offsets (and Range) meaningless.
    headers = {"Accept-Encoding": "identity", "User-Agent": "tensorlib-datasets"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = requests.get(url, stream=True, headers=headers, allow_redirects=True,
                                timeout=(options.connect_timeout, options.read_timeout))
    except _RETRYABLE_ERRORS as error:
        raise DownloadError(url, f"{type(error).__name__}: {error}", retryable=True) from error
    except requests.RequestException as error:
        raise DownloadError(url, f"{type(error).__name__}: {error}", retryable=False) from error
    with response:
        if response.status_code == 416 and have:
            return  # the partial file already holds every byte; the checksum decides if it is right
        if response.status_code >= 400:
            raise DownloadError(url, f"HTTP {response.status_code} {response.reason}",
                                retryable=response.status_code >= 500 or response.status_code == 429)
        resuming = response.status_code == 206 and _range_start(response) == have
        if not resuming:
            have = 0
        expected = _expected_total(response, have)
        _write_body(url, response, part_path, have, expected, options)


def _write_body(url: str, response: requests.Response, part_path: str, have: int, expected: int | None,
                options: DownloadOptions) -> None:
    with open(part_path + ".url", "w") as f:
        f.write(url)
    disable = None if options.progress is None else not options.progress
    bar = tqdm(total=expected, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
               desc=os.path.basename(part_path)[: -len(".part")], disable=disable, file=sys.stderr,
               leave=False)
    try:
        with open(part_path, "ab" if have else "wb") as f:
            for chunk in _iter_body(response, options.chunk_size):
                f.write(chunk)
                bar.update(len(chunk))
    except _BODY_ERRORS as error:
        raise DownloadError(url, f"interrupted: {type(error).__name__}: {error}", retryable=True) from error
    finally:
        bar.close()
    size = os.path.getsize(part_path)
    if expected is not None and size < expected:
        raise DownloadError(url, f"connection closed after {size} of {expected} bytes", retryable=True)


def _iter_body(response: requests.Response, chunk_size: int) -> Iterator[bytes]:
    # read1 hands over whatever has arrived; iter_content's full-size reads would lose the bytes received
    # before a connection reset, and with them the chance to resume from there.
    raw = response.raw
    if not hasattr(raw, "read1"):
        yield from response.iter_content(chunk_size=chunk_size)
        return
    while True:
        chunk = raw.read1(chunk_size)
        if not chunk:
            return
        yield chunk


def _range_start(response: requests.Response) -> int | None:
    # Content-Range: bytes 100-999/1000
    value = response.headers.get("Content-Range", "")
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _expected_total(response: requests.Response, have: int) -> int | None:
    length = response.headers.get("Content-Length")
    return have + int(length) if length and length.isdigit() else None


def _forget_part_from_other_url(url: str, part_path: str) -> None:
    # Only resume bytes that came from this very URL: another mirror may serve a differently compressed file.
    marker = part_path + ".url"
    if not os.path.exists(part_path):
        return
    try:
        with open(marker) as f:
            same = f.read() == url
    except OSError:
        same = False
    if not same:
        _remove_quietly(part_path)


def _copy_local(source: str, part_path: str) -> None:
    path = local_path(source)
    if not os.path.isfile(path):
        raise DownloadError(source, "no such file", retryable=False)
    shutil.copyfile(path, part_path)
    _remove_quietly(part_path + ".url")  # these bytes no longer come from an HTTP URL that could resume them


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
