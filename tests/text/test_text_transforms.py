import pytest

import tensorlib as tl
import tensorlib.text.functional as F
from tensorlib.nn import Module
from tensorlib.text import Vocab, get_tokenizer
from tensorlib.text import transforms as T


@pytest.fixture
def vocab():
    v = Vocab(["<unk>", "<bos>", "<eos>", "<pad>", "the", "cat", "sat", "!"])
    v.set_default_index(0)
    return v


def test_transforms_are_modules(vocab):
    for transform in (T.Tokenize(str.split), T.VocabTransform(vocab), T.Truncate(2), T.AddToken(1),
                      T.ToTensor(), T.PadTransform(4, 0), T.LabelToIndex(["a"]), T.StrToIntTransform(),
                      T.Sequential()):
        assert isinstance(transform, Module)
    assert isinstance(vocab, Module)


def test_tokenize_str_and_batch():
    tokenize = T.Tokenize(get_tokenizer("basic_english"))
    assert tokenize("The cat!") == ["the", "cat", "!"]
    assert tokenize(["The cat!", ""]) == [["the", "cat", "!"], []]
    with pytest.raises(TypeError, match="str or a list of str"):
        tokenize(b"The cat")
    assert T.Tokenize("words")("Don't") == ["Do", "n't"]
    with pytest.raises(TypeError, match="callable"):
        T.Tokenize(3)
    with pytest.raises(ValueError):
        T.Tokenize("no-such-tokenizer")


def test_vocab_transform(vocab):
    transform = T.VocabTransform(vocab)
    assert transform(["the", "dog"]) == [4, 0]
    assert transform([["the"], ["cat", "sat"]]) == [[4], [5, 6]]
    assert transform([]) == []
    with pytest.raises(TypeError, match="Input type not supported"):
        transform("the")


def test_truncate_functional_and_module():
    assert F.truncate([1, 2, 3], 2) == [1, 2]
    assert F.truncate(["a", "b"], 5) == ["a", "b"]
    assert T.Truncate(1)([[1, 2], [3], []]) == [[1], [3], []]
    with pytest.raises(TypeError, match="Input type not supported"):
        F.truncate("abc", 2)


def test_add_token_begin_end_and_batch():
    assert F.add_token([2, 3], 1) == [1, 2, 3]
    assert F.add_token([2, 3], 9, begin=False) == [2, 3, 9]
    assert T.AddToken("<bos>")(["a"]) == ["<bos>", "a"]
    assert T.AddToken(0, begin=False)([[1], [2, 3]]) == [[1, 0], [2, 3, 0]]
    assert F.add_token([], 5) == [5]
    with pytest.raises(TypeError, match="Input type not supported"):
        F.add_token([1, 2], "<bos>")


def test_to_tensor_flat_is_int64():
    out = F.to_tensor([1, 2, 3], dtype=tl.float32)  # torchtext ignores dtype for a flat list
    assert out.dtype == tl.int64 and out.tolist() == [1, 2, 3]


def test_to_tensor_batch_with_padding_and_dtype():
    out = T.ToTensor(padding_value=-1)([[1, 2, 3], [4], []])
    assert out.dtype == tl.int64 and tuple(out.shape) == (3, 3)
    assert out.tolist() == [[1, 2, 3], [4, -1, -1], [-1, -1, -1]]
    out = F.to_tensor([[1, 2], [3]], padding_value=0, dtype=tl.float32)
    assert out.dtype == tl.float32 and out.tolist() == [[1.0, 2.0], [3.0, 0.0]]


def test_to_tensor_batch_without_padding():
    out = F.to_tensor([[1, 2], [3, 4]], dtype=tl.int32)
    assert out.dtype == tl.int32 and out.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="padding_value"):
        F.to_tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="Input type not supported"):
        F.to_tensor("123")
    with pytest.raises(TypeError, match="Input type not supported"):
        F.to_tensor(["a", "b"])
    with pytest.raises(TypeError, match="Input type not supported"):
        F.to_tensor([[1], ["a"]], padding_value=0)


def test_pad_transform():
    pad = T.PadTransform(max_length=5, pad_value=3)
    out = pad(tl.tensor([[1, 2], [4, 5]]))
    assert tuple(out.shape) == (2, 5) and out.dtype == tl.int64
    assert out.tolist() == [[1, 2, 3, 3, 3], [4, 5, 3, 3, 3]]
    long = tl.tensor([1, 2, 3, 4, 5, 6])
    assert pad(long).tolist() == [1, 2, 3, 4, 5, 6]


def test_label_to_index_names_path_and_sort(tmp_path):
    transform = T.LabelToIndex(label_names=["pos", "neg", "neutral"], sort_names=True)
    assert transform.label_names == ["neg", "neutral", "pos"]
    assert transform("pos") == 2 and transform(["neg", "pos"]) == [0, 2]
    path = tmp_path / "labels.txt"
    path.write_text("b\n\na\n", encoding="utf-8")
    assert T.LabelToIndex(label_path=str(path))(["a", "b"]) == [1, 0]
    with pytest.raises(RuntimeError):
        transform("unknown")
    with pytest.raises(AssertionError, match="required"):
        T.LabelToIndex()
    with pytest.raises(AssertionError, match="mutually exclusive"):
        T.LabelToIndex(["a"], label_path=str(path))


def test_str_to_int():
    assert T.StrToIntTransform()(["1", "-2"]) == [1, -2]
    assert T.StrToIntTransform()([["1"], ["2", "3"]]) == [[1], [2, 3]]
    assert F.str_to_int([]) == []


def test_sequential_pipeline(vocab):
    pipeline = T.Sequential(
        T.Tokenize(get_tokenizer("basic_english")),
        T.VocabTransform(vocab),
        T.Truncate(3),
        T.AddToken(1, begin=True),
        T.AddToken(2, begin=False),
        T.ToTensor(padding_value=3),
        T.PadTransform(max_length=7, pad_value=3),
    )
    out = pipeline(["The cat sat!", "The dog"])
    assert out.tolist() == [[1, 4, 5, 6, 2, 3, 3], [1, 4, 0, 2, 3, 3, 3]]
    assert len(pipeline) == 7 and isinstance(pipeline[0], T.Tokenize)
