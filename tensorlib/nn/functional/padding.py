"""Functional padding: ``pad`` (constant / reflect / replicate / circular; negative amounts crop)."""

from __future__ import annotations

from ...functional.padding import pad

__all__ = ["pad"]
