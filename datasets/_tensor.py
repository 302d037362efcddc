"""The one place datasets turn NumPy label arrays into tensorlib tensors (imported lazily)."""

from __future__ import annotations

from typing import Any

import numpy as np


def int64_tensor(array: np.ndarray) -> Any:
    """An int64 ``tensorlib`` tensor sharing memory with a contiguous int64 copy of ``array``."""
    import tensorlib as tl

    return tl.from_numpy(np.ascontiguousarray(array, dtype=np.int64))
