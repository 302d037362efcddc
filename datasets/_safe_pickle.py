"""A restricted unpickler for CIFAR's python batches: only dicts, lists, str/bytes and NumPy arrays.

``find_class`` resolves exactly the globals needed to rebuild an ndarray (``_reconstruct``, ``ndarray``,
``dtype``, protocol 5's ``_frombuffer``) and protocol-2 bytes (``_codecs.encode``); anything else
(``os.system``, ``builtins.eval``, ...) raises ``pickle.UnpicklingError`` before it can run.
"""

from __future__ import annotations

import codecs
import io
import pickle
from typing import Any

import numpy as np

try:
    from numpy._core.multiarray import _reconstruct
    from numpy._core.numeric import _frombuffer
except ImportError:  # NumPy < 2
    from numpy.core.multiarray import _reconstruct
    from numpy.core.numeric import _frombuffer

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    # protocol 5 pickles of arrays: _frombuffer(buffer, dtype, shape, order)
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that refuses every global outside the allow-list above."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: only NumPy arrays, dicts, lists, str and bytes "
                "are allowed in dataset pickles") from None


def safe_loads(data: bytes, encoding: str = "latin1") -> Any:
    """Unpickle ``data`` with ``RestrictedUnpickler``; ``encoding`` decodes Python 2 strings."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()


def safe_load_file(path: str, encoding: str = "latin1") -> Any:
    """``safe_loads`` of the file at ``path``; errors name the file."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return safe_loads(data, encoding=encoding)
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(f"{path!r}: {error}") from error
    except (EOFError, ValueError, TypeError, IndexError) as error:
        raise RuntimeError(f"{path!r} is not a valid CIFAR python batch (a pickled dict): {error}") from error
