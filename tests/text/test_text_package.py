import importlib

import pytest

import tensorlib.text as text


def test_top_level_exports():
    for name in ["get_tokenizer", "ngrams_iterator", "RegexTokenizer", "BPETokenizer", "Vocab", "vocab",
                 "build_vocab_from_iterator", "BucketBatchSampler", "WordPunctTokenizer"]:
        assert callable(getattr(text, name)), name
    assert importlib.import_module("tensorlib.text.transforms").ToTensor is text.transforms.ToTensor


def test_rnn_utils_reexported_lazily():
    rnn = pytest.importorskip("tensorlib.nn.utils.rnn")
    if not hasattr(rnn, "pad_sequence"):
        pytest.skip("tensorlib.nn.utils.rnn is not written yet")
    for name in ["pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence"]:
        assert getattr(text, name) is getattr(rnn, name)


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = text.no_such_thing
