"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``."""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Iterator, Optional

from ..parameter import Parameter
from .module import Module


class _ModuleSequence(Module):
    """Shared list behaviour of ``Sequential`` and ``ModuleList``: modules keyed ``'0'..'n-1'``."""

    def _index(self, idx: int) -> int:
        size = len(self._modules)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range")
        return idx % size

    def _renumber(self, modules: list) -> None:
        # keep keys numbered 0..n-1, as PyTorch does
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __delitem__(self, idx) -> None:
        keys = list(self._modules.keys())
        for key in (keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]):
            del self._modules[key]
        self._renumber(list(self._modules.values()))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]):
        for module in modules:
            self.append(module)
        return self

    def _insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index if index >= 0 else len(modules) + index, module)
        self._renumber(modules)


class Sequential(_ModuleSequence):
    """Runs its modules in order; indexable, sliceable (returns a Sequential) and appendable."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules.keys())[self._index(idx)]
        setattr(self, key, module)

    def __add__(self, other: Sequential) -> Sequential:
        return Sequential(*self, *other)

    def insert(self, index: int, module: Module) -> Sequential:
        self._insert(index, module)
        return self


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (unlike a plain Python list)."""

    def __init__(self, modules: Optional[Iterable[Module]] = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(self._index(idx))]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, str(self._index(idx)), module)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def insert(self, index: int, module: Module) -> None:
        self._insert(index, module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it and call the modules")

    def __repr__(self) -> str:
        """PyTorch's compressed form: runs of identical entries print once as ``(0-3): 4 x Block(...)``."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [start, end, text]
        for index, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        lines = []
        for start, end, text in runs:
            label = f"({start}): " if start == end else f"({start}-{end}): {end - start + 1} x "
            lines.append((label + text).replace("\n", "\n  "))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class _RegistryDict(Module):
    """Dict-style access to one of the module's registries (``_modules`` or ``_parameters``)."""

    _registry_name = ""

    def _registry(self) -> dict:
        return self.__dict__[self._registry_name]

    def __getitem__(self, key: str):
        return self._registry()[key]

    def __delitem__(self, key: str) -> None:
        del self._registry()[key]

    def __len__(self) -> int:
        return len(self._registry())

    def __iter__(self):
        return iter(self._registry())

    def __contains__(self, key: str) -> bool:
        return key in self._registry()

    def keys(self):
        return self._registry().keys()

    def items(self):
        return self._registry().items()

    def values(self):
        return self._registry().values()

    def pop(self, key: str):
        return self._registry().pop(key)

    def clear(self) -> None:
        self._registry().clear()

    def update(self, entries) -> None:
        for key, value in (entries.items() if hasattr(entries, "items") else entries):
            self[key] = value


class ModuleDict(_RegistryDict):
    """An ordered dict of modules whose parameters are registered."""

    _registry_name = "_modules"

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(); index it and call the modules")

class ParameterList(Module):
    """A list of Parameters registered on the module."""

    def __init__(self, values=None):
        super().__init__()
        for value in values or ():
            self.append(value)

    def __getitem__(self, idx: int):
        return self._parameters[str(idx % len(self))]

    def __setitem__(self, idx: int, param) -> None:
        self.register_parameter(str(idx % len(self)), param)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value) -> ParameterList:
        if not isinstance(value, Parameter):
            value = Parameter(value)
        self.register_parameter(str(len(self)), value)
        return self

    def extend(self, values) -> ParameterList:
        for value in values:
            self.append(value)
        return self


class ParameterDict(_RegistryDict):
    """A dict of Parameters registered on the module."""

    _registry_name = "_parameters"

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(value, Parameter):
            value = Parameter(value)
        self.register_parameter(key, value)
