"""``tensorlib.nn.parameter`` (PyTorch's module path); the classes live in ``tensorlib._parameter``."""

from .._parameter import Buffer, Parameter

__all__ = ["Buffer", "Parameter"]
