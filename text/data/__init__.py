"""``tensorlib.text.data``: torchtext.data's module path (``utils``, ``functional`` and ``metrics``)."""

from . import functional, metrics, utils
from .functional import (
    custom_replace,
    numericalize_tokens_from_iterator,
    simple_space_split,
    to_map_style_dataset,
)
from .metrics import bleu_score
from .utils import get_tokenizer, interleave_keys, ngrams_iterator

__all__ = ["functional", "metrics", "utils", "bleu_score", "get_tokenizer", "interleave_keys", "ngrams_iterator",
           "custom_replace", "numericalize_tokens_from_iterator", "simple_space_split", "to_map_style_dataset"]
