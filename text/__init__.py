"""tensorlib.text: tokenizers, vocabularies, byte-level BPE and text transforms (torchtext-shaped).

``pad_sequence``, ``pack_padded_sequence``, ``pad_packed_sequence`` and ``pack_sequence`` are re-exported from
``tensorlib.nn.utils.rnn`` on first access.
"""

from . import functional, transforms
from .bpe import BPETokenizer
from .ngrams import ngrams_iterator
from .sampler import BucketBatchSampler
from .tokenizers import RegexTokenizer, WordPunctTokenizer, basic_english_normalize, get_tokenizer
from .vocab import Vocab, build_vocab_from_iterator, vocab

_RNN_UTILS = ("pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence")

__all__ = ["get_tokenizer", "ngrams_iterator", "RegexTokenizer", "WordPunctTokenizer",
           "basic_english_normalize", "BPETokenizer", "Vocab", "vocab", "build_vocab_from_iterator",
           "BucketBatchSampler", "functional", "transforms", *_RNN_UTILS]


def __getattr__(name: str):
    # Lazy so importing tensorlib.text never depends on the recurrent utilities being importable.
    if name in _RNN_UTILS:
        from tensorlib.nn.utils import rnn

        value = getattr(rnn, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
