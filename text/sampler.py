"""``BucketBatchSampler``: batches of indices whose sequences have similar lengths (less padding)."""

from __future__ import annotations

from typing import Iterator, List, Sequence

import numpy as np

import tensorlib as tl

__all__ = ["BucketBatchSampler"]


class BucketBatchSampler:
    """Yield lists of dataset indices grouping similar ``lengths``; use as ``DataLoader(batch_sampler=...)``.

    Each epoch the indices are (optionally) shuffled, cut into buckets of ``batch_size *
    bucket_size_multiplier`` indices, each bucket is sorted by length and cut into batches, and the
    batch order is shuffled. ``shuffle=False`` gives a deterministic length-sorted order. Randomness
    comes from ``generator`` (a ``tl.Generator``) or the global default generator.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, bucket_size_multiplier: int = 100,
                 shuffle: bool = True, drop_last: bool = False, generator: tl.Generator | None = None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(bucket_size_multiplier, int) or bucket_size_multiplier <= 0:
            raise ValueError("bucket_size_multiplier should be a positive integer value, but got "
                             f"bucket_size_multiplier={bucket_size_multiplier}")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if self.lengths.ndim != 1:
            raise ValueError(f"lengths must be a 1-D sequence of ints, got shape {self.lengths.shape}")
        self.batch_size = batch_size
        self.bucket_size_multiplier = bucket_size_multiplier
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator

    def __len__(self) -> int:
        n = len(self.lengths)
        if self.drop_last:
            # Full batches per bucket; buckets are full except possibly the last one.
            bucket = self.batch_size * self.bucket_size_multiplier
            full_buckets, rest = divmod(n, bucket)
            return full_buckets * self.bucket_size_multiplier + rest // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[List[int]]:
        rng = (self.generator or tl.random.default_generator).np_rng if self.shuffle else None
        order = rng.permutation(len(self.lengths)) if rng is not None else np.arange(len(self.lengths))
        bucket_size = self.batch_size * self.bucket_size_multiplier
        batches: List[np.ndarray] = []
        for start in range(0, len(order), bucket_size):
            bucket = order[start:start + bucket_size]
            bucket = bucket[np.argsort(self.lengths[bucket], kind="stable")]
            for offset in range(0, len(bucket), self.batch_size):
                batch = bucket[offset:offset + self.batch_size]
                if len(batch) == self.batch_size or not self.drop_last:
                    batches.append(batch)
        if rng is not None:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        for batch in batches:
            yield batch.tolist()
