"""``Vocab`` (token <-> index) and its factories ``vocab`` / ``build_vocab_from_iterator``, as torchtext."""

from __future__ import annotations

import os
from collections import Counter
from itertools import repeat
from typing import Dict, Iterable, List, Mapping, Sequence

from ._json_io import read_json_object, write_json_atomic
from ._module import Module
from .vectors import CharNGram as CharNGram  # torchtext.vocab has the vector classes
from .vectors import FastText as FastText
from .vectors import GloVe as GloVe
from .vectors import Vectors as Vectors

__all__ = ["Vocab", "vocab", "build_vocab_from_iterator"]

_FILE_KIND = "tensorlib.Vocab"
_FILE_VERSION = 1


class Vocab(Module):
    """A token <-> index mapping, like ``torchtext.vocab.Vocab``.

    ``Vocab(tokens, default_index=None)``: ``tokens`` (unique strings) get indices ``0..len-1`` in order.
    Calling the vocab on a list of tokens returns their indices. Looking up a token that is not in the
    vocab returns the default index, or raises RuntimeError when none is set.
    """

    def __init__(self, tokens: Iterable[str] = (), default_index: int | None = None) -> None:
        super().__init__()
        self._itos: List[str] = []
        self._stoi: Dict[str, int] = {}
        for token in tokens:
            if not isinstance(token, str):
                raise TypeError(f"Vocab tokens must be str, got {type(token).__name__}: {token!r}")
            if token in self._stoi:
                raise RuntimeError(f"Duplicate token found in tokens list: {token}")
            self._stoi[token] = len(self._itos)
            self._itos.append(token)
        self._default_index: int | None = None
        self.set_default_index(default_index)

    # ------------------------------------------------------------------------------------------ lookup
    def forward(self, tokens: List[str]) -> List[int]:
        """Indices of ``tokens`` (same as :meth:`lookup_indices`)."""
        return self.lookup_indices(tokens)

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        index = self._stoi.get(token)
        if index is not None:
            return index
        return self._missing(token)

    def _missing(self, token) -> int:
        if not isinstance(token, str):
            raise TypeError(f"Vocab lookup expects str tokens, got {type(token).__name__}: {token!r}")
        if self._default_index is None:
            raise RuntimeError(f"Token {token!r} not found and default index is not set; call "
                               "vocab.set_default_index(index) (e.g. the index of '<unk>') to map "
                               "unknown tokens")
        return self._default_index

    def lookup_indices(self, tokens: List[str]) -> List[int]:
        """Indices of ``tokens``; unknown tokens map to the default index."""
        if tokens.__class__ is not list:
            if isinstance(tokens, str):
                raise TypeError("Vocab lookup expects a list of str tokens, got a single str")
            tokens = list(tokens)
        # map() over dict methods keeps the per-token loop in C.
        if self._default_index is not None:
            return list(map(self._stoi.get, tokens, repeat(self._default_index, len(tokens))))
        try:
            return list(map(self._stoi.__getitem__, tokens))
        except (KeyError, TypeError):
            return [self[token] for token in tokens]

    def lookup_token(self, index: int) -> str:
        """The token at ``index``."""
        if not 0 <= index < len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds of the size of itos dictionary: "
                               f"{len(self._itos)}.")
        return self._itos[index]

    def lookup_tokens(self, indices: Sequence[int]) -> List[str]:
        """The tokens at ``indices``."""
        return [self.lookup_token(index) for index in indices]

    # -------------------------------------------------------------------------------------- default index
    def set_default_index(self, index: int | None) -> None:
        """Index returned for unknown tokens; ``None`` makes unknown tokens raise RuntimeError."""
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f"default index must be an int or None, got {type(index).__name__}")
        self._default_index = index

    def get_default_index(self) -> int | None:
        """The default index, or None when unset."""
        return self._default_index

    # ------------------------------------------------------------------------------------------ editing
    def insert_token(self, token: str, index: int) -> None:
        """Insert ``token`` at ``index`` (0 <= index <= len), shifting later tokens up by one."""
        if not isinstance(token, str):
            raise TypeError(f"Vocab tokens must be str, got {type(token).__name__}")
        if not 0 <= index <= len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds of the size of stoi dictionary: "
                               f"{len(self._itos)}.")
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: {self._stoi[token]}.")
        self._itos.insert(index, token)
        for position in range(index, len(self._itos)):
            self._stoi[self._itos[position]] = position

    def append_token(self, token: str) -> None:
        """Add ``token`` at the end."""
        self.insert_token(token, len(self._itos))

    def get_stoi(self) -> Dict[str, int]:
        """A copy of the token -> index dictionary."""
        return dict(self._stoi)

    def get_itos(self) -> List[str]:
        """A copy of the index -> token list."""
        return list(self._itos)

    # --------------------------------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the tokens and default index as JSON (atomically)."""
        write_json_atomic(path, {"type": _FILE_KIND, "version": _FILE_VERSION, "itos": self._itos,
                                 "default_index": self._default_index})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocab:
        """Load a vocab written by :meth:`save`; a corrupt file raises ValueError naming it."""
        payload = read_json_object(path, _FILE_KIND, {"version": int, "itos": list})
        default_index = payload.get("default_index")
        problem = None
        if payload["version"] != _FILE_VERSION:
            problem = f"unsupported version {payload['version']}"
        elif not all(isinstance(token, str) for token in payload["itos"]):
            problem = "'itos' must be a list of str"
        elif len(set(payload["itos"])) != len(payload["itos"]):
            problem = "'itos' contains duplicate tokens"
        elif default_index is not None and type(default_index) is not int:
            problem = "'default_index' must be an int or null"
        elif default_index is not None and not 0 <= default_index < len(payload["itos"]):
            problem = f"'default_index' {default_index} is outside the {len(payload['itos'])} tokens"
        if problem is not None:
            raise ValueError(f"{_FILE_KIND} file {os.fspath(path)!r} is corrupt: {problem}")
        return cls(payload["itos"], default_index)

    def extra_repr(self) -> str:
        return f"num_tokens={len(self._itos)}, default_index={self._default_index}"


