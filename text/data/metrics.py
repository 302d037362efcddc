"""``tensorlib.text.data.metrics``: torchtext's corpus-level ``bleu_score``."""

from __future__ import annotations

import math
from collections import Counter
from typing import Iterable, Sequence

import tensorlib as tl

from ..ngrams import ngrams_iterator

__all__ = ["bleu_score"]


def _ngram_counts(tokens: Sequence[str], max_n: int) -> Counter:
    """Counts of every 1..max_n-gram of ``tokens``, keyed by token tuples."""
    return Counter(tuple(gram.split(" ")) for gram in ngrams_iterator(tokens, max_n))


def bleu_score(candidate_corpus: Sequence[Sequence[str]], references_corpus: Sequence[Sequence[Sequence[str]]],
               max_n: int = 4, weights: Iterable[float] = (0.25, 0.25, 0.25, 0.25)) -> float:
    """Corpus BLEU (Papineni et al. 2002) of tokenised candidates against lists of tokenised references.

    Clipped n-gram precisions for n = 1..``max_n`` are combined as ``exp(sum(w_n log p_n))`` and scaled by the
    brevity penalty (reference length: per candidate, the reference closest in length). 0.0 when some order
    has no match, as torchtext.
    """
    weights = list(weights)
    assert max_n == len(weights), 'Length of the "weights" list has be equal to max_n'
    assert len(candidate_corpus) == len(references_corpus), \
        "The length of candidate and reference corpus should be the same"
    clipped = [0] * max_n
    totals = [0] * max_n
    candidate_len = refs_len = 0.0
    for candidate, refs in zip(candidate_corpus, references_corpus):
        candidate_len += len(candidate)
        refs_len += min((float(len(ref)) for ref in refs), key=lambda length: abs(len(candidate) - length))
        reference_counts = Counter()
        for ref in refs:
            reference_counts |= _ngram_counts(ref, max_n)
        candidate_counts = _ngram_counts(candidate, max_n)
        for gram, count in (candidate_counts & reference_counts).items():
            clipped[len(gram) - 1] += count
        for gram, count in candidate_counts.items():
            totals[len(gram) - 1] += count
    if min(clipped) == 0:
        return 0.0
    # float32 like torchtext's tensors
    precisions = tl.tensor(clipped, dtype=tl.float32) / tl.tensor(totals, dtype=tl.float32)
    score = tl.exp((tl.tensor(weights, dtype=tl.float32) * tl.log(precisions)).sum()).item()
    return math.exp(min(1 - refs_len / candidate_len, 0)) * score
