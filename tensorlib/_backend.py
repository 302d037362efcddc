"""The array-module seam: the one place the core imports NumPy.

Kernels write ``xp.exp(x)``; a CuPy backend later swaps ``xp`` for another array module with the same API.
"""

import ctypes
import os
import sys

import numpy

xp = numpy
ndarray = numpy.ndarray


def force_array(value, dtype=None):
    """Return ``value`` as an ndarray, turning NumPy scalars (from reductions on 0-d input) back into arrays."""
    if isinstance(value, ndarray) and (dtype is None or value.dtype == dtype):
        return value
    return xp.asarray(value, dtype=dtype)


def _tune_glibc_malloc() -> None:
    """Keep freed multi-MB activation buffers in the heap instead of returning them to the OS.

    By default glibc serves large blocks with mmap and unmaps them on free, so every training step page-faults
    its activations back in (measured: ~2x slower CNN training). Raising the mmap and trim thresholds lets
    the allocator reuse them, like a framework's caching allocator. Set ``TENSORLIB_MALLOC_TUNING=0`` to opt
    out; other C libraries (musl, macOS, Windows) are left alone.
    """
    if os.environ.get("TENSORLIB_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 1 << 30)
    mallopt(m_trim_threshold, 1 << 30)
    mallopt(m_top_pad, 64 << 20)


_tune_glibc_malloc()
