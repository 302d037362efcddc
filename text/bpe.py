"""A trainable byte-level byte-pair-encoding tokenizer (GPT-2 style), with JSON save/load.

Id layout: ``0..255`` are the raw bytes, ``256..256+len(merges)-1`` the learned merges in rank order,
then the special tokens. Every string encodes (unknown characters fall back to their UTF-8 bytes) and
``decode(encode(s)) == s`` for any ``str``, lone surrogates included.
"""

from __future__ import annotations

import heapq
import os
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Sequence, Tuple

import regex

from ._json_io import read_json_object, write_json_atomic

__all__ = ["BPETokenizer", "GPT2_PRETOKENIZE_PATTERN"]

# GPT-2's pre-tokenizer: contractions, letter runs, digit runs, other-symbol runs (each optionally with
# one leading space), and whitespace. Merges never cross these boundaries.
GPT2_PRETOKENIZE_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

_NUM_BYTES = 256
_FILE_KIND = "tensorlib.BPETokenizer"
_FILE_VERSION = 1
_MAX_TOKEN_BYTES = 1 << 20  # longest token a loaded file may define (real BPE tokens are tens of bytes)
_UTF8 = "utf-8"
_ENCODE_ERRORS = "surrogatepass"  # lets lone surrogates round-trip


Pair = Tuple[int, int]


def _check_str(text, who: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"BPETokenizer.{who} expects a str, got {type(text).__name__}"
                        + (" (decode bytes first)" if isinstance(text, (bytes, bytearray)) else ""))


