"""``Parameter`` and ``Buffer`` (public as ``tensorlib.nn.Parameter``): tensors a ``Module`` registers when assigned.

They sit below ``nn`` so that the checkpoint readers can rebuild parameters without importing the layers."""

from __future__ import annotations

from .creation import empty
from .tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with ``requires_grad=True`` by default that modules collect in ``parameters()``."""

    def __init__(self, data=None, requires_grad: bool = True):
        source = empty(0) if data is None else data
        if not isinstance(source, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(source).__name__}")
        Tensor._init(self, source._data)
        if requires_grad:
            self._make_leaf_requiring_grad()

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor._wrap(self._data), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._wrap(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        return result


class Buffer(Tensor):
    """Marker type for ``module.name = Buffer(t)`` registration (PyTorch 2.5+)."""

    def __init__(self, data, *, persistent: bool = True):
        Tensor._init(self, data._data)
        self.persistent = persistent
