"""JSON from untrusted files: bounded nesting, bounded integers, no duplicate keys, no NaN/Infinity.

``json.loads`` alone turns deep nesting into RecursionError, a 5000-digit integer into a slow parse or
ValueError, and keeps the last of two equal keys silently. ``loads_strict`` refuses all of these with
``StrictJSONError`` (a ValueError) saying what is wrong; callers add the file name and their own error type.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_MAX_INT_DIGITS = 20  # int64/uint64 fit; anything longer is not a size, offset or id


class StrictJSONError(ValueError):
    """The text is not JSON, or JSON we refuse (too deep, huge integer, duplicate key, NaN)."""


def nesting_depth(raw: bytes) -> int:
    """Deepest bracket nesting of JSON text ``raw`` (strings ignored), computed without recursion."""
    skeleton = np.frombuffer(_STRINGS.sub(b"", raw), dtype=np.uint8)
    steps = (np.isin(skeleton, (ord("["), ord("{"))).astype(np.int32)
             - np.isin(skeleton, (ord("]"), ord("}"))).astype(np.int32))
    return int(np.cumsum(steps).max()) if steps.size else 0


def _no_duplicates(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise StrictJSONError(f"duplicate key {duplicate!r}")
    return result


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise StrictJSONError(f"integer with {len(text)} digits (at most {_MAX_INT_DIGITS} are accepted)")
    return int(text)


def _refuse_constant(name: str) -> Any:
    raise StrictJSONError(f"non-standard JSON constant {name}")


def loads_strict(raw: bytes | str, max_depth: int = 64) -> Any:
    """Parse UTF-8 JSON ``raw``; raise ``StrictJSONError`` for anything malformed or refused."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictJSONError(f"not UTF-8 text (byte {error.start}: {raw[error.start:error.start + 1]!r})") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_bounded_int,
                           parse_constant=_refuse_constant)
    except StrictJSONError:
        raise
    except RecursionError:
        raise StrictJSONError(f"nesting deeper than the limit of {max_depth}") from None
    except ValueError as error:  # JSONDecodeError included
        raise StrictJSONError(f"not valid JSON ({error})") from None
    # measured after parsing: on valid JSON every string is closed, so the string-stripping regex is linear
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise StrictJSONError(f"nesting depth {depth} exceeds the limit of {max_depth}")
    return value
