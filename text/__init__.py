"""tensorlib.text: tokenizers, vocabularies, byte-level BPE and text transforms (torchtext-shaped).

``pad_sequence``, ``pack_padded_sequence``, ``pad_packed_sequence`` and ``pack_sequence`` are re-exported from
``tensorlib.nn.utils.rnn`` on first access; ``data`` and ``datasets`` (torchtext's module paths) load on first
access too.
"""

from . import functional, transforms
from ._vocab_module import callable_vocab_module
from .bpe import BPETokenizer
from .ngrams import ngrams_iterator
from .sampler import BucketBatchSampler
from .tokenizers import RegexTokenizer, WordPunctTokenizer, basic_english_normalize, get_tokenizer
from .vocab import Vocab, build_vocab_from_iterator

# torchtext's ``vocab`` is both the module (``tensorlib.text.vocab.build_vocab_from_iterator``) and, through it,
# the factory ``vocab(ordered_dict)``: the module object is made callable so both spellings work.
vocab = callable_vocab_module()

_RNN_UTILS = ("pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence")
_LAZY_SUBMODULES = ("data", "datasets")

__all__ = ["get_tokenizer", "ngrams_iterator", "RegexTokenizer", "WordPunctTokenizer",
           "basic_english_normalize", "BPETokenizer", "Vocab", "vocab", "build_vocab_from_iterator",
           "BucketBatchSampler", "functional", "transforms", "data", "datasets", *_RNN_UTILS]


def __getattr__(name: str):
    # Lazy so importing tensorlib.text never depends on the recurrent utilities being importable.
    if name in _RNN_UTILS:
        from tensorlib.nn.utils import rnn

        value = getattr(rnn, name)
        globals()[name] = value
        return value
    if name in _LAZY_SUBMODULES:
        # torchtext's module paths (tensorlib.text.data.utils, tensorlib.text.datasets); datasets pulls in
        # the download machinery, so it is imported on first use
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
