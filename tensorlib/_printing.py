"""PyTorch's tensor ``repr``, character for character: ``tensor([1.0000, 2.5000], requires_grad=True)``.

The layout follows ``torch/_tensor_str.py``: one width for every element (so columns align and positive numbers
leave room for a minus sign), ints as they are, floats as integers with a trailing dot (``2.``), fixed point
(``2.5000``) or scientific (``2.5000e+08``), chosen from the non-zero finite values; tensors with more than
``threshold`` elements show ``edgeitems`` rows/columns at each end around ``...``. The dtype prefix is
``tensorlib.`` (``dtype=tensorlib.float64``) where PyTorch prints ``torch.``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from ._backend import xp
from .dtypes import get_default_dtype


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: Optional[bool] = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision: Optional[int] = None, threshold: Optional[float] = None,
                     edgeitems: Optional[int] = None, linewidth: Optional[int] = None,
                     profile: Optional[str] = None, sci_mode: Optional[bool] = None) -> None:
    """Set how tensors print, like ``torch.set_printoptions``.

    ``profile`` is ``'default'``, ``'short'`` or ``'full'`` (no summarisation) and is applied first; the other
    arguments override it. ``sci_mode`` True/False forces scientific/fixed notation, None lets the values decide.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"unknown print profile {profile!r}: expected one of {sorted(_PROFILES)}")
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """One width and one notation for all elements of a tensor (computed on the shown elements)."""

    def __init__(self, data):
        self.floating = data.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = data.reshape(-1)
        if not self.floating:
            if flat.size:
                self.max_width = max(len(str(v)) for v in flat.tolist())
            return
        values = flat.astype(xp.float64)
        values = values[xp.isfinite(values) & (values != 0)]
        if values.size == 0:
            return
        magnitudes = xp.abs(values)
        low, high = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(xp.all(values == xp.ceil(values)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        precision = PRINT_OPTS.precision
        listed = values.tolist()
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{precision}e}") for v in listed)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in listed)
        else:
            self.max_width = max(len(f"{v:.{precision}f}") for v in listed)

    def format(self, value) -> str:
        if self.floating:
            precision = PRINT_OPTS.precision
            if self.sci_mode:
                text = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{precision}f}"
        else:
            text = str(value)
        return " " * (self.max_width - len(text)) + text


def _summarized(data):
    """The elements a summarised print shows: ``edgeitems`` from each end of every dimension."""
    edge = PRINT_OPTS.edgeitems
    if data.ndim == 0:
        return data
    if edge == 0 and data.ndim > 1:
        return data[tuple(slice(0, 0) for _ in range(data.ndim))]
    for axis in range(data.ndim):
        if data.shape[axis] > 2 * edge:
            index = xp.r_[0:edge, data.shape[axis] - edge:data.shape[axis]]
            data = xp.take(data, index, axis=axis)
    return data


def _vector_str(data, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_length = formatter.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        items = ([formatter.format(v) for v in data[:edge].tolist()] + [" ..."]
                 + [formatter.format(v) for v in data[-edge:].tolist()])
    else:
        items = [formatter.format(v) for v in data.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if data.ndim == 0:
        return formatter.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarize and data.shape[0] > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(data.shape[0] - edge, data.shape[0]))
    else:
        rows = list(range(data.shape[0]))
    parts = ["..." if i is None else _nested_str(data[i], indent + 1, summarize, formatter) for i in rows]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ``, suffix`` items, each on a new line when the line would exceed ``linewidth``. Widths are
    measured as PyTorch's ``torch.`` prefix would print, so lines break where PyTorch breaks them."""
    pieces = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        width = len(suffix.replace("tensorlib.", "torch."))
        if last_line_len + width + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_line_len = indent + width
        else:
            pieces.append(", " + suffix)
            last_line_len += width + 2
    pieces.append(")")
    return "".join(pieces)


def array_str(data, indent: int = 0) -> str:
    """The bracketed body of a non-empty array as PyTorch prints it (without ``tensor(`` and suffixes)."""
    if data.dtype == xp.float16:
        data = data.astype(xp.float32)
    summarize = data.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarized(data) if summarize else data)
    return _nested_str(data, indent, summarize, formatter)


def tensor_repr(t) -> str:
    """``tensor(<body>, <suffixes>)``: dtype when not the default, grad_fn or requires_grad."""
    data = t._data
    default_dtype_name = get_default_dtype().name
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    name = data.dtype.name
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if name != default_dtype_name:
            suffixes.append(f"dtype=tensorlib.{name}")
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if name not in (default_dtype_name, "int64", "bool"):
            suffixes.append(f"dtype=tensorlib.{name}")
        body = array_str(data, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
