"""PyTorch spellings a ported script touches on a CPU-only install: ``cuda``, ``backends``, ``accelerator``."""

from __future__ import annotations

import types

from .errors import CPU_ONLY_HINT  # noqa: F401  (re-exported for the layers above)
from .tensor import Tensor

cuda = types.SimpleNamespace(
    is_available=lambda: False,
    device_count=lambda: 0,
    manual_seed=lambda seed: None,
    manual_seed_all=lambda seed: None,
    synchronize=lambda device=None: None,
    empty_cache=lambda: None,
)
backends = types.SimpleNamespace(
    mps=types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False),
    cudnn=types.SimpleNamespace(deterministic=False, benchmark=False, enabled=False, is_available=lambda: False),
)
accelerator = types.SimpleNamespace(is_available=lambda: False, current_accelerator=lambda: None)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


_threads = [1]


def set_num_threads(n: int) -> None:
    """Recorded for compatibility; BLAS threads are set with OMP_NUM_THREADS/OPENBLAS_NUM_THREADS."""
    _threads[0] = int(n)


def get_num_threads() -> int:
    return _threads[0]
