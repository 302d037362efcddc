"""Word tokenizers: ``get_tokenizer``, torchtext's ``basic_english`` rules, ``RegexTokenizer`` and a
unicode-aware ``WordPunctTokenizer`` built on the ``regex`` package.
"""

from __future__ import annotations

import re
from typing import Callable, List, Sequence, Tuple

import regex

from ._module import Module

__all__ = ["get_tokenizer", "basic_english_normalize", "RegexTokenizer", "WordPunctTokenizer",
           "BASIC_ENGLISH_PATTERNS"]

# torchtext.data.utils._patterns / _replacements, applied in this order after ``str.lower()``.
BASIC_ENGLISH_PATTERNS: Tuple[Tuple[str, str], ...] = (
    (r"\'", " '  "),
    (r"\"", ""),
    (r"\.", " . "),
    (r"<br \/>", " "),
    (r",", " , "),
    (r"\(", " ( "),
    (r"\)", " ) "),
    (r"\!", " ! "),
    (r"\?", " ? "),
    (r"\;", " "),
    (r"\:", " "),
    (r"\s+", " "),
)

def _check_str(text, who: str) -> None:
    if text.__class__ is not str and not isinstance(text, str):
        raise TypeError(f"{who} expects a str, got {type(text).__name__}"
                        + (" (decode bytes first, e.g. data.decode('utf-8'))" if isinstance(
                            text, (bytes, bytearray)) else ""))


def basic_english_normalize(line: str) -> List[str]:
    """torchtext's ``basic_english`` tokenizer: lowercase, space out ``' . , ( ) ! ?``, drop ``"``,
    turn ``<br />``, ``;`` and ``:`` into spaces, then split on whitespace.

    >>> basic_english_normalize("You can now install TorchText using pip!")
    ['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
    """
    _check_str(line, "basic_english tokenizer")
    # This produces exactly the tokens of the rule table, with C-speed str.replace passes instead of
    # twelve regex substitutions. Why it is exact: the single-character rules touch characters disjoint from
    # each other and from "<br />", and their replacements only add spaces around the character, so they
    # commute and can neither create nor destroy a "<br />". Only deleting '"' can create one ('<br" />'),
    # so quotes go first. The final r"\s+" -> " " rule is redundant before str.split(), which splits on
    # exactly the characters re's \s matches in a str (both use str.isspace).
    line = line.lower()
    if '"' in line:
        line = line.replace('"', "")
    if "<br />" in line:
        line = line.replace("<br />", " ")
    # Unrolled: a loop over the rules costs a quarter of the run time on short lines.
    return (line.replace("'", " '  ").replace(".", " . ").replace(",", " , ").replace("(", " ( ")
            .replace(")", " ) ").replace("!", " ! ").replace("?", " ? ").replace(";", " ").replace(":", " ")
            .split())


def _split_tokenizer(text: str) -> List[str]:
    _check_str(text, "whitespace tokenizer")
    return text.split()


def _char_tokenizer(text: str) -> List[str]:
    _check_str(text, "char tokenizer")
    return list(text)


class RegexTokenizer(Module):
    """Apply ``(pattern, replacement)`` substitutions in order, then split on spaces (torchtext semantics).

    Like torchtext's RE2-based tokenizer the final split is on the space character ``' '`` only, dropping
    empty pieces; add ``(r"\\s+", " ")`` as the last rule to split on any whitespace. Patterns use the
    ``regex`` package's syntax (a superset of ``re``), replacements may use ``\\1`` group references.

    >>> RegexTokenizer([(r"\\'", " \\'  "), (r'\\"', "")])("Basic Regex Tokenization for a Line of Text")
    ['Basic', 'Regex', 'Tokenization', 'for', 'a', 'Line', 'of', 'Text']
    """

    def __init__(self, patterns: Sequence[Tuple[str, str]]) -> None:
        super().__init__()
        self.patterns = [(str(pattern), str(replacement)) for pattern, replacement in patterns]
        self._compiled = [(regex.compile(pattern), replacement) for pattern, replacement in self.patterns]

    def forward(self, line: str) -> List[str]:
        """Tokenize one string into a list of tokens."""
        _check_str(line, "RegexTokenizer")
        for compiled, replacement in self._compiled:
            line = compiled.sub(replacement, line)
        return [token for token in line.split(" ") if token]

    def extra_repr(self) -> str:
        return f"patterns={self.patterns!r}"


