"""Datasets: the map-style and iterable protocols, and the standard wrappers around them.

Mirrors ``torch.utils.data.dataset``: a map-style dataset implements ``__getitem__(index)`` and ``__len__``;
an iterable dataset implements ``__iter__``. ``dataset_a + dataset_b`` concatenates (map-style) or chains
(iterable).
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from typing import Any, Iterable, Iterator, Sequence, Union

import tensorlib as tl


class Dataset:
    """A map-style dataset: ``dataset[i]`` returns sample ``i`` for ``0 <= i < len(dataset)``.

    Subclasses implement ``__getitem__`` and usually ``__len__`` (samplers and ``len(loader)`` need it).
    They may also implement ``__getitems__(indices) -> list`` to load a whole batch at once; the DataLoader
    then calls it instead of ``__getitem__`` once per index.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset, so without care
    each sample arrives ``num_workers`` times. Either shard inside ``__iter__`` with
    :func:`tensorlib.data.get_worker_info`::

        def __iter__(self):
            info = tensorlib.data.get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return itertools.islice(self.stream(), start, None, step)

    or set the class attribute ``shard_by_default = True``: the DataLoader then gives worker ``w`` of ``n``
    the items ``w, w + n, w + 2n, ...`` of the dataset's iterator (the dataset itself stays unaware).
    """

    shard_by_default: bool = False

    def __iter__(self) -> Iterator:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are slices of tensors along their first dimension: ``dataset[i] == (t[i] for t in tensors)``.

    Every tensor must have the same size in dim 0 (the number of samples).
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [int(t.shape[0]) for t in tensors]
        if any(size != sizes[0] for size in sizes):
            raise AssertionError(f"Size mismatch between tensors: dim 0 sizes are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class StackDataset(Dataset):
    """Zips datasets of equal length: ``StackDataset(a, b)[i] == (a[i], b[i])``; with keyword arguments
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        datasets = list(args) if args else list(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        lengths = [len(d) for d in datasets]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(f"Size mismatch between datasets: lengths are {lengths}")
        self._length = lengths[0]
        self.datasets = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets; indices run through them in order (negative ones count
    from the end)."""

    datasets: list
    cumulative_sizes: list

    @staticmethod
    def cumsum(sequence: Iterable[Dataset]) -> list:
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for position, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise AssertionError(f"ConcatDataset does not support IterableDataset (datasets[{position}] "
                                     f"is {type(dataset).__name__}); use ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        length = len(self)
        if idx < 0:
            if -idx > length:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = length + idx
        if idx >= length:
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length {length}")
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """Iterates several iterable datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset, got "
                                     f"{type(dataset).__name__}")
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset, got "
                                     f"{type(dataset).__name__}")
            total += len(dataset)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(d, idx)[i] == d[idx[i]]``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        # Forward batched loading when the wrapped dataset supports it.
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list:
    """Whole lengths summing to ``total``: floor of each share, the remainder handed out round-robin."""
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(int(math.floor(total * frac)))
    remainder = total - sum(lengths)
    for i in range(remainder):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[Union[int, float]],
                 generator: Any | None = None) -> list:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s.

    ``lengths`` are either sample counts summing to ``len(dataset)`` or fractions summing to 1 (each
    ``floor(frac * len)``, the remainder distributed one by one from the first split). The permutation is
    drawn from ``generator`` (default: the global generator), so a seeded generator gives the same split.
    """
    if generator is None:
        generator = tl.random.default_generator
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, total)
    if sum(lengths) != total:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {list(lengths)} sum to {sum(lengths)}, dataset has {total} samples)")
    indices = tl.randperm(sum(lengths), generator=generator).tolist()
    splits = []
    for offset, length in zip(itertools.accumulate(lengths), lengths):
        splits.append(Subset(dataset, indices[offset - length: offset]))
    return splits
