"""The error every dataset file reader raises for a malformed file (its message names the file and the fault).

``CorruptDatasetError`` is both a ``RuntimeError`` (what torchvision's dataset readers raise) and a
``ValueError`` (what the CSV text datasets have raised), so existing ``except`` clauses of either kind keep
working. A refused global in a pickled CIFAR batch is additionally a ``pickle.UnpicklingError``.
"""

from __future__ import annotations

import pickle


class CorruptDatasetError(ValueError, RuntimeError):
    """A dataset file is truncated, malformed or not the format expected."""


class UnsafePickleError(CorruptDatasetError, pickle.UnpicklingError):
    """A pickled dataset file refers to a global outside the allow-list (it could execute code)."""