_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WORD_CHAR = rf"[[\p{{L}}\p{{M}}\p{{N}}_]--[{_CJK}]]"
_WORD_PUNCT_PATTERN = regex.compile(
    "|".join([
        r"\p{N}+(?:[.,]\p{N}+)*",                                         # numbers: 42, 1,000.50, 3.14
        rf"[{_CJK}]",                                                     # one CJK ideograph/kana per token
        rf"[[\p{{L}}]--[{_CJK}]]{_WORD_CHAR}*(?:['’]{_WORD_CHAR}+)*",     # words, accents, apostrophes
        r"(?=\p{Extended_Pictographic}|\p{Regional_Indicator})\X",        # one emoji (ZWJ sequences, flags)
        r"(?!\s)\X",                                                      # any other symbol / punctuation
    ]),
    flags=regex.V1,
)
_CONTRACTION = regex.compile(r"(?i)^(.+?)(n['’]t|['’](?:s|m|d|ll|re|ve))$")


class WordPunctTokenizer(Module):
    """Unicode-aware word/punctuation tokenizer (``get_tokenizer('words')``).

    Rules: words are runs of letters, combining marks, digits and ``_`` starting with a letter (accents
    and NFD-decomposed text stay whole); numbers keep their separators (``1,000.50``); every Chinese /
    Japanese ideograph or kana is its own token; an emoji (including ZWJ sequences, skin tones, flags) is
    one token; every other symbol is its own token. English contractions split Penn-Treebank style:
    ``don't -> do n't``, ``I'm -> I 'm``, ``we'll -> we 'll``; other apostrophes (``o'clock``) stay inside
    the word. ``lower=True`` lowercases first.

    >>> WordPunctTokenizer()("Don't pay 1,000.50€ for café 東京!")
    ['Do', "n't", 'pay', '1,000.50', '€', 'for', 'café', '東', '京', '!']
    """

    def __init__(self, lower: bool = False) -> None:
        super().__init__()
        self.lower = lower

    def forward(self, text: str) -> List[str]:
        """Tokenize one string into a list of tokens."""
        _check_str(text, "WordPunctTokenizer")
        if self.lower:
            text = text.lower()
        tokens: List[str] = []
        for token in _WORD_PUNCT_PATTERN.findall(text):
            if "'" in token or "’" in token:
                split = _CONTRACTION.match(token)
                if split is not None:
                    tokens.extend(split.groups())
                    continue
            tokens.append(token)
        return tokens

    def extra_repr(self) -> str:
        return f"lower={self.lower}"


_NAMED = {
    "basic_english": basic_english_normalize,
    "whitespace": _split_tokenizer,
    "char": _char_tokenizer,
}


def get_tokenizer(tokenizer, language: str = "en") -> Callable[[str], List[str]]:
    """Return a function mapping a string to a list of tokens, like ``torchtext.data.get_tokenizer``.

    ``tokenizer``: ``None`` or ``"whitespace"`` (``str.split``), ``"basic_english"`` (torchtext's rules;
    ``language`` must be ``"en"``), ``"char"`` (one token per character), ``"words"`` (a
    :class:`WordPunctTokenizer`), or any callable, returned unchanged.
    """
    if tokenizer is None:
        return _split_tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError("Basic normalization is only available for Enlish(en)")
        return basic_english_normalize
    if callable(tokenizer):
        return tokenizer
    if tokenizer in _NAMED:
        return _NAMED[tokenizer]
    if tokenizer == "words":
        return WordPunctTokenizer()
    raise ValueError(f"Requested tokenizer {tokenizer!r}; valid choices are None, 'basic_english', "
                     "'whitespace', 'char', 'words' or a callable that takes a single string as input")


def reference_basic_english(line: str) -> List[str]:
    """torchtext's pure-Python implementation (``re.sub`` rule by rule); kept as the equality oracle."""
    line = line.lower()
    for pattern, replacement in _REFERENCE_RULES:
        line = pattern.sub(replacement, line)
    return line.split()


_REFERENCE_RULES = [(re.compile(pattern), replacement) for pattern, replacement in BASIC_ENGLISH_PATTERNS]
