"""torchtext's module paths exist under tensorlib.text with torchtext's behaviour."""

import importlib
import math
from collections import OrderedDict

import pytest

import tensorlib as tl
import tensorlib.text as text

TORCHTEXT_PATHS = {
    "tensorlib.text.data.utils": ["get_tokenizer", "ngrams_iterator", "interleave_keys"],
    "tensorlib.text.data.functional": ["to_map_style_dataset", "custom_replace", "simple_space_split",
                                       "numericalize_tokens_from_iterator"],
    "tensorlib.text.data": ["get_tokenizer", "to_map_style_dataset", "interleave_keys"],
    "tensorlib.text.datasets": ["AG_NEWS", "IMDB"],
    "tensorlib.text.vocab": ["Vocab", "vocab", "build_vocab_from_iterator"],
    "tensorlib.text.transforms": ["Sequential", "VocabTransform", "ToTensor", "Truncate", "AddToken",
                                  "PadTransform", "LabelToIndex", "StrToIntTransform", "RegexTokenizer"],
}


@pytest.mark.parametrize("path", sorted(TORCHTEXT_PATHS))
def test_module_path_exports_torchtext_names(path):
    module = importlib.import_module(path)
    for name in TORCHTEXT_PATHS[path]:
        assert callable(getattr(module, name)), f"{path}.{name}"


def test_attribute_access_after_plain_import_reaches_submodules():
    assert text.data.utils.get_tokenizer("basic_english")("Hello, World!") == ["hello", ",", "world", "!"]
    assert text.datasets.AG_NEWS is importlib.import_module("tensorlib.datasets").AG_NEWS
    assert text.vocab.build_vocab_from_iterator is text.build_vocab_from_iterator


def test_vocab_is_both_the_module_and_the_factory():
    import tensorlib.text.vocab as vocab_module
    from tensorlib.text import vocab

    assert vocab is vocab_module
    assert vocab(OrderedDict([("b", 3), ("a", 1)])).get_itos() == ["b", "a"]
    assert vocab.vocab(OrderedDict([("x", 2)]), specials=["<unk>"]).get_itos() == ["<unk>", "x"]


def test_to_map_style_dataset_materialises_an_iterator():
    from tensorlib.data import DataLoader
    from tensorlib.text.data.functional import to_map_style_dataset

    dataset = to_map_style_dataset(iter([(1, "a b"), (2, "c")]))
    assert len(dataset) == 2 and dataset[1] == (2, "c") and dataset[-1] == (2, "c")
    batches = list(DataLoader(dataset, batch_size=2, collate_fn=list))
    assert batches == [[(1, "a b"), (2, "c")]]


def test_to_map_style_dataset_keeps_a_map_style_dataset():
    from tensorlib.text.data.functional import to_map_style_dataset

    dataset = tl.utils.data.TensorDataset(tl.arange(3))
    assert to_map_style_dataset(dataset) is dataset


def test_iterator_helpers_match_torchtext():
    from tensorlib.text.data.functional import (
        custom_replace,
        numericalize_tokens_from_iterator,
        simple_space_split,
    )

    replace = custom_replace([(r"<.*?>", ""), (r"\s+", " ")])
    assert list(replace(["<b>Hi</b>   there"])) == ["Hi there"]
    assert list(simple_space_split(["a  b", " c "])) == [["a", "b"], ["c"]]
    vocab = text.vocab(OrderedDict([("<pad>", 1), ("a", 1), ("b", 1)]))
    ids = [list(it) for it in numericalize_tokens_from_iterator(vocab, [["a", "<pad>", "b"]], ["<pad>"])]
    assert ids == [[1, 2]]


def test_interleave_keys_interleaves_bits():
    from tensorlib.text.data.utils import interleave_keys

    assert interleave_keys(3, 5) == 0b00011011
    assert interleave_keys(0, 1) == 1 and interleave_keys(1, 0) == 2


def test_bleu_score_as_torchtext():
    from tensorlib.text.data.metrics import bleu_score

    candidates = [["My", "full", "pytorch", "test"], ["Another", "Sentence"]]
    references = [[["My", "full", "pytorch", "test"], ["Completely", "Different"]], [["No", "Match"]]]
    assert bleu_score(candidates, references) == pytest.approx(0.8408964276313782, rel=1e-6)  # torchtext's doc
    assert bleu_score([list("abcd")], [[list("abcdef")]]) == pytest.approx(math.exp(-0.5), rel=1e-6)  # brevity
    assert bleu_score([list("abcd")], [[list("abcd")]]) == pytest.approx(1.0)
    assert bleu_score([list("abce")], [[list("abcd")]]) == 0.0  # no 4-gram in common
    assert bleu_score([list("abce")], [[list("abcd")]], max_n=2, weights=[0.5, 0.5]) == pytest.approx(
        math.sqrt(3 / 4 * 2 / 3), rel=1e-6)
    with pytest.raises(AssertionError, match="weights"):
        bleu_score(candidates, references, max_n=3)
    with pytest.raises(AssertionError, match="same"):
        bleu_score(candidates, references[:1])
    assert text.data.bleu_score is bleu_score
