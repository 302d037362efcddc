"""DataLoader surgery the Trainer needs: rebuild one with another sampler (overfit_batches, DistributedSampler)."""

from __future__ import annotations

from typing import Any

from tensorlib.data import DataLoader


def rebuild_loader(loader: DataLoader, sampler: Any) -> DataLoader:
    """A DataLoader like ``loader`` (batch size, workers, collate, seeding ...) that draws from ``sampler``."""
    return DataLoader(loader.dataset, batch_size=loader.batch_size, shuffle=None, sampler=sampler,
                      num_workers=loader.num_workers, collate_fn=loader.collate_fn, pin_memory=loader.pin_memory,
                      drop_last=loader.drop_last, timeout=loader.timeout, worker_init_fn=loader.worker_init_fn,
                      multiprocessing_context=loader.multiprocessing_context, generator=loader.generator,
                      prefetch_factor=loader.prefetch_factor, persistent_workers=loader.persistent_workers)


def is_shuffled(loader: Any) -> bool:
    from tensorlib.data import RandomSampler

    return isinstance(getattr(loader, "sampler", None), RandomSampler)


def loader_generators(loader: Any) -> list:
    """The user-given generators that drive ``loader``'s randomness (its own and its sampler's)."""
    found = []
    for owner in (loader, getattr(loader, "sampler", None)):
        generator = getattr(owner, "generator", None)
        if generator is not None and hasattr(generator, "get_state") and all(generator is not g for g in found):
            found.append(generator)
    return found


def batch_size_of(batch: Any) -> int:
    """The leading dimension of the first tensor in ``batch`` (1 when there is none), as Lightning infers it."""
    stack = [batch]
    while stack:
        item = stack.pop(0)
        shape = getattr(item, "shape", None)
        if shape is not None:
            return int(shape[0]) if len(shape) else 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            if item and isinstance(item[0], str):
                return len(item)
            stack.extend(item)
    return 1
