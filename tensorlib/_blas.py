"""``axpy_``: ``y += alpha * x`` in place with one rounding, through the BLAS that NumPy loaded (ctypes).

PyTorch's CPU ``Tensor.add_(other, alpha=a)`` computes ``self + a * other`` with a fused multiply-add (one
rounding), the update of every ``torch.optim.SGD`` step. NumPy has no fused ufunc: ``y += a * x`` rounds the
product first and allocates it, so it differs from PyTorch in the last bit and costs an extra pass over memory.
The BLAS ``?axpy`` does the fused update in one pass (measured bit-identical to PyTorch's ``add_`` for float32 and
float64 of any length with OpenBLAS on x86-64). It is used for C-contiguous, writeable float32/float64 arrays that
do not overlap; anything else, or a process without a BLAS exposing ``cblas_?axpy``, takes the NumPy expression.
"""

from __future__ import annotations

import ctypes

from . import _threads
from ._backend import xp

# the ILP64 builds' suffixed names first (NumPy's wheels bundle scipy-openblas64), then the plain CBLAS names.
# Lengths and strides are passed as 64-bit integers: on 64-bit platforms every one of them travels in its own
# register or 8-byte stack slot, so a 32-bit-int interface reads the same value (lengths are kept below 2**31).
_SYMBOLS = {
    "float32": ("scipy_cblas_saxpy64_", "cblas_saxpy64_", "scipy_cblas_saxpy", "cblas_saxpy"),
    "float64": ("scipy_cblas_daxpy64_", "cblas_daxpy64_", "scipy_cblas_daxpy", "cblas_daxpy"),
}
_SCALARS = {"float32": ctypes.c_float, "float64": ctypes.c_double}
_MAX_LENGTH = 2**31 - 1

_routines: dict | None = None  # dtype -> the bound ctypes function, found on first use


def _bind_routines() -> dict:
    found: dict = {}
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        return found
    for blas in _threads.find_blas_libraries():  # NumPy's own library first
        for name, symbols in _SYMBOLS.items():
            dtype = xp.dtype(name)
            if dtype in found:
                continue
            function = next((f for f in (getattr(blas.library, s, None) for s in symbols) if f is not None), None)
            if function is not None:
                function.argtypes = [ctypes.c_int64, _SCALARS[name], ctypes.c_void_p, ctypes.c_int64,
                                     ctypes.c_void_p, ctypes.c_int64]
                function.restype = None
                found[dtype] = function
    return found


def has_fused_axpy(dtype) -> bool:
    """Whether ``axpy_`` runs the BLAS's fused update for arrays of ``dtype``."""
    global _routines
    if _routines is None:
        _routines = _bind_routines()
    return xp.dtype(dtype) in _routines


def axpy_(y, alpha: float, x) -> None:
    """``y += alpha * x`` in place (``alpha`` rounded to ``y``'s dtype first, as PyTorch's ``alpha=``)."""
    global _routines
    if _routines is None:
        _routines = _bind_routines()
    function = _routines.get(y.dtype)
    # OpenBLAS returns early for alpha == 0, but y + 0 * x is NaN where x is NaN or infinite (PyTorch's lr=0 step)
    if (function is not None and x.dtype == y.dtype and x.shape == y.shape and 0 < y.size <= _MAX_LENGTH
            and y.dtype.type(alpha) != 0 and y.flags.c_contiguous and y.flags.writeable
            and (x is y or not xp.may_share_memory(x, y))):
        if not x.flags.c_contiguous:  # e.g. a transposed or broadcast gradient: the same rounding everywhere
            x = xp.ascontiguousarray(x)
        function(y.size, alpha, _address(x), 1, _address(y), 1)
        return
    y += alpha * x


def _address(array) -> int:
    """The data pointer of a C-contiguous array: through the buffer protocol when writeable (a quarter of the
    cost of ``array.ctypes.data``, which matters for the many small tensors of a model)."""
    if array.flags.writeable:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    return array.ctypes.data
