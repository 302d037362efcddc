"""Carrying an exception raised in a worker process to the main process, traceback text included."""

from __future__ import annotations

import sys
import traceback


class _KeyErrorMessage(str):
    """KeyError formats its argument with repr(); this keeps the multi-line message readable."""

    def __repr__(self) -> str:
        return str(self)


class ExceptionWrapper:
    """The type and formatted traceback of the exception being handled (picklable, unlike tracebacks)."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def __reduce__(self):
        return (_rebuild, (self.exc_type, self.exc_msg, self.where))

    def reraise(self) -> None:
        """Raise the exception again: same type when it can be built from one message, else RuntimeError."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = _KeyErrorMessage(message)
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


def _rebuild(exc_type, exc_msg: str, where: str) -> ExceptionWrapper:
    wrapper = ExceptionWrapper.__new__(ExceptionWrapper)
    wrapper.exc_type, wrapper.exc_msg, wrapper.where = exc_type, exc_msg, where
    return wrapper
