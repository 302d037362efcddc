"""Grad mode: whether operations record a graph. Thread-local, usable as context managers and decorators."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _DecoratorContextManager:
    """Base for grad-mode switches: ``with no_grad():`` and ``@no_grad()`` (or bare ``@no_grad``)."""

    def __new__(cls, func=None, *args, **kwargs):
        if callable(func) and cls is not set_grad_enabled:
            return cls()(func)
        return super().__new__(cls)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()

    def __enter__(self):
        self._prev = (_state.enabled, _state.inference)
        self._set()

    def __exit__(self, *exc) -> None:
        _state.enabled, _state.inference = self._prev

    def _set(self) -> None:
        raise NotImplementedError


class no_grad(_DecoratorContextManager):
    """Disable graph recording: results of operations have ``requires_grad=False``."""

    def __init__(self, func=None):
        pass

    def _set(self) -> None:
        _state.enabled = False


class enable_grad(_DecoratorContextManager):
    """Re-enable graph recording inside ``no_grad``."""

    def __init__(self, func=None):
        pass

    def _set(self) -> None:
        _state.enabled = True


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad`` (this engine has no extra inference-only fast path); ``mode=False`` is a no-op."""

    def __init__(self, mode=True):
        self.mode = mode if isinstance(mode, bool) else True

    def clone(self):
        return self.__class__(self.mode)

    def _set(self) -> None:
        if self.mode:
            _state.enabled = False
            _state.inference = True


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode on or off; takes effect immediately (like PyTorch) and also works as a context manager."""

    def __init__(self, mode: bool):
        self._prev = (_state.enabled, _state.inference)
        self.mode = bool(mode)
        _state.enabled = self.mode

    def clone(self):
        return self.__class__(self.mode)

    def __call__(self, func):
        _state.enabled, _state.inference = self._prev  # used as a decorator: don't change the mode now
        return super().__call__(func)

    def __enter__(self):
        pass

    def _set(self) -> None:
        _state.enabled = self.mode
