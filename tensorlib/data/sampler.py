"""Samplers: the order in which a DataLoader visits dataset indices (``torch.utils.data.sampler``).

Random samplers draw from a :class:`tensorlib.Generator`; without one, :class:`RandomSampler` and
:class:`SubsetRandomSampler` derive a fresh one per epoch from the global generator (so ``tl.manual_seed``
makes them reproducible) and :class:`WeightedRandomSampler` draws from the global generator directly.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator, Sequence, Sized

import numpy as np

import tensorlib as tl


def _fresh_generator() -> Any:
    """A new generator seeded by one draw from the global one (PyTorch's default for samplers)."""
    seed = int(tl.random.default_generator.np_rng.integers(0, 2**63 - 1))
    generator = tl.Generator()
    generator.manual_seed(seed)
    return generator


def _check_positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class Sampler:
    """Base class: subclasses implement ``__iter__`` over indices (and ``__len__`` when it is known)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices, or ``num_samples`` draws with replacement.

    Without replacement and ``num_samples > len(data_source)``, whole permutations are concatenated (then a
    partial one), as PyTorch does.
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator: Any | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = _fresh_generator() if self.generator is None else self.generator
        if self.replacement:
            yield from tl.randint(0, n, (self.num_samples,), generator=generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from tl.randperm(n, generator=generator).tolist()
        yield from tl.randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a fresh permutation each epoch)."""

    def __init__(self, indices: Sequence[int], generator: Any | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        generator = _fresh_generator() if self.generator is None else self.generator
        for i in tl.randperm(len(self.indices), generator=generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (need not sum to 1)."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any | None = None) -> None:
        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        if isinstance(weights, tl.Tensor):
            weights = weights.numpy()
        weights_array = np.asarray(weights, dtype=np.float64)
        if weights_array.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_array.shape)}")
        self.weights = tl.as_tensor(weights_array)
        self._weights = weights_array
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _probabilities(self) -> np.ndarray:
        weights = self._weights
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        total = weights.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > len(weights):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        return weights / total

    def __iter__(self) -> Iterator[int]:
        probabilities = self._probabilities()
        rng = (tl.random.default_generator if self.generator is None else self.generator).np_rng
        nonzero = np.count_nonzero(probabilities)
        if self.replacement or self.num_samples <= nonzero:
            draws = rng.choice(len(probabilities), size=self.num_samples, replace=self.replacement, p=probabilities)
            return iter(draws.tolist())
        # more draws than non-zero weights without replacement: as torch.multinomial, every index with a
        # weight comes first (in weighted random order), then zero-weight indices fill the rest
        weighted = rng.choice(len(probabilities), size=nonzero, replace=False, p=probabilities)
        zeros = rng.permutation(np.flatnonzero(probabilities == 0))[: self.num_samples - nonzero]
        return iter(np.concatenate([weighted, zeros]).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        indices = iter(self.sampler)
        batch = list(itertools.islice(indices, self.batch_size))
        while len(batch) == self.batch_size:
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class _InfiniteConstantSampler(Sampler):
    """Yields ``None`` forever: the 'index' stream for an IterableDataset (the dataset decides the end)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None
