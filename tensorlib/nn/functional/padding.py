"""Functional padding: ``pad`` (constant / reflect / replicate / circular; negative amounts crop)."""

from __future__ import annotations

from ...ops.nn_misc import pad

__all__ = ["pad"]
