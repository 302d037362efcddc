"""Pretrained word vectors as torchtext's ``Vectors``, ``GloVe``, ``FastText`` and ``CharNGram``.

``Vectors(name, cache, url, unk_init, max_vectors)`` loads ``cache/name`` (downloading ``url`` first if
needed, through the datasets' downloader: retries, resume, lock, ``$TENSORLIB_DATASETS_MIRROR`` for offline
machines, optional md5; zip members and gzip streams carry CRCs that are checked while extracting). The text
is parsed once, vectorised, and cached beside it as ``<name>.npz`` (``<name>_<max_vectors>.npz``); later
loads read the cache. Attributes ``itos`` (list), ``stoi`` (dict; the last duplicate wins, as in torchtext),
``vectors`` (float32 tensor ``(N, dim)``) and ``dim``.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from typing import Callable, List, Optional, Union

import tensorlib as tl

from ._vectors_file import load_cache, read_vectors_file, save_cache

__all__ = ["Vectors", "GloVe", "FastText", "CharNGram"]


class Vectors:
    """Word vectors from a text file; ``vectors[token]`` is its ``(dim,)`` vector, ``unk_init(zeros)`` for
    unknown tokens (zeros by default)."""

    def __init__(self, name: str, cache: Optional[str] = None, url: Optional[str] = None,
                 unk_init: Optional[Callable[[tl.Tensor], tl.Tensor]] = None, max_vectors: Optional[int] = None,
                 *, md5: Optional[str] = None) -> None:
        cache = ".vector_cache" if cache is None else cache
        self.itos: List[str] = []
        self.stoi: dict = {}
        self.vectors: Optional[tl.Tensor] = None
        self.dim: Optional[int] = None
        self.unk_init = tl.Tensor.zero_ if unk_init is None else unk_init
        self.cache(name, cache, url=url, max_vectors=max_vectors, md5=md5)

    def __getitem__(self, token: str) -> tl.Tensor:
        if token in self.stoi:
            return self.vectors[self.stoi[token]]
        return self.unk_init(tl.zeros(self.dim))

    def __len__(self) -> int:
        return len(self.vectors)

    def get_vecs_by_tokens(self, tokens: Union[str, List[str]], lower_case_backup: bool = False) -> tl.Tensor:
        """``(len(tokens), dim)`` vectors (``(dim,)`` for a single token string); with ``lower_case_backup``
        a token missing as written is looked up lower-cased."""
        single = not isinstance(tokens, list)
        tokens = [tokens] if single else tokens
        if lower_case_backup:
            tokens = [t if t in self.stoi else t.lower() for t in tokens]
        known = [self.stoi.get(t, -1) for t in tokens]
        if all(i >= 0 for i in known):  # one gather instead of a stack of rows
            vecs = self.vectors[tl.tensor(known, dtype=tl.int64)]
        else:
            vecs = tl.stack([self[t] for t in tokens]) if tokens else tl.zeros(0, self.dim)
        return vecs[0] if single else vecs

    def cache(self, name: str, cache: str, url: Optional[str] = None, max_vectors: Optional[int] = None,
              md5: Optional[str] = None) -> None:
        """Find, download if needed, parse (or read from the cache) the vectors file."""
        suffix = f"_{max_vectors}.npz" if max_vectors else ".npz"
        if os.path.isfile(name):
            path, cache_file = name, os.path.join(cache, os.path.basename(name)) + suffix
        else:
            path = os.path.join(cache, name)
            cache_file = path + suffix
        cached = load_cache(cache_file, path)
        if cached is None:
            if not os.path.isfile(path) and url:
                _download(url, cache, md5)
            if not os.path.isfile(path):
                raise RuntimeError(f"no vectors found at {path}")
            itos, array = read_vectors_file(path, max_vectors)
            os.makedirs(os.path.dirname(os.path.abspath(cache_file)), exist_ok=True)
            save_cache(cache_file, itos, array, path)
        else:
            itos, array = cached
        self.itos = itos
        self.stoi = {word: i for i, word in enumerate(itos)}
        self.vectors = tl.from_numpy(array)
        self.dim = int(array.shape[1])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_vectors={len(self.itos)}, dim={self.dim})"


def _download(url: str, cache: str, md5: Optional[str]) -> None:
    """Fetch ``url`` into ``cache`` (verified, atomic) and unpack a zip / tar.gz there, as torchtext does."""
    from tensorlib.datasets._fetch import FetchReport, Resource, candidate_sources, fetch_resource
    from tensorlib.datasets.utils import download_options, extract_archive

    os.makedirs(cache, exist_ok=True)
    resource = Resource(os.path.basename(url), md5=md5, url=url, extract=False)
    report = FetchReport()
    if not fetch_resource(resource, cache, candidate_sources(resource, (), None), download_options, report):
        raise RuntimeError(f"could not download {url}:\n  " + "\n  ".join(report.failures)
                           + "\n(offline? put the file in a folder and set TENSORLIB_DATASETS_MIRROR to it)")
    dest = os.path.join(cache, resource.filename)
    if zipfile.is_zipfile(dest) or dest.endswith((".tar.gz", ".tgz")) and tarfile.is_tarfile(dest):
        extract_archive(dest, cache)


class GloVe(Vectors):
    """GloVe vectors (Stanford): ``name`` in ``"42B"``, ``"840B"``, ``"twitter.27B"``, ``"6B"``."""

    url = {
        "42B": "http://nlp.stanford.edu/data/glove.42B.300d.zip",
        "840B": "http://nlp.stanford.edu/data/glove.840B.300d.zip",
        "twitter.27B": "http://nlp.stanford.edu/data/glove.twitter.27B.zip",
        "6B": "http://nlp.stanford.edu/data/glove.6B.zip",
    }

    def __init__(self, name: str = "840B", dim: int = 300, **kwargs) -> None:
        if name not in self.url:
            raise ValueError(f"unknown GloVe vectors {name!r}; available: {', '.join(self.url)}")
        super().__init__(f"glove.{name}.{dim}d.txt", url=self.url[name], **kwargs)


class FastText(Vectors):
    """fastText Wikipedia vectors for ``language`` (``wiki.<language>.vec``)."""

    url_base = "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.{}.vec"

    def __init__(self, language: str = "en", **kwargs) -> None:
        url = self.url_base.format(language)
        super().__init__(os.path.basename(url), url=url, **kwargs)


class CharNGram(Vectors):
    """Character n-gram vectors (Hashimoto et al. 2016): a token's vector is the mean of its 2/3/4-gram
    vectors (with ``#BEGIN#``/``#END#`` markers); ``unk_init`` when none is known."""

    name = "charNgram.txt"
    url = ("http://www.logos.t.u-tokyo.ac.jp/~hassy/publications/arxiv2016jmt/"
           "jmt_pre-trained_embeddings.tar.gz")

    def __init__(self, **kwargs) -> None:
        super().__init__(self.name, url=self.url, **kwargs)

    def __getitem__(self, token: str) -> tl.Tensor:
        vector = tl.zeros(1, self.dim)
        if token == "<unk>":
            return self.unk_init(vector)
        chars = ["#BEGIN#"] + list(token) + ["#END#"]
        rows = [self.stoi[key] for n in (2, 3, 4) for i in range(len(chars) - n + 1)
                if (key := f"{n}gram-{''.join(chars[i:i + n])}") in self.stoi]
        if not rows:
            return self.unk_init(vector)
        return self.vectors[tl.tensor(rows, dtype=tl.int64)].mean(0, keepdim=True)
