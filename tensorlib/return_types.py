"""The named result tuples of PyTorch's multi-output functions, as ``tensorlib.return_types.<name>``.

``tensorlib.max(x, 1)`` returns ``return_types.max(values=..., indices=...)``: a tuple (unpacks as two values)
with named fields, printed as PyTorch prints ``torch.return_types.max`` (one field per line) and picklable.
"""

from __future__ import annotations

from collections import namedtuple


def _result_type(name: str, fields: tuple) -> type:
    """A namedtuple class ``name`` whose repr is PyTorch's structseq layout."""

    def __repr__(self) -> str:
        body = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"tensorlib.return_types.{name}(\n{body})"

    cls = type(name, (namedtuple(name, fields),), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})
    cls.__qualname__ = name
    return cls


_VALUES_INDICES = ("values", "indices")
max = _result_type("max", _VALUES_INDICES)
min = _result_type("min", _VALUES_INDICES)
sort = _result_type("sort", _VALUES_INDICES)
topk = _result_type("topk", _VALUES_INDICES)
kthvalue = _result_type("kthvalue", _VALUES_INDICES)
median = _result_type("median", _VALUES_INDICES)
nanmedian = _result_type("nanmedian", _VALUES_INDICES)
mode = _result_type("mode", _VALUES_INDICES)
cummax = _result_type("cummax", _VALUES_INDICES)
cummin = _result_type("cummin", _VALUES_INDICES)
aminmax = _result_type("aminmax", ("min", "max"))
slogdet = _result_type("slogdet", ("sign", "logabsdet"))
linalg_slogdet = _result_type("linalg_slogdet", ("sign", "logabsdet"))
qr = _result_type("qr", ("Q", "R"))
linalg_qr = _result_type("linalg_qr", ("Q", "R"))
svd = _result_type("svd", ("U", "S", "V"))
linalg_svd = _result_type("linalg_svd", ("U", "S", "Vh"))
linalg_eigh = _result_type("linalg_eigh", ("eigenvalues", "eigenvectors"))

__all__ = ["aminmax", "cummax", "cummin", "kthvalue", "linalg_eigh", "linalg_qr", "linalg_slogdet", "linalg_svd",
           "max", "median", "min", "mode", "nanmedian", "qr", "slogdet", "sort", "svd", "topk"]
