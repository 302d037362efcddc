"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``.

``default_collate`` follows ``torch.utils.data.default_collate`` with one documented difference: a batch of
Python floats becomes a **float32** tensor (PyTorch gives float64), because tensorlib's default float is
float32. NumPy arrays and NumPy scalars keep their dtype, as in PyTorch (a float64 array stays float64).

==============================  ==========================================================
sample element                  batch
==============================  ==========================================================
Tensor ``[*]``                  Tensor ``[B, *]`` (all shapes must be equal)
NumPy array ``[*]``             Tensor ``[B, *]`` with the array's dtype
NumPy scalar                    Tensor ``[B]`` with the scalar's dtype
``bool`` / ``int`` / ``float``  Tensor ``[B]``: bool / int64 / float32 (any float -> float32)
``str`` / ``bytes``             unchanged (a tuple for a field of tuples)
mapping                         same mapping type, each key collated
namedtuple                      same namedtuple type, each field collated
tuple                           a **list** of collated fields (as PyTorch)
list / other sequence           same sequence type if constructible, else a list
==============================  ==========================================================
"""

from __future__ import annotations

import collections.abc
from typing import Any, Sequence

import numpy as np

import tensorlib as tl

_STRING_OR_OBJECT_KINDS = frozenset("SaUO")
_PAD_HINT = "; use collate_fn=tensorlib.data.pad_collate for variable-length sequences"
_UNSUPPORTED = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


_KIND_OF_TYPE = {tl.Tensor: "tensor", np.ndarray: "ndarray", int: "number", float: "number", bool: "number",
                 str: "str", bytes: "bytes", tuple: "sequence", list: "sequence", dict: "mapping"}


def _kind(value: Any) -> str:
    """The collate category of a sample element; elements of one batch position must share it."""
    kind = _KIND_OF_TYPE.get(type(value))  # exact built-in types first: no isinstance against ABCs
    if kind is not None:
        return kind
    if isinstance(value, tl.Tensor):
        return "tensor"
    if isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return "number"
    if isinstance(value, (str, bytes)):
        return type(value).__name__
    if isinstance(value, collections.abc.Mapping):
        return "mapping"
    if _is_namedtuple(value):
        return "namedtuple"
    if isinstance(value, collections.abc.Sequence):
        return "sequence"
    return "other"


def _where(field: str) -> str:
    return f" (field {field})" if field else ""


def _check_same_kind(batch: Sequence, field: str) -> None:
    if len(set(map(type, batch))) == 1:  # the common case, without per-element _kind
        return
    first = _kind(batch[0])
    for position, value in enumerate(batch):
        if _kind(value) != first:
            raise TypeError(f"default_collate: element {position} of the batch{_where(field)} is "
                            f"{type(value).__name__} but element 0 is {type(batch[0]).__name__}; every "
                            "sample must have the same structure and element types")


def _check_equal_shapes(shapes: list, field: str) -> None:
    for position, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shapes[0])} at "
                               f"entry 0 and {list(shape)} at entry {position}{_where(field)}{_PAD_HINT}")


def _stack_arrays(arrays: Sequence, field: str):
    """``np.stack`` of equal-shape arrays, as one ``concatenate`` (stack makes a view per array, twice as slow)."""
    first = arrays[0]
    if first.ndim == 0:
        return np.stack(arrays)
    if len({len(a) for a in arrays}) == 1:  # concatenate checks the other dimensions itself
        try:
            return np.concatenate(arrays).reshape((len(arrays),) + first.shape)
        except ValueError:
            pass
    _check_equal_shapes([a.shape for a in arrays], field)
    return np.stack(arrays)


def _collate_numbers(batch: Sequence) -> Any:
    if type(batch[0]) is int and len(set(map(type, batch))) == 1:  # the common case: class labels
        return tl.from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(batch[0], (np.number, np.bool_)):
        return tl.as_tensor(np.array(batch))
    if any(isinstance(x, (float, np.floating)) for x in batch):
        return tl.from_numpy(np.array(batch, dtype=np.float32))
    if all(isinstance(x, (bool, np.bool_)) for x in batch):
        return tl.from_numpy(np.array(batch, dtype=np.bool_))
    return tl.from_numpy(np.array(batch, dtype=np.int64))


def _collate(batch: Sequence, field: str) -> Any:
    elem = batch[0]
    _check_same_kind(batch, field)
    kind = _kind(elem)
    if kind == "tensor":
        arrays = [t._data for t in batch]
        if True in {t.requires_grad for t in batch} or len({a.dtype for a in arrays}) > 1:
            _check_equal_shapes([a.shape for a in arrays], field)
            return tl.stack(list(batch), 0)  # keeps the graph / applies PyTorch's type promotion
        return tl.from_numpy(_stack_arrays(arrays, field))  # the common case: plain data, one copy
    if kind == "ndarray":
        if elem.dtype.kind in _STRING_OR_OBJECT_KINDS:
            raise TypeError(_UNSUPPORTED.format(elem.dtype) + _where(field))
        return tl.from_numpy(_stack_arrays(batch, field))
    if kind == "number":
        return _collate_numbers(batch)
    if kind in ("str", "bytes"):
        return batch  # as PyTorch: the list itself at the top level, a tuple for a field of tuple samples
    if kind == "mapping":
        keys = list(elem.keys())
        for position, sample in enumerate(batch):
            if set(sample.keys()) != set(keys):
                raise KeyError(f"default_collate: element {position} of the batch{_where(field)} has "
                               f"keys {sorted(map(str, sample.keys()))} but element 0 has "
                               f"{sorted(map(str, keys))}")
        collated = {key: _collate([sample[key] for sample in batch], f"{field}[{key!r}]") for key in keys}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if kind == "namedtuple":
        return type(elem)(*(_collate(samples, f"{field}.{name}")
                            for name, samples in zip(elem._fields, zip(*batch))))
    if kind == "sequence":
        if len({len(sample) for sample in batch}) > 1:  # find the first offender only when there is one
            position = next(i for i, sample in enumerate(batch) if len(sample) != len(elem))
            raise RuntimeError(f"each element in list of batch should be of equal size, but element 0"
                               f"{_where(field)} has length {len(elem)} and element {position} has "
                               f"length {len(batch[position])}{_PAD_HINT}")
        collated = [_collate(samples, f"{field}[{i}]") for i, samples in enumerate(zip(*batch))]
        if isinstance(elem, tuple):
            return collated
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    raise TypeError(_UNSUPPORTED.format(type(elem)) + _where(field))


def default_collate(batch: Sequence) -> Any:
    """Stack a list of ``B`` samples into a batch, recursing into dicts, tuples and lists (see module doc)."""
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    return _collate(batch, "")


def default_convert(data: Any) -> Any:
    """Convert NumPy arrays/scalars inside ``data`` to tensors without adding a batch dimension.

    The collate function when automatic batching is off (``DataLoader(batch_size=None)``). Arrays share
    memory with the tensor; tuples become lists (as in PyTorch); anything else is returned unchanged.
    """
    if isinstance(data, tl.Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.kind in _STRING_OR_OBJECT_KINDS:
            return data
        return tl.as_tensor(data)
    if isinstance(data, (np.number, np.bool_)):
        return tl.as_tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data
