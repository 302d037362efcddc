import json
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorlib.text import BPETokenizer

CORPUS = [
    "the quick brown fox jumps over the lazy dog",
    "the lazy dog sleeps; the quick fox runs",
    "über café naïve 東京 東京タワー 🎉🎉",
    "hello hello hello world world",
] * 5


@pytest.fixture(scope="module")
def tokenizer():
    return BPETokenizer.train(CORPUS, vocab_size=256 + 60, special_tokens=["<|endoftext|>", "<pad>"])


def _naive_merges(words, num_merges):
    """Reference BPE: recount every pair before each merge; ties go to the smallest id pair."""
    words = {tuple(w.encode("utf-8")): c for w, c in Counter(words).items()}
    merges = []
    for _ in range(num_merges):
        counts = Counter()
        for ids, c in words.items():
            for pair in zip(ids, ids[1:]):
                counts[pair] += c
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        new_id = 256 + len(merges)
        merges.append(best)
        merged = {}
        for ids, c in words.items():
            out, i = [], 0
            while i < len(ids):
                if i < len(ids) - 1 and (ids[i], ids[i + 1]) == best:
                    out.append(new_id)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return merges


def test_incremental_training_matches_naive_recount():
    import regex

    from tensorlib.text.bpe import GPT2_PRETOKENIZE_PATTERN
    words = [w for text in CORPUS for w in regex.findall(GPT2_PRETOKENIZE_PATTERN, text)]
    tok = BPETokenizer.train(CORPUS, vocab_size=256 + 80)
    assert tok.merges == _naive_merges(words, 80)


def test_vocab_size_and_special_ids(tokenizer):
    assert tokenizer.vocab_size == len(tokenizer) == 316
    assert len(tokenizer.merges) == 58
    assert tokenizer.encode("<|endoftext|>") == [314]
    assert tokenizer.encode("<pad>") == [315]
    assert tokenizer.token_to_id("<pad>") == 315


def test_training_learns_frequent_words(tokenizer):
    assert len(tokenizer.encode(" the")) == 1
    assert len(tokenizer.encode("hello")) == 1
    assert tokenizer.id_to_bytes(tokenizer.encode(" quick")[0]) == b" quick"


def test_merges_do_not_cross_pretokens(tokenizer):
    for token_id in tokenizer.encode(" ".join(CORPUS)):
        piece = tokenizer.id_to_bytes(token_id)
        assert piece.isspace() or b" " not in piece[1:]  # a space only as GPT-2's leading space


def test_encode_decode_with_specials_and_unseen_text(tokenizer):
    text = "the fox<|endoftext|>Ω never seen: ✈️ \t\n<pad><pad>"
    ids = tokenizer.encode(text)
    assert ids.count(314) == 1 and ids.count(315) == 2
    assert all(0 <= i < tokenizer.vocab_size for i in ids)
    assert tokenizer.decode(ids) == text


def test_empty_string(tokenizer):
    assert tokenizer.encode("") == []
    assert tokenizer.decode([]) == ""


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_round_trip_any_string(text):
    tok = _module_tokenizer()
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(), min_size=0, max_size=20))
def test_round_trip_with_lone_surrogates_and_specials(text):
    tok = _module_tokenizer()
    s = text + "\ud800<pad>" + text
    assert tok.decode(tok.encode(s)) == s


_CACHE = {}


def _module_tokenizer():
    if "tok" not in _CACHE:
        _CACHE["tok"] = BPETokenizer.train(CORPUS, vocab_size=256 + 60, special_tokens=["<pad>"])
    return _CACHE["tok"]


def test_encode_batch_and_cache_consistency(tokenizer):
    texts = ["the fox", "", "über 東京"]
    assert tokenizer.encode_batch(texts) == [tokenizer.encode(t) for t in texts]
    first = tokenizer.encode("naïve naïve")
    assert tokenizer.encode("naïve naïve") == first


def test_decode_invalid_utf8_uses_replacement_and_bad_id_raises(tokenizer):
    assert tokenizer.decode([0xC3]) == "\ufffd"
    with pytest.raises(IndexError, match="out of range"):
        tokenizer.decode([tokenizer.vocab_size])


def test_type_errors(tokenizer):
    with pytest.raises(TypeError, match="expects a str"):
        tokenizer.encode(b"abc")
    with pytest.raises(TypeError, match="expects a str"):
        tokenizer.encode(None)
    with pytest.raises(TypeError):
        BPETokenizer.train([b"abc"], vocab_size=300)


def test_vocab_size_too_small_raises():
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train(CORPUS, vocab_size=256, special_tokens=["<pad>"])


def test_training_stops_when_no_pairs_left():
    tok = BPETokenizer.train(["ab ab"], vocab_size=1000)
    assert tok.merges == [(97, 98), (32, 256)]
    assert tok.encode("ab ab") == [256, 257]


def test_save_load_round_trip(tokenizer, tmp_path):
    path = tmp_path / "bpe.json"
    tokenizer.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["bpe.json"]  # temp file renamed away
    loaded = BPETokenizer.load(path)
    assert loaded.merges == tokenizer.merges
    assert loaded.special_tokens == tokenizer.special_tokens
    text = "the quick<pad> über 🎉"
    assert loaded.encode(text) == tokenizer.encode(text)
    assert json.loads(path.read_text(encoding="utf-8"))["type"] == "tensorlib.BPETokenizer"


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"type": "tensorlib.Vocab"}', "type"),
    ('{"type": "tensorlib.BPETokenizer", "version": 1, "pattern": "x", "special_tokens": []}', "merges"),
    ('{"type": "tensorlib.BPETokenizer", "version": 1, "pattern": "x", "special_tokens": [],'
     ' "merges": [[1, 999]]}', "refers to an id"),
    ('{"type": "tensorlib.BPETokenizer", "version": 1, "pattern": "(", "special_tokens": [],'
     ' "merges": []}', "corrupt"),
    ('{"type": "tensorlib.BPETokenizer", "version": 1, "pattern": "x", "special_tokens": [],'
     ' "merges": [["a", "b"]]}', "pairs"),
])
def test_corrupt_file_raises_value_error_naming_file(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        BPETokenizer.load(path)
    assert "broken.json" in str(info.value)


def test_training_speed_one_megabyte():
    import random
    rng = random.Random(0)
    syllables = ["ka", "lo", "mi", "ne", "tor", "ash", "qu", "ing", "ed", "st", "re", "th"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(20000)]
    text = " ".join(rng.choice(words) for _ in range(170_000))
    lines = [text[i:i + 2000] for i in range(0, len(text), 2000)]
    assert len(text) > 1_000_000
    start = time.perf_counter()
    tok = BPETokenizer.train(lines, vocab_size=256 + 1000)
    elapsed = time.perf_counter() - start
    assert len(tok.merges) == 1000
    assert elapsed < 10, f"training took {elapsed:.1f}s"
    assert tok.decode(tok.encode(lines[0])) == lines[0]
