"""Makes the ``tensorlib.text.vocab`` module callable as its factory ``vocab(ordered_dict, ...)``."""

from __future__ import annotations

import sys
import types


class _CallableVocabModule(types.ModuleType):
    """The ``vocab`` module; calling it calls ``vocab.vocab`` (torchtext spells both ``torchtext.vocab``)."""

    def __call__(self, *args, **kwargs):
        return self.vocab(*args, **kwargs)


def callable_vocab_module() -> types.ModuleType:
    """``tensorlib.text.vocab`` with its class switched to the callable module type (idempotent)."""
    module = sys.modules["tensorlib.text.vocab"]
    module.__class__ = _CallableVocabModule
    return module
