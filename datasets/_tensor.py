"""The one place datasets turn NumPy arrays into tensorlib tensors (tensorlib imported lazily)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _tensor(values: Any, dtype: type) -> Any:
    import tensorlib as tl

    if isinstance(values, tl.Tensor):
        return values if values.numpy().dtype == dtype else tl.from_numpy(values.numpy().astype(dtype))
    return tl.from_numpy(np.ascontiguousarray(values, dtype=dtype))


def int64_tensor(array: Any) -> Any:
    """An int64 ``tensorlib`` tensor of ``array`` (a tensor, array or list); shares memory when no copy is needed."""
    return _tensor(array, np.int64)


def uint8_tensor(array: Any) -> Any:
    """A uint8 ``tensorlib`` tensor of ``array`` (a tensor, array or list); shares memory when no copy is needed."""
    return _tensor(array, np.uint8)
