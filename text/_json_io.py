"""JSON persistence shared by Vocab and BPETokenizer: atomic writes and loads with clear errors."""

from __future__ import annotations

import json
import os
from typing import Any

from tensorlib._atomic import atomic_write
from tensorlib._strict_json import StrictJSONError, loads_strict

_MAX_DEPTH = 8  # vocab and BPE files nest 3 levels (object -> merges list -> pair)


def write_json_atomic(path: str | os.PathLike, payload: Any) -> None:
    """Write ``payload`` as UTF-8 JSON to ``path`` via a temporary file renamed into place.

    A crash mid-write leaves either the old file or no file, never a truncated one.
    """
    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)


def read_json_object(path: str | os.PathLike, kind: str, required: dict) -> dict:
    """Load a JSON object from ``path`` and check it has ``required`` keys of the given types.

    ``kind`` names the file type in error messages. Raises ValueError naming the file when the content is
    not UTF-8 JSON (or JSON nested deeper than a few levels, with integers longer than 20 digits, duplicate keys
    or NaN), not an object, not of this ``kind`` or missing a field; FileNotFoundError passes through.
    """
    path = os.fspath(path)
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        payload = loads_strict(raw, max_depth=_MAX_DEPTH)
    except StrictJSONError as error:
        raise ValueError(f"{kind} file {path!r} is corrupt: {error}") from None
    if not isinstance(payload, dict):
        raise ValueError(f"{kind} file {path!r} is corrupt: expected a JSON object, got "
                         f"{type(payload).__name__}")
    if payload.get("type") != kind:
        raise ValueError(f"{kind} file {path!r} is corrupt: expected \"type\": {kind!r}, "
                         f"got {payload.get('type')!r}")
    for key, expected_type in required.items():
        if not isinstance(payload.get(key), expected_type):
            raise ValueError(f"{kind} file {path!r} is corrupt: field {key!r} is missing or not a "
                             f"{getattr(expected_type, '__name__', expected_type)}")
    return payload
