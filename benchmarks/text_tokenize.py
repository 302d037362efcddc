"""Benchmark: basic_english tokenization + vocab lookup over ~20 MB of generated English-like text.

Compares ``tensorlib.text``'s basic_english (exact same tokens, fewer passes plus a per-word cache) with
torchtext's pure-Python way: ``re.sub`` for each of the 12 rules in turn, then ``split()``. Both sides
look tokens up in the same vocabulary. Prints MB/s for each and the speed-up; checks the ids are identical.

Run: ``python benchmarks/text_tokenize.py [--mb 20]``
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import time
from typing import List

from tensorlib.text import build_vocab_from_iterator, get_tokenizer
from tensorlib.text.tokenizers import BASIC_ENGLISH_PATTERNS

TORCHTEXT_RULES = [(re.compile(pattern), replacement) for pattern, replacement in BASIC_ENGLISH_PATTERNS]


def torchtext_basic_english(line: str) -> List[str]:
    """torchtext.data.utils._basic_english_normalize: lower(), each rule via re.sub in order, split()."""
    line = line.lower()
    for pattern, replacement in TORCHTEXT_RULES:
        line = pattern.sub(replacement, line)
    return line.split()


def generate_lines(megabytes: float, seed: int = 0) -> List[str]:
    """Review-like lines: Zipf-distributed words from a 30k-word lexicon, capitals, punctuation, quotes,
    contractions, numbers, parentheses, ``<br />`` and some non-ASCII words."""
    rng = random.Random(seed)
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    lexicon = ["".join(rng.choices(letters, weights, k=rng.randint(1, 10))) for _ in range(30_000)]
    lexicon[:8] = ["the", "a", "and", "of", "to", "is", "it", "movie"]
    lexicon += ["café", "naïve", "Zürich", "東京"]
    zipf = [1.0 / (rank + 1) for rank in range(len(lexicon))]
    decorations = [("", ""), ("", ","), ("", "."), ("", "!"), ("", "?"), ('"', '"'), ("(", ")"), ("", "'s"),
                   ("", ";"), ("", ":"), ("", "n't"), ("", "...")]
    deco_weights = [60, 8, 6, 2, 2, 2, 1, 3, 1, 1, 2, 1]
    lines, size, target = [], 0, int(megabytes * 1_000_000)
    while size < target:
        n = rng.randint(20, 120)
        words = rng.choices(lexicon, zipf, k=n)
        decos = rng.choices(decorations, deco_weights, k=n)
        parts = [f"{pre}{w}{post}" for w, (pre, post) in zip(words, decos)]
        parts[0] = parts[0].capitalize()
        if rng.random() < 0.3:
            parts.insert(rng.randrange(len(parts)), "<br /><br />")
        if rng.random() < 0.2:
            parts.append(f"{rng.randint(1, 10)}/10")
        line = " ".join(parts)
        lines.append(line)
        size += len(line)
    return lines


def run(tokenize, lookup, lines: List[str]) -> tuple:
    """Time ``lookup(tokenize(line))`` over all lines; return (seconds, outputs).

    The garbage collector is paused while timing (as ``timeit`` does): both sides allocate millions of
    small lists that would otherwise trigger collections of the growing result list.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        ids = [lookup(tokenize(line)) for line in lines]
        return time.perf_counter() - start, ids
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="megabytes of text to generate")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side (best is reported)")
    args = parser.parse_args()

    lines = generate_lines(args.mb)
    megabytes = sum(len(line.encode("utf-8")) for line in lines) / 1e6
    ours = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator((ours(line) for line in lines[:20_000]), specials=["<unk>"],
                                      max_tokens=20_000)
    vocab.set_default_index(vocab["<unk>"])
    stoi, unk = vocab.get_stoi(), vocab["<unk>"]

    def plain_lookup(tokens):
        return [stoi.get(token, unk) for token in tokens]

    identity = lambda tokens: tokens  # noqa: E731 - tokenization only
    configs = {"ref_tok": (torchtext_basic_english, identity), "ours_tok": (ours, identity),
               "ref_all": (torchtext_basic_english, plain_lookup), "ours_all": (ours, vocab.lookup_indices)}
    best = dict.fromkeys(configs, float("inf"))
    outputs = {}
    for _ in range(args.repeats):  # interleaved so load from other processes hits every side alike
        for name, (tokenize, lookup) in configs.items():
            elapsed, outputs[name] = run(tokenize, lookup, lines)
            best[name] = min(best[name], elapsed)
    ref_tok, ours_tok, ref_all, ours_all = (best[name] for name in configs)
    tokens_ref, tokens_ours, ids_ref, ids_ours = (outputs[name] for name in configs)
    if tokens_ours != tokens_ref or ids_ours != ids_ref:
        raise SystemExit("MISMATCH: tensorlib basic_english differs from the re-based rules")

    num_tokens = sum(map(len, ids_ours))
    print(f"text: {megabytes:.1f} MB, {len(lines)} lines, {num_tokens} tokens, vocab {len(vocab)}")
    print(f"{'':44s}{'re rule by rule':>16s}{'tensorlib':>12s}{'speed-up':>10s}")
    print(f"{'tokenize only (MB/s)':44s}{megabytes / ref_tok:16.1f}{megabytes / ours_tok:12.1f}"
          f"{ref_tok / ours_tok:9.2f}x")
    print(f"{'tokenize + vocab lookup (MB/s)':44s}{megabytes / ref_all:16.1f}{megabytes / ours_all:12.1f}"
          f"{ref_all / ours_all:9.2f}x")
    print("(reference lookup: [stoi.get(t, unk) for t in tokens]; ours: Vocab.lookup_indices; "
          "tokens and ids identical)")

if __name__ == "__main__":
    main()
