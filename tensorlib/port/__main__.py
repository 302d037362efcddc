"""``python -m tensorlib.port SCRIPT [SCRIPT ...] [--write | --check]``.

Prints each script with its torch/torchvision/torchtext/lightning/torchmetrics imports pointed at tensorlib
(``--write``: rewrites the files in place, atomically), and lists on stderr, as ``file:line:col: name: why``,
every name the script uses that tensorlib lacks. ``--check`` prints only that list.

Exit status: 0 when every name resolves (or without ``--check``), 1 with ``--check`` when some name is missing,
2 when a file cannot be read or is not valid Python.
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import sys
import tokenize
from typing import List, Optional

from tensorlib._atomic import atomic_write

from ._resolve import find_unsupported
from ._rewrite import rewrite_source


def _read(path: str) -> tuple[str, str]:
    """``(text, encoding)`` of a Python source file, honouring its coding cookie and keeping its newlines."""
    with open(path, "rb") as handle:
        raw = handle.read()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    return raw.decode(encoding), encoding


def _write(path: str, text: str, encoding: str) -> None:
    mode = os.stat(path).st_mode & 0o7777
    with atomic_write(path, "wb") as handle:
        handle.write(text.encode(encoding))
        os.fchmod(handle.fileno(), mode)  # keep an executable script executable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tensorlib.port",
        description="Rewrite a PyTorch script's imports to tensorlib (torch -> tensorlib, torchvision -> "
                    "tensorlib.vision, torchtext -> tensorlib.text, lightning/pytorch_lightning -> "
                    "tensorlib.lightning, torchmetrics -> tensorlib.metrics) and list the names it uses "
                    "that tensorlib lacks (on stderr, with line numbers).")
    parser.add_argument("scripts", nargs="+", metavar="SCRIPT", help="Python files to port")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the files in place instead of printing them")
    mode.add_argument("--check", action="store_true",
                      help="print only the missing names; exit 1 if there are any (for CI)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    status = 0
    for path in args.scripts:
        try:
            source, encoding = _read(path)
            tree = ast.parse(source, filename=path)
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            print(f"{path}: cannot port: {error}", file=sys.stderr)
            status = 2
            continue
        rewritten = rewrite_source(source, tree)
        if args.write:
            if rewritten != source:
                _write(path, rewritten, encoding)
                print(f"{path}: rewritten", file=sys.stderr)
        elif not args.check:
            sys.stdout.write(rewritten)
        missing = find_unsupported(tree)
        for item in missing:
            print(item.format(path), file=sys.stderr)
        if missing:
            print(f"{path}: {len(missing)} name(s) not provided by tensorlib", file=sys.stderr)
            if args.check:
                status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
