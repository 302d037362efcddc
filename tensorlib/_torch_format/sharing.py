"""Find tensors that are views of one NumPy buffer, so the writer stores that buffer once (as PyTorch does for
a tensor and its slices, or tied weights) and ``torch.load`` gives back views of one storage.

A buffer is shared only when at least two saved tensors view it and together they are at least as large as
it: a lone slice of a big hidden buffer is written compactly instead of dragging the whole buffer along.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List

import numpy as np

from ..tensor import Tensor


@dataclass
class SharedView:
    """``array`` seen as ``root.reshape(-1)[offset:]`` with ``strides`` (in elements)."""

    root: np.ndarray
    offset: int
    strides: tuple


def plan_shared_storages(obj: Any) -> Dict[int, SharedView]:
    """``id(tensor) -> SharedView`` for every tensor in ``obj`` whose buffer it shares with another one."""
    groups: Dict[int, List[tuple]] = defaultdict(list)
    seen: set = set()
    for tensor in _tensors(obj):
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        array = tensor.detach().numpy()
        root = _root(array)
        if root is not array or array.base is not None:
            groups[id(root)].append((tensor, array, root))
    plan: Dict[int, SharedView] = {}
    for members in groups.values():
        root = members[0][2]
        views = [(tensor, _view_of(array, root)) for tensor, array, _ in members]
        if len(views) < 2 or any(view is None for _, view in views):
            continue
        if sum(array.nbytes for _, array, _ in members) < root.nbytes:
            continue
        plan.update((id(tensor), view) for tensor, view in views)
    return plan


def _tensors(obj: Any) -> Iterator[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _tensors(value)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for value in obj:
            yield from _tensors(value)


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _view_of(array: np.ndarray, root: np.ndarray):
    """``array``'s place in the C-contiguous ``root`` of the same dtype, or None if it can't be expressed."""
    if array.dtype != root.dtype or not root.flags.c_contiguous or array.size == 0:
        return None
    itemsize = array.itemsize
    start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if start < 0 or start % itemsize or any(s < 0 or s % itemsize for s in array.strides):
        return None
    strides = tuple(s // itemsize for s in array.strides)
    last = start // itemsize + sum((n - 1) * s for n, s in zip(array.shape, strides))
    if last >= root.size:
        return None
    return SharedView(root, start // itemsize, strides)
