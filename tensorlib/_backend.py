"""The array-module seam: the one place the core imports NumPy.

Kernels write ``xp.exp(x)``; a CuPy backend later swaps ``xp`` for another array module with the same API.
"""

import numpy

xp = numpy
ndarray = numpy.ndarray


def get_array_module(*arrays):
    """Return the array module that owns ``arrays`` (always NumPy today)."""
    return xp


def force_array(value, dtype=None):
    """Return ``value`` as an ndarray, turning NumPy scalars (from reductions on 0-d input) back into arrays."""
    if isinstance(value, ndarray) and (dtype is None or value.dtype == dtype):
        return value
    return xp.asarray(value, dtype=dtype)
