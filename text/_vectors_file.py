"""Parse a word-vectors text file (GloVe / fastText ``.vec`` / word2vec text) in one vectorised pass, and
cache the result as ``.npz`` (float32 vectors + UTF-8 words, no pickle).

Format, as torchtext reads it: one ``word v1 v2 ... vD`` per line, fields separated by single spaces, trailing
whitespace ignored. Lines with a single field after the word (fastText's ``count dim`` header) are skipped;
a line with another number of fields raises ``RuntimeError`` naming the file, line and token.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
from typing import Iterator, List, Optional, Tuple

import numpy as np

from tensorlib._atomic import atomic_write

CHUNK_BYTES = 1 << 25  # parse 32 MB of lines at a time: memory stays bounded on multi-GB files


def read_vectors_file(path: str, max_vectors: Optional[int] = None) -> Tuple[List[str], np.ndarray]:
    """``(itos, vectors (N, D) float32)`` of the text file ``path`` (``.gz`` decompressed), first
    ``max_vectors`` vectors only when given (the rest of the file is not read). Tokens that are not UTF-8 are
    skipped (as torchtext does)."""
    opener = gzip.open if path.endswith(".gz") else open
    itos: List[str] = []
    blocks: List[np.ndarray] = []
    dim: Optional[int] = None
    line_offset = 0
    with opener(path, "rb") as f:
        for block in _blocks(f):
            parsed = _parse_regular_block(block, line_offset, dim, path)
            if parsed is None:  # blank lines, stray spaces, wrong counts...: the line-by-line parser decides
                parsed = _parse_lines(block.split(b"\n"), line_offset, dim, path)
            words, rows, dim = parsed
            line_offset += block.count(b"\n") + 1
            if max_vectors:
                words, rows = words[:max_vectors - len(itos)], rows[:max_vectors - len(itos)]
            itos += words
            blocks.append(rows)
            if max_vectors and len(itos) >= max_vectors:
                break
    if not itos:
        raise RuntimeError(f"{path}: no vectors found (expected lines 'word v1 v2 ...')")
    return itos, blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _blocks(f) -> Iterator[bytes]:
    """The file in blocks of whole lines of about ``CHUNK_BYTES`` bytes (without their last newline)."""
    leftover = b""
    while True:
        block = f.read(CHUNK_BYTES)
        if not block:
            if leftover:
                yield leftover
            return
        block = leftover + block if leftover else block
        cut = block.rfind(b"\n")
        if cut < 0:
            leftover = block
            continue
        leftover = block[cut + 1:]
        yield block[:cut]


def _parse_regular_block(block: bytes, offset: int, dim: Optional[int], path: str
                         ) -> Optional[Tuple[List[str], np.ndarray, int]]:
    """``_parse_lines``'s result without any per-line Python work, for the usual block where every line is
    ``word v1 .. vD`` (single spaces, at most one trailing space, optionally a 1-value header first);
    None for anything else."""
    arr = np.frombuffer(block, dtype=np.uint8)
    ends = np.append(np.flatnonzero(arr == 10), len(arr))  # index of each line's newline (or the block end)
    starts = np.concatenate(([0], ends[:-1] + 1))
    if np.any(ends - starts < 3):  # blank or too short for "w v"
        return None
    space_at = np.flatnonzero(arr == 32)
    spaces = np.diff(np.searchsorted(space_at, np.append(starts, len(arr) + 1)))
    trailing = arr[ends - 1] == 32
    if np.any(arr[ends - 1] == 13) or np.any(trailing & (arr[ends - 2] == 32)):
        return None
    fields = spaces - trailing  # numbers per line, when no line has two spaces in a row
    header = fields[0] == 1
    if header:
        warnings.warn(f"{path}: skipping line {offset + 1} ({block[:min(60, int(ends[0]))]!r}) with a "
                      "1-dimensional vector; likely a header", UserWarning, stacklevel=4)
        starts, ends, fields = starts[1:], ends[1:], fields[1:]
        if not len(fields):
            return [], np.empty((0, dim or 0), np.float32), dim
    dim = int(fields[0]) if dim is None else dim
    if dim < 2 or np.any(fields != dim):
        return None
    body = block[int(starts[0]):]
    try:
        rows = np.loadtxt(io.BytesIO(body), dtype=np.float32, delimiter=" ", comments=None, quotechar=None,
                          usecols=range(1, dim + 1), ndmin=2)
    except ValueError:  # a field that is not a number (or two spaces in a row): let the careful parser name it
        return None
    if len(rows) != len(fields):
        return None
    firsts = space_at[np.searchsorted(space_at, starts)]
    itos, valid = _decode([block[a:b] for a, b in zip(starts.tolist(), firsts.tolist())])
    return itos, rows if valid is None else rows[valid], dim


def _parse_lines(lines: List[bytes], offset: int, dim: Optional[int], path: str
                 ) -> Tuple[List[str], np.ndarray, Optional[int]]:
    """Words, ``(n, dim)`` vectors and dim of ``lines`` (line ``offset + 1`` of the file comes first)."""
    pairs = [line.rstrip().split(b" ", 1) for line in lines]
    keep = [i for i, pair in enumerate(pairs) if len(pair) == 2 and b" " in pair[1]]
    skipped = [i for i, pair in enumerate(pairs) if len(pair) == 2 and b" " not in pair[1]]
    if skipped:
        warnings.warn(f"{path}: skipping line {offset + skipped[0] + 1} ({lines[skipped[0]][:60]!r}) with a "
                      "1-dimensional vector; likely a header", UserWarning, stacklevel=4)
    if not keep:
        return [], np.empty((0, dim or 0), np.float32), dim
    rests = [pairs[i][1] for i in keep]
    counts = np.fromiter((r.count(b" ") + 1 for r in rests), dtype=np.int64, count=len(rests))
    dim = int(counts[0]) if dim is None else dim
    bare = next((i for i, pair in enumerate(pairs[:keep[-1]]) if len(pair) == 1 and pair[0]), None)
    if bare is not None:  # a token without any vector
        raise RuntimeError(_dimension_error(path, offset + bare, pairs[bare][0], 0, dim))
    bad = np.flatnonzero(counts != dim)
    if bad.size:
        first = int(bad[0])
        raise RuntimeError(_dimension_error(path, offset + keep[first], pairs[keep[first]][0], int(counts[first]),
                                            dim))
    try:
        vectors = _parse_rows(b"\n".join(rests), dim)
    except ValueError:
        line = next(k for k, rest in zip(keep, rests) if _parse_floats(rest).size != dim)
        raise RuntimeError(f"{path}: line {offset + line + 1} (token {pairs[line][0][:60]!r}) has a field that is "
                           "not a number") from None
    itos, valid = _decode([pairs[i][0] for i in keep])
    return itos, vectors if valid is None else vectors[valid], dim


def _dimension_error(path: str, line: int, word: bytes, got: int, dim: int) -> str:
    return (f"{path}: line {line + 1}: vector for token {word.decode('utf-8', 'replace')!r} has {got} dimensions, "
            f"but previously read vectors have {dim} dimensions. All vectors must have the same number of "
            "dimensions.")


def _parse_rows(text: bytes, dim: int) -> np.ndarray:
    """``(rows, dim)`` float32 from newline-separated rows of ``dim`` space-separated numbers, in NumPy's C
    parser (``loadtxt`` is compiled since NumPy 1.23: about twice as fast as ``fromstring(sep=" ")``)."""
    rows = np.loadtxt(io.BytesIO(text), dtype=np.float32, delimiter=" ", comments=None, quotechar=None, ndmin=2)
    return rows.reshape(-1, dim)


def _parse_floats(text: bytes) -> np.ndarray:
    """The numbers in ``text``; an empty array if any field is not a number (NumPy 2 raises, 1.x warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(text, dtype=np.float32, sep=" ")
        except (ValueError, DeprecationWarning):
            return np.empty(0, np.float32)


def _decode(words: List[bytes]) -> Tuple[List[str], Optional[np.ndarray]]:
    try:
        return b"\n".join(words).decode("utf-8").split("\n"), None
    except UnicodeDecodeError:
        pass
    itos, valid = [], []
    for i, word in enumerate(words):
        try:
            itos.append(word.decode("utf-8"))
            valid.append(i)
        except UnicodeDecodeError:
            continue  # torchtext skips non-UTF-8 tokens
    return itos, np.asarray(valid, dtype=np.int64)


def save_cache(path: str, itos: List[str], vectors: np.ndarray, source: str) -> None:
    """Write the parsed vectors to ``path`` (``.npz``) atomically, stamped with ``source``'s size and mtime."""
    stat = os.stat(source)
    words = np.frombuffer("\n".join(itos).encode("utf-8"), dtype=np.uint8)
    try:
        with atomic_write(path) as f:
            np.savez(f, vectors=np.ascontiguousarray(vectors, dtype=np.float32), words=words,
                     source=np.array([stat.st_size, stat.st_mtime_ns], dtype=np.int64))
    except OSError:
        pass  # a read-only cache folder just means parsing again next time


def load_cache(path: str, source: str) -> Optional[Tuple[List[str], np.ndarray]]:
    """The cached ``(itos, vectors)`` if ``path`` exists and was built from ``source`` as it is now (or
    ``source`` is gone), else None."""
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as cache:
            if os.path.exists(source):
                stat = os.stat(source)
                if cache["source"].tolist() != [stat.st_size, stat.st_mtime_ns]:
                    return None
            vectors = cache["vectors"]
            text = cache["words"].tobytes().decode("utf-8")
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return None
    itos = text.split("\n") if len(vectors) else []
    return (itos, vectors) if len(itos) == len(vectors) else None
