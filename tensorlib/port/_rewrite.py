"""Rewrite a script's PyTorch-ecosystem imports to tensorlib's, leaving every other byte unchanged.

``ast`` finds the import statements; ``tokenize`` finds the exact span of each module name, so comments,
parentheses and line breaks inside ``from ... import (...)`` survive. Plain ``import torch`` becomes
``import tensorlib as torch`` so the rest of the script keeps using the name ``torch``.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import List, Tuple

from ._table import map_module

Edit = Tuple[int, int, str]  # (start offset, end offset, replacement) in the source string


def _rewrite_alias(alias: ast.alias) -> str:
    """The ``import`` clause replacing one ``import X[ as Y]`` alias (unchanged when not ours)."""
    target = map_module(alias.name)
    if target is None:
        return alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"
    if alias.asname is not None:
        return f"{target} as {alias.asname}"
    top = alias.name.split(".")[0]
    top_target = map_module(top)
    if "." not in alias.name:
        return f"{target} as {top}"
    # ``import torch.nn`` binds ``torch`` and makes ``torch.nn`` importable: import the submodule, then bind
    # the top-level name to its twin.
    return f"{target}, {top_target} as {top}"


class _Positions:
    """Converts ast's (line, UTF-8 byte column) and tokenize's (line, char column) to string offsets."""

    def __init__(self, source: str) -> None:
        self.lines = io.StringIO(source, newline="").readlines()
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def from_ast(self, lineno: int, byte_col: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def from_token(self, row_col: Tuple[int, int]) -> int:
        return self.starts[row_col[0] - 1] + row_col[1]


def _from_module_span(tokens: List[tokenize.TokenInfo], positions: _Positions, start: int) -> Tuple[int, int]:
    """Offsets of the dotted module name of the ``from ... import`` statement starting at offset ``start``."""
    index = next(i for i, tok in enumerate(tokens) if positions.from_token(tok.start) == start)
    first = last = None
    for tok in tokens[index + 1:]:
        if tok.type == tokenize.NAME and tok.string == "import":
            break
        if tok.type == tokenize.NAME:
            first = tok if first is None else first
            last = tok
    return positions.from_token(first.start), positions.from_token(last.end)


def import_edits(source: str, tree: ast.AST) -> List[Edit]:
    """The edits turning every import of a mapped package in ``source`` into its tensorlib twin."""
    positions = _Positions(source)
    tokens = None
    edits: List[Edit] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(map_module(a.name) for a in node.names):
            start = positions.from_ast(node.lineno, node.col_offset)
            end = positions.from_ast(node.end_lineno, node.end_col_offset)
            edits.append((start, end, "import " + ", ".join(_rewrite_alias(a) for a in node.names)))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and map_module(node.module):
            if tokens is None:
                tokens = list(tokenize.generate_tokens(io.StringIO(source, newline="").readline))
            start = positions.from_ast(node.lineno, node.col_offset)
            module_start, module_end = _from_module_span(tokens, positions, start)
            edits.append((module_start, module_end, map_module(node.module)))
    return edits


def rewrite_source(source: str, tree: ast.AST | None = None) -> str:
    """``source`` with its torch/torchvision/torchtext/lightning/torchmetrics imports pointed at tensorlib.

    Raises SyntaxError when ``source`` is not valid Python.
    """
    tree = ast.parse(source) if tree is None else tree
    for start, end, text in sorted(import_edits(source, tree), reverse=True):
        source = source[:start] + text + source[end:]
    return source
