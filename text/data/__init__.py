"""``tensorlib.text.data``: torchtext.data's module path (``utils`` and ``functional``)."""

from . import functional, utils
from .functional import (
    custom_replace,
    numericalize_tokens_from_iterator,
    simple_space_split,
    to_map_style_dataset,
)
from .utils import get_tokenizer, interleave_keys, ngrams_iterator

__all__ = ["functional", "utils", "get_tokenizer", "interleave_keys", "ngrams_iterator", "custom_replace",
           "numericalize_tokens_from_iterator", "simple_space_split", "to_map_style_dataset"]
