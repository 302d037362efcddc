"""``tensorlib.hub``: download and cache checkpoints, as ``torch.hub`` does for pretrained weights.

``load_state_dict_from_url(url)`` fetches ``url`` once into ``get_dir()/checkpoints`` (default
``~/.cache/tensorlib/hub/checkpoints``; ``$TENSORLIB_HOME/hub`` when that variable is set) and returns
``tensorlib.load`` of it, which reads PyTorch's formats through a restricted unpickler, so a downloaded
checkpoint cannot execute code. Downloads use the datasets' machinery: retries with backoff, HTTP Range
resume of a ``.part`` file, a lock file against concurrent downloads, a tqdm bar, and an atomic rename once
the bytes are verified. With ``check_hash=True`` the file name's hash part (``resnet18-f37072fd.pth``: the
first hex digits of the file's sha256, torchvision's convention) must match or the download is deleted.

Offline machines: ``$TENSORLIB_HUB_MIRROR`` lists sources (comma-separated base URLs, ``file://`` URLs or
folders) holding the files under their upstream names; they are tried before the URL itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import urllib.parse
from typing import Any, Optional

__all__ = ["HUB_MIRROR_ENV", "download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

HUB_MIRROR_ENV = "TENSORLIB_HUB_MIRROR"
ENV_TENSORLIB_HOME = "TENSORLIB_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
# torch.hub's pattern: the hex digits between the last '-' and the first '.' after it
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir: Optional[str] = None


def get_dir() -> str:
    """The hub cache folder: ``set_dir``'s value, else ``$TENSORLIB_HOME/hub``, else
    ``$XDG_CACHE_HOME/tensorlib/hub`` (``~/.cache/tensorlib/hub``)."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.environ.get(ENV_TENSORLIB_HOME)
    if home is None:
        cache = os.environ.get(ENV_XDG_CACHE_HOME, os.path.join("~", ".cache"))
        home = os.path.join(cache, "tensorlib")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub cache folder from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url: str, dst: str, hash_prefix: Optional[str] = None, progress: bool = True) -> None:
    """Download ``url`` to ``dst`` (atomically, resuming, retrying), checking the sha256 starts with
    ``hash_prefix`` when given. ``$TENSORLIB_HUB_MIRROR`` sources are tried first. Raises ``RuntimeError``
    naming every source tried, with the hash mismatch (expected vs got) for those that served wrong bytes."""
    from tensorlib.datasets._http import DownloadError, fetch, is_local_source, local_path
    from tensorlib.datasets._lock import FileLock
    from tensorlib.datasets.utils import download_options

    dst = os.path.expanduser(os.fspath(dst))
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    options = dataclasses.replace(download_options, progress=None if progress else False)
    name = os.path.basename(urllib.parse.urlsplit(url).path) or os.path.basename(dst)
    sources = [_join(base, name, is_local_source, local_path) for base in _mirrors()] + [url]
    failures = []
    with FileLock(dst + ".lock", timeout=options.lock_timeout):
        part = dst + ".part"
        for source in dict.fromkeys(sources):
            try:
                fetch(source, part, options)
            except DownloadError as error:
                failures.append(f"{source}: {error.reason}")
                continue
            if hash_prefix is not None:
                digest = _sha256(part)
                if not digest.startswith(hash_prefix):
                    _remove_quietly(part)
                    _remove_quietly(part + ".url")
                    failures.append(f'{source}: invalid hash value (expected "{hash_prefix}", got "{digest}"); '
                                    "the download was deleted")
                    continue
            os.replace(part, dst)
            return
    raise RuntimeError(f"could not download {url} to {dst}:\n  " + "\n  ".join(failures)
                       + f"\n(offline? put the file in a folder and set {HUB_MIRROR_ENV} to it)")


def load_state_dict_from_url(url: str, model_dir: Optional[str] = None, map_location: Any = None,
                             progress: bool = True, check_hash: bool = False, file_name: Optional[str] = None,
                             weights_only: bool = True) -> Any:
    """The object saved at ``url`` (usually a state_dict), downloaded once into ``model_dir`` (default
    ``get_dir()/checkpoints``) as ``file_name`` (default: the URL's file name).

    ``check_hash``: the file name's ``-<hex>.`` part must prefix the sha256 of the download (torchvision's
    names carry it). ``weights_only`` is accepted for compatibility: loading is always weights-only.
    """
    from tensorlib import load

    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    model_dir = os.path.expanduser(os.fspath(model_dir))
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlsplit(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    return load(cached_file, map_location=map_location)


def _mirrors() -> list[str]:
    return [item.strip() for item in os.environ.get(HUB_MIRROR_ENV, "").split(",") if item.strip()]


def _join(base: str, name: str, is_local_source: Any, local_path: Any) -> str:
    if is_local_source(base) and not base.lower().startswith("file://"):
        return os.path.join(local_path(base), name)
    return base.rstrip("/") + "/" + name


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
