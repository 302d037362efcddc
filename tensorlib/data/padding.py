"""A collate function for variable-length sequences: ``PadCollate`` and the ready-made ``pad_collate``.

Output structure: exactly :func:`default_collate`'s, except that every **sequence field** becomes a
``PaddedBatch(padded, lengths)`` namedtuple (unpacks like ``(padded, lengths)``):

* a sequence field is a Tensor or NumPy array with at least one dimension, or a ``list`` of numbers
  (token ids); tuples are structure, not sequences, so ``(tokens, label)`` samples keep two fields;
* ``padded``: ``[B, T_max, *]`` when ``batch_first`` else ``[T_max, B, *]``, filled with ``padding_value``
  at the end (``padding_side='right'``) or the start (``'left'``) of each shorter sequence; dtype of the
  samples (number lists: float32 if any float, bool if all bool, else int64);
* ``lengths``: int64 Tensor ``[B]``, the original length (dim 0) of each sample.

Scalars, strings and dict/tuple structure are collated as by :func:`default_collate`. Every sequence field
gets the pair even when all lengths happen to be equal, so the structure never depends on the data.
"""

from __future__ import annotations

import collections
import collections.abc
from typing import Any, Sequence

import numpy as np

import tensorlib as tl

from .collate import _collate, _is_namedtuple, _kind, _where

_NUMBER_TYPES = (bool, int, float, np.number, np.bool_)
PaddedBatch = collections.namedtuple("PaddedBatch", ["padded", "lengths"])
PaddedBatch.__doc__ = ("A padded sequence field: ``padded`` [B, T_max, *] (or [T_max, B, *]) and "
                       "``lengths`` [B].")


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, _NUMBER_TYPES) for x in value)


def _is_sequence_leaf(value: Any) -> bool:
    if isinstance(value, (tl.Tensor, np.ndarray)):
        return value.ndim >= 1
    return _is_number_list(value)


def _number_list_dtype(batch: Sequence[list]) -> np.dtype:
    values = [x for sample in batch for x in sample]
    if any(isinstance(x, (float, np.floating)) for x in values):
        return np.dtype(np.float32)
    if values and all(isinstance(x, (bool, np.bool_)) for x in values):
        return np.dtype(np.bool_)
    return np.dtype(np.int64)


def _as_arrays(batch: Sequence, field: str) -> list:
    if _is_number_list(batch[0]):
        for position, sample in enumerate(batch):
            if not _is_number_list(sample):
                raise TypeError(f"pad_collate: element {position} of the batch{_where(field)} is "
                                f"{type(sample).__name__} but element 0 is a list of numbers")
        dtype = _number_list_dtype(batch)
        return [np.asarray(sample, dtype=dtype) for sample in batch]
    arrays = []
    for position, sample in enumerate(batch):
        if not isinstance(sample, (tl.Tensor, np.ndarray)) or sample.ndim == 0:
            raise TypeError(f"pad_collate: element {position} of the batch{_where(field)} is "
                            f"{type(sample).__name__} but element 0 is a sequence ({type(batch[0]).__name__} "
                            "with at least one dimension)")
        arrays.append(sample.detach().numpy() if isinstance(sample, tl.Tensor) else sample)
    return arrays


class PadCollate:
    """Collate samples whose sequence fields differ in length by padding them along dim 0.

    Args:
        padding_value: fill value for the padded positions.
        batch_first: ``padded`` is ``[B, T_max, *]`` if True, else ``[T_max, B, *]``.
        padding_side: ``'right'`` pads after each sequence, ``'left'`` before it.

    See the module docstring for the exact output structure.
    """

    def __init__(self, padding_value: float = 0, batch_first: bool = True,
                 padding_side: str = "right") -> None:
        if padding_side not in ("right", "left"):
            raise ValueError("padding_side should be 'right' or 'left', but got "
                             f"padding_side={padding_side!r}")
        if not isinstance(batch_first, bool):
            raise ValueError(f"batch_first should be a boolean value, but got batch_first={batch_first}")
        self.padding_value = padding_value
        self.batch_first = batch_first
        self.padding_side = padding_side

    def __repr__(self) -> str:
        return (f"PadCollate(padding_value={self.padding_value!r}, batch_first={self.batch_first}, "
                f"padding_side={self.padding_side!r})")

    def __call__(self, batch: Sequence) -> Any:
        if len(batch) == 0:
            raise ValueError("pad_collate: got an empty batch")
        return self._collate(batch, "")

    def _collate(self, batch: Sequence, field: str) -> Any:
        elem = batch[0]
        if _is_sequence_leaf(elem):
            return self._pad(_as_arrays(batch, field), field)
        kind = _kind(elem)
        if kind == "mapping":
            collated = {key: self._collate([sample[key] for sample in batch], f"{field}[{key!r}]")
                        for key in elem}
            try:
                return type(elem)(collated)
            except TypeError:
                return collated
        if kind == "namedtuple":
            return type(elem)(*(self._collate(list(samples), f"{field}.{name}")
                                for name, samples in zip(elem._fields, zip(*batch))))
        if kind == "sequence" and not _is_namedtuple(elem):
            for position, sample in enumerate(batch):
                if len(sample) != len(elem):
                    raise RuntimeError(f"pad_collate: element {position} of the batch{_where(field)} has "
                                       f"{len(sample)} fields but element 0 has {len(elem)}")
            return [self._collate(list(samples), f"{field}[{i}]") for i, samples in enumerate(zip(*batch))]
        return _collate(batch, field)

    def _pad(self, arrays: list, field: str) -> PaddedBatch:
        trailing = arrays[0].shape[1:]
        for position, array in enumerate(arrays):
            if array.shape[1:] != trailing:
                raise RuntimeError(f"pad_collate: sequences can differ only in dim 0, but got shape "
                                   f"{list(arrays[0].shape)} at entry 0 and {list(array.shape)} at entry "
                                   f"{position}{_where(field)}")
        lengths = np.array([array.shape[0] for array in arrays], dtype=np.int64)
        batch_size, longest = len(arrays), int(lengths.max())
        padded = np.full((batch_size, longest) + trailing, self.padding_value, dtype=arrays[0].dtype)
        # Scatter all rows at once: row i of the flat concatenation goes to (sample, offset-in-sample).
        flat = np.concatenate(arrays, axis=0)
        sample_of_row = np.repeat(np.arange(batch_size), lengths)
        starts = np.cumsum(lengths) - lengths
        offset = np.arange(flat.shape[0]) - np.repeat(starts, lengths)
        if self.padding_side == "left":
            offset += np.repeat(longest - lengths, lengths)
        padded[sample_of_row, offset] = flat
        if not self.batch_first:
            padded = np.ascontiguousarray(np.swapaxes(padded, 0, 1))
        return PaddedBatch(tl.from_numpy(padded), tl.from_numpy(lengths))


pad_collate = PadCollate()
pad_collate.__doc__ = "``PadCollate()`` with its defaults: pad with 0, batch first, on the right."
