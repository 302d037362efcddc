"""PyTorch-style ``repr``: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

from ._backend import xp

_DEFAULT_NO_SUFFIX = {"float32", "int64", "bool"}


def _formatter(data):
    if data.dtype.kind == "b":
        return {"bool": lambda v: "True" if v else "False"}
    if data.dtype.kind in "iu":
        return {"int": lambda v: str(v)}
    finite = data[xp.isfinite(data)] if data.size else data
    if finite.size == 0:
        return {"float_kind": lambda v: _special(v) or f"{v:.4f}"}
    abs_vals = xp.abs(finite.astype(xp.float64))
    if xp.all(finite == xp.round(finite)) and abs_vals.max() < 1e8:
        return {"float_kind": lambda v: _special(v) or f"{v:.0f}."}
    nonzero = abs_vals[abs_vals > 0]
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() >= 1e8 or nonzero.min() < 1e-4):
        return {"float_kind": lambda v: _special(v) or f"{v:.4e}"}
    return {"float_kind": lambda v: _special(v) or f"{v:.4f}"}


def _special(v) -> str:
    if xp.isnan(v):
        return "nan"
    if xp.isinf(v):
        return "inf" if v > 0 else "-inf"
    return ""


def tensor_repr(t) -> str:
    data = t._data
    prefix = "tensor("
    if data.size == 0:
        body = "[]" if data.ndim == 1 else f"size={tuple(data.shape)}"
    else:
        body = xp.array2string(data, separator=", ", prefix=prefix, formatter=_formatter(data), threshold=1000,
                               edgeitems=3, max_line_width=80)
    suffix = []
    if data.dtype.name not in _DEFAULT_NO_SUFFIX or (data.size == 0 and data.dtype.name != "float32"):
        suffix.append(f"dtype=tensorlib.{data.dtype.name}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"
