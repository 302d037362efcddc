"""Hostile Vocab and BPE files: each raises ValueError naming the file and the fault, nothing else escapes."""

from __future__ import annotations

import json

import pytest

from tensorlib.text import Vocab
from tensorlib.text.bpe import BPETokenizer

VOCAB = {"type": "tensorlib.Vocab", "version": 1, "itos": ["<unk>", "a"], "default_index": 0}
BPE = {"type": "tensorlib.BPETokenizer", "version": 1, "pattern": r"\w+|\s+", "special_tokens": ["<eos>"],
       "merges": [[97, 98]]}


def _text(payload) -> bytes:
    return json.dumps(payload).encode()


COMMON = [
    ("invalid utf8", b'{"type": "\xff"}', "not UTF-8"),
    ("deep nesting", b"[" * 100000 + b"]" * 100000, "nesting"),
    ("moderately deep", b'{"type": 1, "x": ' + b"[" * 20 + b"]" * 20 + b"}", "nesting depth 21"),
    ("huge number", b'{"type": 1, "version": ' + b"9" * 5000 + b"}", "digits"),
    ("duplicate key", b'{"type": 1, "type": 2}', "duplicate key 'type'"),
    ("nan", b'{"type": NaN}', "NaN"),
    ("truncated", b'{"type": "tensor', "not valid JSON"),
    ("list", b"[1, 2]", "expected a JSON object"),
]

VOCAB_CASES = COMMON + [
    ("wrong kind", _text(dict(VOCAB, type="other")), "expected \"type\""),
    ("itos not list", _text(dict(VOCAB, itos="ab")), "'itos'"),
    ("non-str token", _text(dict(VOCAB, itos=["a", 1])), "list of str"),
    ("duplicate tokens", _text(dict(VOCAB, itos=["a", "a"])), "duplicate tokens"),
    ("default out of range", _text(dict(VOCAB, default_index=5)), "outside"),
    ("default bool", _text(dict(VOCAB, default_index=True)), "int or null"),
    ("version", _text(dict(VOCAB, version=2)), "unsupported version 2"),
]

BPE_CASES = COMMON + [
    ("merge not pair", _text(dict(BPE, merges=[[97]])), "[int, int] pairs"),
    ("merge floats", _text(dict(BPE, merges=[[97.0, 98]])), "[int, int] pairs"),
    ("merge forward ref", _text(dict(BPE, merges=[[97, 300]])), "not defined before it"),
    ("merge negative", _text(dict(BPE, merges=[[-1, 98]])), "not defined before it"),
    ("exponential tokens", _text(dict(BPE, merges=[[97, 97]] + [[256 + i, 256 + i] for i in range(40)])),
     "at most"),
    ("duplicate merge", _text(dict(BPE, merges=[[97, 98], [97, 98]])), "listed twice"),
    ("bad pattern", _text(dict(BPE, pattern="(unclosed")), "corrupt"),
    ("special not str", _text(dict(BPE, special_tokens=[1])), "special_tokens"),
    ("duplicate specials", _text(dict(BPE, special_tokens=["<eos>", "<eos>"])), "special_tokens"),
]


@pytest.mark.parametrize("name,raw,fragment", VOCAB_CASES, ids=[c[0] for c in VOCAB_CASES])
def test_vocab_file_table(tmp_path, name, raw, fragment):
    path = tmp_path / "vocab.json"
    path.write_bytes(raw)
    with pytest.raises(ValueError) as info:
        Vocab.load(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


@pytest.mark.parametrize("name,raw,fragment", BPE_CASES, ids=[c[0] for c in BPE_CASES])
def test_bpe_file_table(tmp_path, name, raw, fragment):
    path = tmp_path / "bpe.json"
    path.write_bytes(raw)
    with pytest.raises(ValueError) as info:
        BPETokenizer.load(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_valid_files_still_load(tmp_path):
    (tmp_path / "v.json").write_bytes(_text(VOCAB))
    assert Vocab.load(tmp_path / "v.json")["zzz"] == 0
    (tmp_path / "b.json").write_bytes(_text(BPE))
    tokenizer = BPETokenizer.load(tmp_path / "b.json")
    assert tokenizer.decode(tokenizer.encode("ab<eos>")) == "ab<eos>"
