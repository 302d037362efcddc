"""Composable text transforms (``tensorlib.text.transforms``), ``nn.Module`` subclasses like torchtext's."""

from __future__ import annotations

import os
from typing import Any, Callable, List, Sequence

import tensorlib as tl

from . import functional as F
from ._module import Module
from .tokenizers import RegexTokenizer, get_tokenizer
from .vocab import Vocab

__all__ = ["Sequential", "Tokenize", "VocabTransform", "Truncate", "AddToken", "ToTensor", "PadTransform",
           "LabelToIndex", "StrToIntTransform", "RegexTokenizer"]


class Sequential(Module):
    """Apply transforms in order: ``Sequential(t1, t2)(x) == t2(t1(x))``."""

    def __init__(self, *transforms: Callable) -> None:
        super().__init__()
        for index, transform in enumerate(transforms):
            if isinstance(transform, Module):
                self.add_module(str(index), transform)
        self._transforms = list(transforms)

    def __len__(self) -> int:
        return len(self._transforms)

    def __getitem__(self, index: int) -> Callable:
        return self._transforms[index]

    def forward(self, input: Any) -> Any:
        for transform in self._transforms:
            input = transform(input)
        return input


class Tokenize(Module):
    """Wrap a tokenizer (any ``str -> list[str]`` callable, or a name accepted by ``get_tokenizer`` such
    as ``"basic_english"``): a str gives a token list, a list of str a list of token lists."""

    def __init__(self, tokenizer: Callable[[str], List[str]] | str) -> None:
        super().__init__()
        if isinstance(tokenizer, str):
            tokenizer = get_tokenizer(tokenizer)
        if not callable(tokenizer):
            raise TypeError(f"Tokenize expects a callable tokenizer, got {type(tokenizer).__name__}")
        self.tokenizer = tokenizer

    def forward(self, input: Any) -> Any:
        if isinstance(input, str):
            return self.tokenizer(input)
        if isinstance(input, list):
            return [self.tokenizer(text) for text in input]
        raise TypeError(f"Tokenize expects a str or a list of str, got {type(input).__name__}")


class VocabTransform(Module):
    """Map tokens (list of str, or a batch of them) to indices with a :class:`Vocab`."""

    def __init__(self, vocab: Vocab) -> None:
        super().__init__()
        self.vocab = vocab

    def forward(self, input: Any) -> Any:
        if not isinstance(input, list):
            raise TypeError(f"Input type not supported: VocabTransform expects a list of str or a list of "
                            f"lists of str, got {type(input).__name__}")
        if input and isinstance(input[0], list):
            return [self.vocab.lookup_indices(tokens) for tokens in input]
        return self.vocab.lookup_indices(input)


class Truncate(Module):
    """Keep at most ``max_seq_len`` items per sequence."""

    def __init__(self, max_seq_len: int) -> None:
        super().__init__()
        self.max_seq_len = max_seq_len

    def forward(self, input: Any) -> Any:
        return F.truncate(input, self.max_seq_len)


class AddToken(Module):
    """Add ``token`` (an id or a str) at the beginning (``begin=True``) or end of each sequence."""

    def __init__(self, token: Any, begin: bool = True) -> None:
        super().__init__()
        self.token = token
        self.begin = begin

    def forward(self, input: Any) -> Any:
        return F.add_token(input, self.token, self.begin)


class ToTensor(Module):
    """Turn ids (list, or batch of lists padded with ``padding_value``) into a tensor; see
    :func:`tensorlib.text.functional.to_tensor`."""

    def __init__(self, padding_value: int | None = None, dtype: tl.dtype = tl.int64) -> None:
        super().__init__()
        self.padding_value = padding_value
        self.dtype = dtype

    def forward(self, input: Any) -> tl.Tensor:
        return F.to_tensor(input, padding_value=self.padding_value, dtype=self.dtype)


class PadTransform(Module):
    """Right-pad the last dimension of a tensor to ``max_length`` with ``pad_value`` (longer inputs are
    returned unchanged). Shape ``(..., L) -> (..., max(L, max_length))``."""

    def __init__(self, max_length: int, pad_value: int) -> None:
        super().__init__()
        self.max_length = max_length
        self.pad_value = pad_value

    def forward(self, x: tl.Tensor) -> tl.Tensor:
        length = x.size(-1)
        if length >= self.max_length:
            return x
        padding = tl.full((*x.shape[:-1], self.max_length - length), self.pad_value, dtype=x.dtype)
        return tl.cat([x, padding], dim=-1)


class LabelToIndex(Module):
    """Map label strings to indices, from ``label_names`` or a file with one label per line."""

    def __init__(self, label_names: Sequence[str] | None = None,
                 label_path: str | os.PathLike | None = None, sort_names: bool = False) -> None:
        super().__init__()
        if not label_names and not label_path:
            raise AssertionError("label_names or label_path is required")
        if label_names and label_path:
            raise AssertionError("label_names and label_path are mutually exclusive")
        if label_path:
            with open(label_path, encoding="utf-8") as handle:
                label_names = [line.strip() for line in handle if line.strip()]
        names = sorted(label_names) if sort_names else list(label_names)
        self._label_vocab = Vocab(names)
        self._label_names = self._label_vocab.get_itos()

    @property
    def label_names(self) -> List[str]:
        return self._label_names

    def forward(self, input: Any) -> Any:
        if isinstance(input, str):
            return self._label_vocab[input]
        if isinstance(input, list):
            return self._label_vocab.lookup_indices(input)
        raise TypeError(f"Input type not supported: LabelToIndex expects a str or a list of str, "
                        f"got {type(input).__name__}")


class StrToIntTransform(Module):
    """Convert numeric strings (a list or a batch of lists) to ints."""

    def forward(self, input: Any) -> Any:
        return F.str_to_int(input)
