"""Autograd graph primitives that know nothing of ``Tensor``: graph nodes, the leaf accumulator, the in-place
version counter and hook handles. ``Tensor`` builds on these; ``autograd.Function`` (the kernels' base) and
the engine build on ``Tensor``.
"""

from __future__ import annotations

import itertools
import weakref


class RemovableHandle:
    """Returned by every ``register_*hook``; ``remove()`` (or leaving a ``with`` block) unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class VersionCounter:
    """Counts in-place modifications of a storage; shared by a tensor and its detached aliases."""

    __slots__ = ("value", "last_op")

    def __init__(self):
        self.value = 0
        self.last_op = None

    def bump(self, op_name: str) -> None:
        self.value += 1
        self.last_op = op_name


class Node:
    """Graph node base: ``next`` holds one parent node (or ``None``) per input."""

    next: tuple = ()
    _freed = False
    # set by a backward whose input gradients are zero outside a few rows: per input, sorted row indices or None
    grad_row_support = None

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple((n, 0) for n in (self.next or ()))


class AccumulateGrad(Node):
    """Sink for a leaf tensor: adds incoming gradients into ``leaf.grad``."""

    def __init__(self, leaf):
        self.leaf_ref = weakref.ref(leaf)
        self.meta = ((leaf.shape, leaf._data.dtype),)

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def variable(self):
        """The leaf tensor this node accumulates into (``None`` once it is gone)."""
        return self.leaf_ref()


