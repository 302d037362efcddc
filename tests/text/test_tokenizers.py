import random

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorlib.text import RegexTokenizer, WordPunctTokenizer, get_tokenizer, ngrams_iterator
from tensorlib.text.tokenizers import BASIC_ENGLISH_PATTERNS, reference_basic_english

basic_english = get_tokenizer("basic_english")


# ----------------------------------------------------------------------------------------- basic_english
@pytest.mark.parametrize("text, expected", [
    ("You can now install TorchText using pip!", ["you", "can", "now", "install", "torchtext", "using",
                                                  "pip", "!"]),
    ("Hello, world! It's a \"test\" (with) punctuation; ok: done?",
     ["hello", ",", "world", "!", "it", "'", "s", "a", "test", "(", "with", ")", "punctuation", "ok", "done",
      "?"]),
    ("Line one.<br />Line two...", ["line", "one", ".", "line", "two", ".", ".", "."]),
    ("tab\tand\nnewline  spaces", ["tab", "and", "newline", "spaces"]),
    ("", []),
    ("   ", []),
])
def test_basic_english_documented_outputs(text, expected):
    assert basic_english(text) == expected


def test_basic_english_rule_table_is_torchtexts():
    assert [p for p, _ in BASIC_ENGLISH_PATTERNS] == [
        r"\'", r"\"", r"\.", r"<br \/>", r",", r"\(", r"\)", r"\!", r"\?", r"\;", r"\:", r"\s+"]
    assert [r for _, r in BASIC_ENGLISH_PATTERNS] == [
        " '  ", "", " . ", " ", " , ", " ( ", " ) ", " ! ", " ? ", " ", " ", " "]


@pytest.mark.parametrize("text", [
    '<br" />x', 'a<br />b', "<BR />", "<br/>", "<br  />", "<br\t/>", "x<br />'<br />.<br />",
    '"<br />"', "\u00a0\u2028a\x1cb\x85c", "İstanbul ÇA'VA?", "e.g.,(a)!b?c;d:e", "''\"\"..,,",
])
def test_fast_basic_english_matches_reference_on_edge_cases(text):
    assert basic_english(text) == reference_basic_english(text)


