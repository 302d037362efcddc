import json
from collections import Counter, OrderedDict

import pytest

from tensorlib.text import Vocab, build_vocab_from_iterator, vocab


def test_vocab_factory_keeps_insertion_order_and_min_freq():
    counts = OrderedDict([("b", 3), ("a", 5), ("c", 1)])
    v = vocab(counts, min_freq=2)
    assert v.get_itos() == ["b", "a"]
    assert v["a"] == 1 and len(v) == 2
    assert counts == OrderedDict([("b", 3), ("a", 5), ("c", 1)])  # not mutated


def test_vocab_factory_specials_first_last_and_removed_from_ranking():
    counts = OrderedDict([("x", 4), ("<unk>", 9), ("y", 2)])
    assert vocab(counts, specials=["<unk>", "<pad>"]).get_itos() == ["<unk>", "<pad>", "x", "y"]
    assert vocab(counts, specials=["<unk>"], special_first=False).get_itos() == ["x", "y", "<unk>"]


def test_torchtext_docstring_example():
    counter = Counter(["a", "a", "b", "b", "b"])
    v1 = vocab(OrderedDict(sorted(counter.items(), key=lambda x: x[1], reverse=True)))
    assert v1["a"] == 1
    with pytest.raises(RuntimeError, match="set_default_index"):
        v1["out of vocab"]
    v2 = vocab(OrderedDict([(token, 1) for token in ["e", "d", "c", "b", "a"]]), specials=["<unk>"])
    v2.set_default_index(-1)
    assert v2["<unk>"] == 0 and v2["out of vocab"] == -1
    v2.set_default_index(v2["<unk>"])
    assert v2["out of vocab"] == v2["<unk>"]


def test_build_vocab_orders_by_frequency_then_lexicographically():
    data = [["b", "a", "c"], ["c", "b", "d"], ["B", "a", "c", "é"]]
    v = build_vocab_from_iterator(data)
    # c:3, a:2, b:2, B:1, d:1, é:1 -> ties broken by code point ('B' < 'd' < 'é').
    assert v.get_itos() == ["c", "a", "b", "B", "d", "é"]


def test_build_vocab_min_freq_specials_max_tokens():
    data = [["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + ["e"]]
    assert build_vocab_from_iterator(data, min_freq=3).get_itos() == ["a", "b", "c"]
    v = build_vocab_from_iterator(data, specials=["<unk>", "<pad>"], max_tokens=4)
    assert v.get_itos() == ["<unk>", "<pad>", "a", "b"]
    v = build_vocab_from_iterator(data, specials=["<unk>"], special_first=False, max_tokens=3)
    assert v.get_itos() == ["a", "b", "<unk>"]
    with pytest.raises(AssertionError, match="max_tokens"):
        build_vocab_from_iterator(data, specials=["<unk>"], max_tokens=1)


def test_build_vocab_max_tokens_counts_before_special_removal_like_torchtext():
    # "<unk>" is the most frequent token; it is cut from the ranking after truncation.
    data = [["<unk>"] * 9 + ["a"] * 5 + ["b"] * 4]
    assert build_vocab_from_iterator(data, specials=["<unk>"], max_tokens=3).get_itos() == ["<unk>", "a"]


def test_duplicate_tokens_raise():
    with pytest.raises(RuntimeError, match="Duplicate token"):
        Vocab(["a", "b", "a"])
    with pytest.raises(RuntimeError, match="Duplicate"):
        vocab(OrderedDict([("a", 1)]), specials=["<s>", "<s>"])


def test_lookup_methods_and_call():
    v = Vocab(["<unk>", "hello", "world"])
    assert "hello" in v and "nope" not in v
    assert v(["world", "hello"]) == [2, 1] == v.forward(["world", "hello"])
    assert v.lookup_indices(["hello"]) == [1]
    assert v.lookup_token(2) == "world"
    assert v.lookup_tokens([0, 2]) == ["<unk>", "world"]
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.lookup_token(3)
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.lookup_token(-1)


def test_unknown_token_without_default_raises_runtime_error_naming_fix():
    v = Vocab(["a"])
    assert v.get_default_index() is None
    with pytest.raises(RuntimeError, match=r"'zzz'.*set_default_index"):
        v(["a", "zzz"])
    v.set_default_index(0)
    assert v(["a", "zzz"]) == [0, 0]
    assert v.get_default_index() == 0
    v.set_default_index(None)
    with pytest.raises(RuntimeError):
        v["zzz"]


def test_lookup_type_errors():
    v = Vocab(["a"], default_index=0)
    with pytest.raises(TypeError):
        v[1]
    with pytest.raises(TypeError, match="single str"):
        v("a")
    with pytest.raises(TypeError):
        Vocab(["a", 3])


def test_insert_and_append_token():
    v = Vocab(["a", "b", "c"])
    v.insert_token("x", 1)
    assert v.get_itos() == ["a", "x", "b", "c"]
    assert v.get_stoi() == {"a": 0, "x": 1, "b": 2, "c": 3}
    v.append_token("z")
    assert v["z"] == 4
    v.insert_token("first", 0)
    assert v["c"] == 4 and v.lookup_token(0) == "first"
    with pytest.raises(RuntimeError, match="already exists"):
        v.append_token("a")
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.insert_token("new", 99)


def test_get_stoi_itos_are_copies():
    v = Vocab(["a"])
    v.get_stoi()["b"] = 1
    v.get_itos().append("b")
    assert len(v) == 1 and "b" not in v


def test_save_load_round_trip(tmp_path):
    v = build_vocab_from_iterator([["héllo", "東京", "a", "a"]], specials=["<unk>"])
    v.set_default_index(v["<unk>"])
    path = tmp_path / "vocab.json"
    v.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.json"]
    loaded = Vocab.load(path)
    assert loaded.get_itos() == v.get_itos()
    assert loaded.get_default_index() == 0
    assert loaded(["a", "missing"]) == [1, 0]


@pytest.mark.parametrize("content, message", [
    ("", "not valid JSON"),
    ("{\"type\": \"tensorlib.Vocab\", \"version\": 1}", "itos"),
    ("{\"type\": \"tensorlib.Vocab\", \"version\": 1, \"itos\": [\"a\", 1]}", "list of str"),
    ("{\"type\": \"tensorlib.Vocab\", \"version\": 1, \"itos\": [\"a\", \"a\"]}", "duplicate"),
    ("{\"type\": \"tensorlib.Vocab\", \"version\": 1, \"itos\": [], \"default_index\": \"0\"}",
     "default_index"),
    ("{\"type\": \"tensorlib.Vocab\", \"version\": 7, \"itos\": []}", "version"),
    ("{\"type\": \"tensorlib.Vocab\", \"version\": 1, \"itos\": [\"a\"], \"default_index\": 5}",
     "'default_index' 5 is outside the 1 tokens"),
    (json.dumps({"type": "tensorlib.BPETokenizer"}), "type"),
])
def test_corrupt_vocab_file_raises_value_error_naming_file(tmp_path, content, message):
    path = tmp_path / "bad_vocab.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        Vocab.load(path)
    assert "bad_vocab.json" in str(info.value)


def test_missing_vocab_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        Vocab.load(tmp_path / "nope.json")
