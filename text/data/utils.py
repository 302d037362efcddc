"""``tensorlib.text.data.utils``: torchtext.data.utils's names (tokenizers, n-grams, ``interleave_keys``)."""

from __future__ import annotations

from ..ngrams import ngrams_iterator
from ..tokenizers import get_tokenizer

__all__ = ["get_tokenizer", "ngrams_iterator", "interleave_keys"]


def interleave_keys(a: int, b: int) -> int:
    """Interleave the bits of two 16-bit sort keys into one, as torchtext (sorts by both lengths at once)."""
    bits = zip(format(a, "016b"), format(b, "016b"))
    return int("".join(x for pair in bits for x in pair), base=2)