class BPETokenizer:
    """Byte-level BPE: ``train`` learns merges from text; ``encode``/``decode`` map ``str <-> list[int]``.

    Construct with :meth:`train` or :meth:`load`; the constructor takes already-learned ``merges`` (a list
    of id pairs in rank order) and ``special_tokens`` (strings never split, e.g. ``"<|endoftext|>"``).
    """

    def __init__(self, merges: Sequence[Sequence[int]] = (), special_tokens: Sequence[str] = (),
                 pattern: str = GPT2_PRETOKENIZE_PATTERN) -> None:
        self.pattern = pattern
        self._pretokenizer = regex.compile(pattern)
        self.merges: List[Pair] = []
        self._id_to_bytes: List[bytes] = [bytes([b]) for b in range(_NUM_BYTES)]
        self._ranks: Dict[Pair, int] = {}
        for a, b in merges:
            self._add_merge(int(a), int(b))
        self.special_tokens: List[str] = []
        self._special_to_id: Dict[str, int] = {}
        for token in special_tokens:
            if not isinstance(token, str) or not token:
                raise ValueError(f"special tokens must be non-empty str, got {token!r}")
            if token not in self._special_to_id:
                self._special_to_id[token] = _NUM_BYTES + len(self.merges) + len(self.special_tokens)
                self.special_tokens.append(token)
        self._id_to_special = {i: t for t, i in self._special_to_id.items()}
        # Longest first so a special token that prefixes another does not win.
        ordered = sorted(self.special_tokens, key=len, reverse=True)
        self._special_splitter = (regex.compile("(" + "|".join(regex.escape(t) for t in ordered) + ")")
                                  if ordered else None)
        self._cache: Dict[str, Tuple[int, ...]] = {}

    def _add_merge(self, a: int, b: int) -> None:
        new_id = _NUM_BYTES + len(self.merges)
        if not (0 <= a < new_id and 0 <= b < new_id):
            raise ValueError(f"merge ({a}, {b}) refers to an id not defined before it (next id {new_id})")
        if (a, b) in self._ranks:
            raise ValueError(f"merge ({a}, {b}) is listed twice")
        self._ranks[(a, b)] = len(self.merges)
        self.merges.append((a, b))
        self._id_to_bytes.append(self._id_to_bytes[a] + self._id_to_bytes[b])

    # ----------------------------------------------------------------------------------------- training
    @classmethod
    def train(cls, iterator: Iterable[str], vocab_size: int, special_tokens: Sequence[str] = (),
              pattern: str = GPT2_PRETOKENIZE_PATTERN) -> BPETokenizer:
        """Learn merges from an iterable of strings until the vocabulary holds ``vocab_size`` ids
        (256 bytes + merges + special tokens), or until no adjacent pair is left.

        Word frequencies are counted once; each merge then updates pair counts only for the words that
        contain the merged pair, and a lazy max-heap finds the next most frequent pair (ties go to the
        smallest id pair, so training is deterministic).
        """
        special_tokens = list(dict.fromkeys(special_tokens))
        num_merges = vocab_size - _NUM_BYTES - len(special_tokens)
        if num_merges < 0:
            raise ValueError(f"vocab_size={vocab_size} is smaller than the 256 byte ids plus "
                             f"{len(special_tokens)} special tokens")
        pretokenizer = regex.compile(pattern)
        splitter = (regex.compile("|".join(regex.escape(t) for t in sorted(special_tokens, key=len,
                                                                             reverse=True)))
                    if special_tokens else None)
        word_counts: Counter = Counter()
        for text in iterator:
            _check_str(text, "train")
            pieces = splitter.split(text) if splitter is not None else (text,)
            for piece in pieces:
                word_counts.update(pretokenizer.findall(piece))
        merges = _learn_merges(word_counts, num_merges)
        return cls(merges, special_tokens, pattern)

    # ----------------------------------------------------------------------------------------- encoding
    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes + merges + special tokens."""
        return _NUM_BYTES + len(self.merges) + len(self.special_tokens)

    def __len__(self) -> int:
        return self.vocab_size

    def __call__(self, text: str) -> List[int]:
        return self.encode(text)

    def encode(self, text: str) -> List[int]:
        """Encode a string into token ids; special tokens in the text map to their own ids."""
        _check_str(text, "encode")
        if not text:
            return []
        ids: List[int] = []
        if self._special_splitter is None:
            self._encode_ordinary(text, ids)
            return ids
        for i, piece in enumerate(self._special_splitter.split(text)):
            if i % 2:
                ids.append(self._special_to_id[piece])
            elif piece:
                self._encode_ordinary(piece, ids)
        return ids

    def encode_batch(self, texts: Iterable[str]) -> List[List[int]]:
        """Encode each string of ``texts``."""
        return [self.encode(text) for text in texts]

    def _encode_ordinary(self, text: str, out: List[int]) -> None:
        cache = self._cache
        for word in self._pretokenizer.findall(text):
            word_ids = cache.get(word)
            if word_ids is None:
                word_ids = self._encode_word(word)
                if len(cache) < 100_000:
                    cache[word] = word_ids
            out.extend(word_ids)

    def _encode_word(self, word: str) -> Tuple[int, ...]:
        ids = list(word.encode(_UTF8, _ENCODE_ERRORS))
        ranks = self._ranks
        while len(ids) > 1:
            best_rank, best = None, None
            for pair in zip(ids, ids[1:]):
                rank = ranks.get(pair)
                if rank is not None and (best_rank is None or rank < best_rank):
                    best_rank, best = rank, pair
            if best is None:
                break
            ids = _merge_pair(ids, best, _NUM_BYTES + best_rank)
        return tuple(ids)

    def decode(self, ids: Iterable[int]) -> str:
        """Turn ids back into text; byte sequences that are not valid UTF-8 decode with U+FFFD."""
        chunks: List[bytes] = []
        pieces: List[str] = []
        size = self.vocab_size
        for token_id in ids:
            token_id = int(token_id)
            if 0 <= token_id < len(self._id_to_bytes):
                chunks.append(self._id_to_bytes[token_id])
            elif token_id in self._id_to_special:
                pieces.append(_decode_bytes(b"".join(chunks)))
                chunks = []
                pieces.append(self._id_to_special[token_id])
            else:
                raise IndexError(f"token id {token_id} is out of range for a vocabulary of size {size}")
        pieces.append(_decode_bytes(b"".join(chunks)))
        return "".join(pieces)

    def id_to_bytes(self, token_id: int) -> bytes:
        """The bytes an id stands for (special tokens as their UTF-8 text)."""
        if token_id in self._id_to_special:
            return self._id_to_special[token_id].encode(_UTF8)
        return self._id_to_bytes[token_id]

    def token_to_id(self, token: str) -> int | None:
        """The id of a special token or of a string that is a single learned/byte token, else None."""
        if token in self._special_to_id:
            return self._special_to_id[token]
        ids = self._encode_word(token)
        return ids[0] if len(ids) == 1 else None

    # --------------------------------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write merges, special tokens and the pre-tokenizer pattern as JSON (atomically)."""
        write_json_atomic(path, {"type": _FILE_KIND, "version": _FILE_VERSION, "pattern": self.pattern,
                                 "special_tokens": self.special_tokens,
                                 "merges": [list(pair) for pair in self.merges]})

    @classmethod
    def load(cls, path: str | os.PathLike) -> BPETokenizer:
        """Load a tokenizer written by :meth:`save`; a corrupt file raises ValueError naming it."""
        payload = read_json_object(path, _FILE_KIND, {"version": int, "pattern": str,
                                                      "special_tokens": list, "merges": list})
        try:
            if payload["version"] != _FILE_VERSION:
                raise ValueError(f"unsupported version {payload['version']}")
            _check_merges(payload["merges"])
            specials = payload["special_tokens"]
            if not all(isinstance(t, str) and t for t in specials) or len(set(specials)) != len(specials):
                raise ValueError("'special_tokens' must be a list of distinct non-empty str")
            return cls(payload["merges"], specials, payload["pattern"])
        except (ValueError, OverflowError, RecursionError, regex.error) as error:
            raise ValueError(f"{_FILE_KIND} file {os.fspath(path)!r} is corrupt: {error}") from None

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
                f"special_tokens={self.special_tokens!r})")


