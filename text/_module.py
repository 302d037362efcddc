"""The base class of text's callable components: ``tensorlib.nn.Module`` (PyTorch semantics)."""

from tensorlib.nn import Module

__all__ = ["Module"]
