"""Functional forms of the text transforms: ``to_tensor``, ``truncate``, ``add_token``, ``str_to_int``
(as ``torchtext.functional``). Inputs are a sequence (list) or a batch (list of lists).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

import tensorlib as tl
from tensorlib.dtypes import to_numpy_dtype

__all__ = ["to_tensor", "truncate", "add_token", "str_to_int"]


def _is_batch(input: Any) -> bool:
    """True for a non-empty list whose first item is a list (torchtext's List[List[...]] case)."""
    return len(input) > 0 and isinstance(input[0], list)


def _check_list(input: Any, what: str) -> None:
    if not isinstance(input, list):
        raise TypeError(f"Input type not supported: {what} expects a list or a list of lists, "
                        f"got {type(input).__name__}")


def to_tensor(input: Any, padding_value: int | None = None, dtype: tl.dtype = tl.int64) -> tl.Tensor:
    """Convert token ids to a tensor.

    A list of ints gives a 1-D int64 tensor (torchtext ignores ``dtype`` here, so do we). A list of lists
    gives a ``(batch, max_len)`` tensor of ``dtype``; with ``padding_value=None`` all rows must have the
    same length, otherwise shorter rows are right-padded with ``padding_value``.
    """
    _check_list(input, "to_tensor")
    if padding_value is None:
        _check_equal_lengths(input)
    try:
        return _to_tensor(input, padding_value, dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"Input type not supported: to_tensor expects a list of ints or a list of lists of "
                        f"ints ({error})") from None


def _check_equal_lengths(input: list) -> None:
    """Rows of different lengths without a padding value: a ValueError, like torch.tensor's."""
    try:
        lengths = [len(row) for row in input] if _is_batch(input) else []
    except TypeError:  # not rows of sequences: to_tensor reports the input type
        return
    if lengths and min(lengths) != max(lengths):
        raise ValueError(f"to_tensor: rows have different lengths (min {min(lengths)}, max {max(lengths)}); pass "
                         "padding_value to pad them")


def _to_tensor(input: list, padding_value: int | None, dtype: tl.dtype) -> tl.Tensor:
    if not _is_batch(input):
        return tl.tensor(input, dtype=tl.int64)
    if padding_value is None:
        return tl.tensor(input, dtype=dtype)
    lengths = np.fromiter(map(len, input), dtype=np.int64, count=len(input))
    max_len = int(lengths.max())
    np_dtype = to_numpy_dtype(dtype)
    out = np.full((len(input), max_len), padding_value, dtype=np_dtype)
    flat = np.fromiter(chain.from_iterable(input), dtype=np_dtype, count=int(lengths.sum()))
    out[np.arange(max_len)[None, :] < lengths[:, None]] = flat
    return tl.from_numpy(out)


def truncate(input: Any, max_seq_len: int) -> Any:
    """Keep the first ``max_seq_len`` items of a sequence, or of every sequence of a batch."""
    _check_list(input, "truncate")
    if _is_batch(input):
        return [ids[:max_seq_len] for ids in input]
    return input[:max_seq_len]


def add_token(input: Any, token_id: Any, begin: bool = True) -> Any:
    """Prepend (``begin=True``) or append ``token_id`` to a sequence, or to every sequence of a batch."""
    _check_list(input, "add_token")
    sample = input[0][0] if _is_batch(input) and input[0] else (input[0] if input and not _is_batch(input)
                                                                 else None)
    if sample is not None and isinstance(sample, str) != isinstance(token_id, str):
        raise TypeError(f"Input type not supported: cannot add token {token_id!r} to a sequence of "
                        f"{type(sample).__name__}")
    if _is_batch(input):
        return [[token_id] + ids if begin else ids + [token_id] for ids in input]
    return [token_id] + input if begin else input + [token_id]


def str_to_int(input: Any) -> Any:
    """Convert a list (or batch of lists) of numeric strings to ints."""
    _check_list(input, "str_to_int")
    if _is_batch(input):
        return [[int(x) for x in row] for row in input]
    return [int(x) for x in input]
