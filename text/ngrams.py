"""``ngrams_iterator``: a token list followed by its n-grams, as torchtext.data.utils.ngrams_iterator."""

from __future__ import annotations

from typing import Iterator, Sequence


def ngrams_iterator(token_list: Sequence[str], ngrams: int) -> Iterator[str]:
    """Yield every token of ``token_list``, then every 2-gram, ..., ``ngrams``-gram joined by a space.

    >>> list(ngrams_iterator(['here', 'we', 'are'], 2))
    ['here', 'we', 'are', 'here we', 'we are']
    """

    def _get_ngrams(n: int):
        return zip(*[token_list[i:] for i in range(n)])

    yield from token_list
    for n in range(2, ngrams + 1):
        for gram in _get_ngrams(n):
            yield " ".join(gram)
