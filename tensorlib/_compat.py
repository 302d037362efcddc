"""PyTorch spellings a ported script touches on a CPU-only install: ``cuda``, ``backends``, ``accelerator``, the
default device and the determinism switch."""

from __future__ import annotations

import types

from .errors import CPU_ONLY_HINT  # noqa: F401  (re-exported for the layers above)
from .tensor import Tensor, _check_device, device

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


def set_default_device(device) -> None:
    """Accepts ``'cpu'`` (or None), the only device; any other device raises with what to do instead."""
    _check_device(device)


def get_default_device() -> device:
    return device("cpu")


_deterministic = {"enabled": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded for compatibility: tensorlib's ops are deterministic already (same inputs and seed, same bits)."""
    _deterministic.update(enabled=bool(mode), warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["enabled"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]
