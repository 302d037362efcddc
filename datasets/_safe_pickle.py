"""A restricted unpickler for CIFAR's python batches: only dicts, lists, str/bytes and NumPy arrays.

``find_class`` resolves exactly the globals needed to rebuild an ndarray (``_reconstruct``, ``ndarray``,
``dtype``, protocol 5's ``_frombuffer``) and protocol-2 bytes (``_codecs.encode``), each wrapped so it only does
what an array pickle needs: ``ndarray`` can't be called directly (no huge allocations), dtypes holding Python
objects are refused, ``_codecs.encode`` accepts only latin-1. Anything else (``os.system``, ``builtins.eval``,
...) raises ``UnsafePickleError`` (a ``pickle.UnpicklingError``) before it can run.
"""

from __future__ import annotations

import codecs
import io
import pickle
from typing import Any

import numpy as np

from ._errors import CorruptDatasetError, UnsafePickleError

try:
    from numpy._core.multiarray import _reconstruct
    from numpy._core.numeric import _frombuffer
except ImportError:  # NumPy < 2
    from numpy.core.multiarray import _reconstruct
    from numpy.core.numeric import _frombuffer


class _NdarrayClass:
    """Stands for ``numpy.ndarray`` in a pickle: only ``_reconstruct`` may use it, calling it is refused."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise UnsafePickleError("refusing to call numpy.ndarray directly: only array reconstruction is allowed")


_NDARRAY = _NdarrayClass()


def _checked_reconstruct(subtype: Any, shape: Any, dtype_char: Any) -> np.ndarray:
    if subtype is not _NDARRAY or shape != (0,):
        raise UnsafePickleError("refusing numpy _reconstruct of anything but an empty ndarray")
    return _reconstruct(np.ndarray, (0,), dtype_char)


def _checked_dtype(*args: Any) -> np.dtype:
    # pickles call dtype(type string, align, copy): anything else is not an array pickle
    if not (1 <= len(args) <= 3 and isinstance(args[0], str) and all(type(a) in (bool, int) for a in args[1:])):
        raise UnsafePickleError(f"refusing numpy dtype arguments {args!r:.80}")
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise UnsafePickleError(f"refusing dtype {dtype}: arrays of Python objects are not allowed")
    return dtype


def _checked_frombuffer(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise UnsafePickleError(f"refusing _frombuffer with dtype {dtype!r}")
    return _frombuffer(buffer, dtype, shape, order)


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    if encoding.lower().replace("_", "-") not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"refusing _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, encoding)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _checked_reconstruct,
    # protocol 5 pickles of arrays: _frombuffer(buffer, dtype, shape, order)
    ("numpy.core.numeric", "_frombuffer"): _checked_frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _checked_frombuffer,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _checked_dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that refuses every global outside the allow-list above."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load global {module}.{name}: only NumPy arrays, dicts, lists, str and bytes "
                "are allowed in dataset pickles") from None


def safe_loads(data: bytes, encoding: str = "latin1") -> Any:
    """Unpickle ``data`` with ``RestrictedUnpickler``; ``encoding`` decodes Python 2 strings."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()


def safe_load_file(path: str, encoding: str = "latin1") -> Any:
    """``safe_loads`` of the file at ``path``; every failure is ``CorruptDatasetError`` (``UnsafePickleError``
    for a refused global) naming the file."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return safe_loads(data, encoding=encoding)
    except UnsafePickleError as error:
        raise UnsafePickleError(f"{path!r}: {error}") from None
    except Exception as error:  # the unpickler and NumPy's array rebuilding raise many types on hostile bytes
        raise CorruptDatasetError(f"{path!r} is not a valid pickled dataset file ({type(error).__name__}: "
                                  f"{error})") from None
