"""``DistributedSampler``: each of ``num_replicas`` processes loads its own share of the dataset per epoch.

PyTorch's rules: the index list (shuffled with seed ``seed + epoch`` when ``shuffle``) is padded by repeating
its start until it divides evenly (or truncated with ``drop_last``); rank r takes every ``num_replicas``-th
index starting at r.
"""

from __future__ import annotations

import math
from typing import Iterator, Optional, Sized

import tensorlib as tl

from .sampler import Sampler


def _default_replicas_and_rank(num_replicas: Optional[int], rank: Optional[int]) -> tuple[int, int]:
    if num_replicas is None or rank is None:
        from tensorlib import distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            raise RuntimeError("Requires distributed package to be available (pass num_replicas and rank, or "
                               "call tensorlib.distributed.init_process_group() first)")
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
    return num_replicas, rank


class DistributedSampler(Sampler):
    """Indices of ``dataset`` for replica ``rank`` of ``num_replicas`` (defaults: the initialised group)."""

    def __init__(self, dataset: Sized, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        num_replicas, rank = _default_replicas_and_rank(num_replicas, rank)
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            generator = tl.Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = tl.randperm(len(self.dataset), generator=generator).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for ``epoch`` (call before each epoch; every replica must use the same epoch)."""
        self.epoch = epoch
