"""Anomaly detection: ``detect_anomaly()`` / ``set_detect_anomaly(True)``, as in PyTorch.

While enabled, every op applied in the forward pass records the user's source line that called it (through the
``Function.apply`` tracer hook, so nothing is paid while disabled), and a backward step that returns NaN raises
``RuntimeError: Function 'DivBackward0' returned nan values in its 0th output.`` followed by that line.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings

from .._backend import xp
from .function import _tracers

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _AnomalyState:
    """The mode; registered in ``_tracers`` while enabled so ``Function.apply`` reports each op to it."""

    enabled = False
    check_nan = True

    def record(self, fn, attrs=None, inputs=None, out=None) -> None:
        fn.forward_site = _user_site()

    def set(self, enabled: bool, check_nan: bool) -> None:
        self.enabled, self.check_nan = bool(enabled), bool(check_nan)
        if self.enabled and self not in _tracers:
            _tracers.append(self)
        elif not self.enabled and self in _tracers:
            _tracers.remove(self)


state = _AnomalyState()


def _user_site() -> str:
    """``File "...", line N, in f`` of the innermost caller outside tensorlib (the op's line in user code)."""
    frame = sys._getframe(2)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f'File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}'


def check_gradients(node, input_grads) -> None:
    """Raise when a backward step produced NaN (called by the engine while the mode is on)."""
    if not state.check_nan:
        return
    for index, grad in enumerate(input_grads):
        if grad is not None and grad.dtype.kind == "f" and bool(xp.isnan(grad).any()):
            site = getattr(node, "forward_site", None)
            where = f" The forward call that created it: {site}" if site else ""
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.{where}")


def is_anomaly_enabled() -> bool:
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.check_nan


class detect_anomaly:
    """Context manager (or decorator) enabling anomaly detection, like ``torch.autograd.detect_anomaly``."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.previous = (state.enabled, state.check_nan)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self.previous = (state.enabled, state.check_nan)
        state.set(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        state.set(*self.previous)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            previous = (state.enabled, state.check_nan)
            state.set(True, self.check_nan)
            try:
                return fn(*args, **kwargs)
            finally:
                state.set(*previous)
        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(mode)`` switches anomaly detection on or off now; as a context manager it restores the
    previous mode on exit (as ``torch.autograd.set_detect_anomaly``)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.previous = (state.enabled, state.check_nan)
        state.set(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        state.set(*self.previous)
