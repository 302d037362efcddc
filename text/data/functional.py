"""``tensorlib.text.data.functional``: torchtext.data.functional's dataset and iterator helpers.

The SentencePiece helpers (``generate_sp_model``, ``load_sp_model``, ``sentencepiece_*``) and
``filter_wikipedia_xml`` are not provided; ``tensorlib.text.BPETokenizer`` is the subword tokenizer here.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Iterator, List, Sequence, Tuple

from tensorlib.data import Dataset

__all__ = ["to_map_style_dataset", "custom_replace", "simple_space_split", "numericalize_tokens_from_iterator"]


class _MapStyleDataset(Dataset):
    """The items of an iterable, materialised once: ``len()`` and indexing as a map-style dataset."""

    def __init__(self, iter_data: Iterable[Any]) -> None:
        self._data = list(iter_data)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


def to_map_style_dataset(iter_data: Iterable[Any]) -> Dataset:
    """Turn an iterable-style dataset (or any iterable) into a map-style dataset, as torchtext.

    A map-style dataset (e.g. ``AG_NEWS(split="train")`` here) is returned as it is.
    """
    if isinstance(iter_data, Dataset) and hasattr(iter_data, "__len__"):
        return iter_data
    return _MapStyleDataset(iter_data)


def custom_replace(replace_pattern: Sequence[Tuple[str, str]]) -> Callable[[Iterable[str]], Iterator[str]]:
    """A transform applying each ``(regex, replacement)`` pair in order to every line of an iterator."""
    compiled = [(re.compile(pattern), replacement) for pattern, replacement in replace_pattern]

    def _apply(txt_iter: Iterable[str]) -> Iterator[str]:
        for line in txt_iter:
            for pattern, replacement in compiled:
                line = pattern.sub(replacement, line)
            yield line

    return _apply


def simple_space_split(iterator: Iterable[str]) -> Iterator[List[str]]:
    """Yield ``line.split()`` for each line."""
    for line in iterator:
        yield line.split()


def numericalize_tokens_from_iterator(vocab: Any, iterator: Iterable[Iterable[str]],
                                      removed_tokens: Sequence[str] | None = None) -> Iterator[Iterator[int]]:
    """For each token list yield an iterator of its ids (``vocab[token]``), skipping ``removed_tokens``."""
    removed = set(removed_tokens or ())
    for tokens in iterator:
        yield iter([vocab[token] for token in tokens if token not in removed])