def _check_merges(merges: list) -> None:
    """Each merge is ``[a, b]`` of ids defined before it, and no merged token grows beyond
    ``_MAX_TOKEN_BYTES`` (a chain of self-merges doubles the length each time: 40 of them would need 1 TiB)."""
    lengths = [1] * _NUM_BYTES
    for pair in merges:
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(x) is int for x in pair)):
            raise ValueError("'merges' must be a list of [int, int] pairs")
        a, b = pair
        if not (0 <= a < len(lengths) and 0 <= b < len(lengths)):
            raise ValueError(f"merge ({a}, {b}) refers to an id not defined before it (next id {len(lengths)})")
        lengths.append(lengths[a] + lengths[b])
        if lengths[-1] > _MAX_TOKEN_BYTES:
            raise ValueError(f"merge ({a}, {b}) makes a token of {lengths[-1]} bytes (at most {_MAX_TOKEN_BYTES})")


def _decode_bytes(data: bytes) -> str:
    try:
        return data.decode(_UTF8, _ENCODE_ERRORS)
    except UnicodeDecodeError:
        return data.decode(_UTF8, "replace")


def _merge_pair(ids: List[int], pair: Pair, new_id: int) -> List[int]:
    """Replace every non-overlapping occurrence of ``pair`` in ``ids`` (left to right) by ``new_id``."""
    first, second = pair
    out: List[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i < n - 1 and ids[i] == first and ids[i + 1] == second:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _learn_merges(word_counts: Counter, num_merges: int) -> List[Pair]:
    """Greedy BPE over a word-frequency table with incremental pair-count updates."""
    words: List[List[int]] = []
    freqs: List[int] = []
    for word, count in word_counts.items():
        encoded = list(word.encode(_UTF8, _ENCODE_ERRORS))
        if len(encoded) > 1:
            words.append(encoded)
            freqs.append(count)

    pair_counts: Dict[Pair, int] = defaultdict(int)
    pair_words: Dict[Pair, set] = defaultdict(set)
    for index, (ids, freq) in enumerate(zip(words, freqs)):
        for pair in zip(ids, ids[1:]):
            pair_counts[pair] += freq
            pair_words[pair].add(index)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    merges: List[Pair] = []
    while len(merges) < num_merges and heap:
        neg_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg_count:
            continue  # stale entry: the count changed after it was pushed
        if -neg_count <= 0:
            break
        new_id = _NUM_BYTES + len(merges)
        merges.append(pair)
        changed: Dict[Pair, int] = defaultdict(int)
        for index in pair_words.pop(pair):
            old = words[index]
            new = _merge_pair(old, pair, new_id)
            if len(new) == len(old):
                continue  # the pair left this word after an earlier merge
            freq = freqs[index]
            for p in zip(old, old[1:]):
                changed[p] -= freq
            for p in zip(new, new[1:]):
                changed[p] += freq
                pair_words[p].add(index)
            words[index] = new
        del pair_counts[pair]
        changed.pop(pair, None)
        for p, delta in changed.items():
            if delta:
                count = pair_counts.get(p, 0) + delta
                if count > 0:
                    pair_counts[p] = count
                    heapq.heappush(heap, (-count, p))
                else:
                    pair_counts.pop(p, None)
    return merges