def test_fast_basic_english_matches_reference_on_random_text():
    rng = random.Random(0)
    alphabet = list("abcXYZ '\".,()!?;:<>/br \t\n\u00a0é東") + ["<br />", "<br", " />", '<br" />']
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert basic_english(text) == reference_basic_english(text), repr(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fast_basic_english_matches_reference_property(text):
    assert basic_english(text) == reference_basic_english(text)


def test_basic_english_other_language_raises():
    with pytest.raises(ValueError, match="only available"):
        get_tokenizer("basic_english", language="de")


# ---------------------------------------------------------------------------------------- get_tokenizer
def test_get_tokenizer_none_and_whitespace_split_like_str_split():
    for name in (None, "whitespace"):
        assert get_tokenizer(name)(" a  b\tc\n") == ["a", "b", "c"]


def test_get_tokenizer_char_and_callable():
    assert get_tokenizer("char")("héy") == ["h", "é", "y"]
    def custom(s):
        return s.split(",")
    assert get_tokenizer(custom) is custom


def test_get_tokenizer_unknown_name_raises_value_error():
    with pytest.raises(ValueError, match="spacy"):
        get_tokenizer("spacy")


@pytest.mark.parametrize("name", ["basic_english", None, "char", "words"])
@pytest.mark.parametrize("bad", [b"bytes", None, 3])
def test_tokenizers_reject_non_str_with_type_error(name, bad):
    with pytest.raises(TypeError, match="expects a str"):
        get_tokenizer(name)(bad)


def test_bytes_error_suggests_decoding():
    with pytest.raises(TypeError, match="decode"):
        basic_english(b"abc")


@pytest.mark.parametrize("name", ["basic_english", None, "char", "words"])
def test_empty_string_gives_empty_list(name):
    assert get_tokenizer(name)("") == []


# --------------------------------------------------------------------------------------- RegexTokenizer
def test_regex_tokenizer_torchtext_example():
    tokenizer = RegexTokenizer([(r"\'", " \'  "), (r"\"", "")])
    assert tokenizer("Basic Regex Tokenization for a Line of Text") == [
        "Basic", "Regex", "Tokenization", "for", "a", "Line", "of", "Text"]


def test_regex_tokenizer_applies_rules_in_order_with_group_references():
    tokenizer = RegexTokenizer([(r"(\d+)", r" <num:\1> "), (r"<num:(\d)\d*>", r"N\1"), (r"\s+", " ")])
    assert tokenizer("take 42 or 7\tnow") == ["take", "N4", "or", "N7", "now"]


def test_regex_tokenizer_splits_on_space_only_like_torchtext():
    assert RegexTokenizer([])("a  b\tc") == ["a", "b\tc"]


def test_regex_tokenizer_unicode_classes():
    tokenizer = RegexTokenizer([(r"\p{P}", " "), (r"\p{Han}", r" \g<0> ")])
    assert tokenizer("héllo,世界!") == ["héllo", "世", "界"]


def test_regex_tokenizer_rejects_bytes():
    with pytest.raises(TypeError):
        RegexTokenizer([])(b"x")


# ----------------------------------------------------------------------------------- WordPunctTokenizer
@pytest.mark.parametrize("text, expected", [
    ("Hello, world!", ["Hello", ",", "world", "!"]),
    ("Don't stop; I'm sure we'll win, can't lose.",
     ["Do", "n't", "stop", ";", "I", "'m", "sure", "we", "'ll", "win", ",", "ca", "n't", "lose", "."]),
    ("It’s the dog’s o'clock", ["It", "’s", "the", "dog", "’s", "o'clock"]),
    ("Price: 1,000.50 € or 3.14.", ["Price", ":", "1,000.50", "€", "or", "3.14", "."]),
    ("naïve café Ångström", ["naïve", "café", "Ångström"]),
    ("cafe\u0301 decomposed", ["cafe\u0301", "decomposed"]),
    ("我爱北京 and 東京タワー", ["我", "爱", "北", "京", "and", "東", "京", "タ", "ワ", "ー"]),
    ("Привет мир", ["Привет", "мир"]),
    ("great👍🏽 job 👨\u200d👩\u200d👧 🇫🇷!", ["great", "👍🏽", "job", "👨\u200d👩\u200d👧", "🇫🇷", "!"]),
    ("snake_case mp3 3d", ["snake_case", "mp3", "3", "d"]),
    ("", []),
])
def test_word_punct_tokenizer(text, expected):
    assert get_tokenizer("words")(text) == expected


def test_word_punct_tokenizer_lower():
    assert WordPunctTokenizer(lower=True)("ÉCOLE Don't") == ["école", "do", "n't"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_word_punct_tokens_cover_all_non_space_text(text):
    tokens = WordPunctTokenizer()(text)
    assert all(tokens)
    # Unicode White_Space (regex's \s) separates tokens and nothing else is dropped.
    assert "".join(tokens) == regex.sub(r"\s", "", text)


# -------------------------------------------------------------------------------------- ngrams_iterator
def test_ngrams_iterator_matches_torchtext_order():
    assert list(ngrams_iterator(["here", "we", "are"], 2)) == ["here", "we", "are", "here we", "we are"]
    assert list(ngrams_iterator(["a", "b", "c"], 3)) == ["a", "b", "c", "a b", "b c", "a b c"]
    assert list(ngrams_iterator(["a", "b"], 1)) == ["a", "b"]
    assert list(ngrams_iterator(["a"], 4)) == ["a"]
    assert list(ngrams_iterator([], 2)) == []


def test_tokenizer_classes_are_modules_and_picklable():
    import pickle

    from tensorlib.nn import Module
    for tokenizer in (RegexTokenizer([(r"a", "b")]), WordPunctTokenizer(lower=True)):
        assert isinstance(tokenizer, Module)
        restored = pickle.loads(pickle.dumps(tokenizer))
        assert restored("Ab aa") == tokenizer("Ab aa")
    assert "lower=True" in repr(WordPunctTokenizer(lower=True))