def vocab(ordered_dict: Mapping[str, int], min_freq: int = 1, specials: List[str] | None = None,
          special_first: bool = True) -> Vocab:
    """Build a :class:`Vocab` from a token -> frequency mapping, keeping its insertion order.

    Tokens with frequency < ``min_freq`` are dropped; ``specials`` (kept in the given order, removed from
    ``ordered_dict``'s ranking) go first or, with ``special_first=False``, last. Unlike torchtext the
    caller's dictionary is not modified.
    """
    specials = list(specials or [])
    special_set = set(specials)
    tokens = [token for token, freq in ordered_dict.items() if freq >= min_freq and token not in special_set]
    tokens = specials + tokens if special_first else tokens + specials
    return Vocab(tokens)


def build_vocab_from_iterator(iterator: Iterable[Iterable[str]], min_freq: int = 1,
                              specials: List[str] | None = None, special_first: bool = True,
                              max_tokens: int | None = None) -> Vocab:
    """Count tokens from an iterator of token lists and build a :class:`Vocab`, like torchtext.

    Order: descending frequency, ties broken by lexicographic (code-point) order of the token. With
    ``max_tokens`` only the ``max_tokens - len(specials)`` most frequent tokens are considered (before
    ``min_freq`` filtering and special removal, exactly as torchtext).
    """
    counter: Counter = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = list(specials or [])
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    if max_tokens is not None:
        if len(specials) >= max_tokens:
            raise AssertionError("len(specials) >= max_tokens, so the vocab will be entirely special tokens.")
        ranked = ranked[: max_tokens - len(specials)]
    return vocab(dict(ranked), min_freq=min_freq, specials=specials, special_first=special_first)
