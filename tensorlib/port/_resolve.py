"""Find the PyTorch-ecosystem names a script uses that tensorlib lacks, by importing tensorlib and walking.

Every name is followed from what the script imports: ``import torch.nn as nn`` then ``nn.Foo(...)`` is the
name ``torch.nn.Foo``, looked up as ``tensorlib.nn.Foo``. Methods of tensors (``x.view``) are not seen: a
script's variables have no static type.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from ._table import is_unmapped_torch_package, map_module

_MISSING = object()


@dataclass(frozen=True)
class Unsupported:
    """One use of a name tensorlib lacks: ``name`` as the script spells it, ``missing`` the first absent part."""

    lineno: int
    col: int
    name: str
    missing: str
    reason: str

    def format(self, filename: str) -> str:
        return f"{filename}:{self.lineno}:{self.col + 1}: {self.name}: {self.reason}"


class _Lookup:
    """Resolves tensorlib dotted paths by importing modules and walking attributes (results cached)."""

    def __init__(self) -> None:
        self._cache: Dict[str, Any] = {}

    def _module(self, path: str) -> Any:
        try:
            return importlib.import_module(path)
        except ImportError:
            return _MISSING  # absent, or unusable here (an optional dependency it needs is not installed)

    def get(self, path: str) -> Any:
        """The object at tensorlib path ``path`` or ``_MISSING``."""
        if path in self._cache:
            return self._cache[path]
        parent, _, leaf = path.rpartition(".")
        if not parent:
            value = self._module(path)
        else:
            owner = self.get(parent)
            value = _MISSING if owner is _MISSING else getattr(owner, leaf, _MISSING)
            if value is _MISSING and owner is not _MISSING and hasattr(owner, "__path__"):
                value = self._module(path)  # a submodule not imported by its package
        self._cache[path] = value
        return value

    def first_missing(self, path: str) -> Optional[str]:
        """The shortest prefix of ``path`` that does not exist in tensorlib, or None when all of it does."""
        parts = path.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if self.get(prefix) is _MISSING:
                return prefix
        return None


def _bindings(tree: ast.AST) -> Dict[str, str]:
    """Local name -> the PyTorch-ecosystem path it is bound to by the script's imports."""
    names: Dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if map_module(alias.name) is None:
                    continue
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and map_module(node.module):
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _chain(node: ast.Attribute) -> Optional[List[str]]:
    """``['torch', 'nn', 'Linear']`` for ``torch.nn.Linear``; None when the chain does not start at a name."""
    parts = []
    current: ast.AST = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    parts.append(current.id)
    return parts[::-1]


class _Finder(ast.NodeVisitor):
    def __init__(self, bindings: Dict[str, str], lookup: _Lookup) -> None:
        self.bindings = bindings
        self.lookup = lookup
        self.found: List[Unsupported] = []

    def _check(self, node: ast.AST, spelled: str, source_path: str, module_parts: int = 0) -> None:
        """Record ``spelled`` (bound to ``source_path``) if tensorlib lacks it; the first ``module_parts``
        components of ``source_path`` are named as modules by an import statement."""
        target = map_module(source_path)
        missing = self.lookup.first_missing(target)
        if missing is None:
            return
        source_parts, target_parts = source_path.split("."), target.split(".")
        missing_parts = missing.count(".") + 1
        shift = len(target_parts) - len(source_parts)
        if missing_parts - shift <= module_parts:
            reason = f"tensorlib has no module {missing}"
        else:
            owner, _, leaf = missing.rpartition(".")
            reason = f"not in tensorlib ({owner} has no attribute {leaf!r})"
        self.found.append(Unsupported(node.lineno, node.col_offset, spelled, missing, reason))

    def _unmapped(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        self.found.append(Unsupported(node.lineno, node.col_offset, module, top,
                                      f"module {top} has no tensorlib twin (import left unchanged)"))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if map_module(alias.name) is not None:
                self._check(node, alias.name, alias.name, module_parts=alias.name.count(".") + 1)
            elif is_unmapped_torch_package(alias.name):
                self._unmapped(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.level and node.module and is_unmapped_torch_package(node.module):
            self._unmapped(node, node.module)
            return
        if node.level or not node.module or map_module(node.module) is None:
            return
        for alias in node.names:
            path = node.module if alias.name == "*" else f"{node.module}.{alias.name}"
            self._check(node, path, path, module_parts=node.module.count(".") + 1)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts = _chain(node)
        if parts is None or parts[0] not in self.bindings:
            self.generic_visit(node)
            return
        if isinstance(node.ctx, ast.Store):
            parts = parts[:-1]  # assigning an attribute (``torch.backends.cudnn.benchmark = True``) creates it
        spelled = ".".join(parts)
        path = ".".join([self.bindings[parts[0]], *parts[1:]])
        self._check(node, spelled, path)


def find_unsupported(tree: ast.AST) -> List[Unsupported]:
    """Every use in ``tree`` of a torch/torchvision/torchtext/... name that tensorlib lacks, in source order.

    A name used several times on one line is listed once.
    """
    finder = _Finder(_bindings(tree), _Lookup())
    finder.visit(tree)
    unique = {(u.lineno, u.name): u for u in finder.found}
    return sorted(unique.values(), key=lambda u: (u.lineno, u.col))
