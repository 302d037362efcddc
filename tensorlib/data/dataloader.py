"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

Randomness (the difference from PyTorch worth knowing): each ``iter(loader)`` draws a ``base_seed`` from
``generator`` (or from the global generator when it is None). Before batch ``k`` is loaded - in the main
process or in any worker - tensorlib's global RNG, Python's ``random`` and NumPy's global RNG are seeded from
``(base_seed, k)``. So random transforms give **the same batches for any ``num_workers``**, different
batches and epochs get different randomness, and ``tl.manual_seed(s)`` makes a run repeat. With
``num_workers=0`` the three RNGs are restored after each batch, so data loading does not disturb the RNG
stream of the training loop. ``get_worker_info().seed`` is ``base_seed + worker_id`` as in PyTorch, and the
RNGs are seeded with it before ``worker_init_fn(worker_id)`` runs. Iterable datasets are seeded once per
worker per epoch with ``base_seed + worker_id`` (and not at all with ``num_workers=0``).
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from typing import Any, Callable, Iterable

from ._fetch import _IterableFetcher, _MapFetcher
from ._multiprocess_iter import _MultiProcessingDataLoaderIter
from ._seeding import BatchRngs, draw_base_seed
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _InfiniteConstantSampler

_FROZEN_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def _resolve_context(context: Any, num_workers: int) -> Any:
    """The multiprocessing context for workers: 'fork' where available (Linux), else the platform default."""
    if context is None:
        fork_available = "fork" in multiprocessing.get_all_start_methods()
        return multiprocessing.get_context("fork" if fork_available else None)
    if num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading "
                         f"(num_workers > 0), but got num_workers={num_workers}")
    if isinstance(context, str):
        valid = multiprocessing.get_all_start_methods()
        if context not in valid:
            raise ValueError("multiprocessing_context option should specify a valid start method in "
                             f"{valid!r}, but got multiprocessing_context={context!r}")
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError("multiprocessing_context option should be a valid context object or a string "
                        f"specifying the start method, but got multiprocessing_context={context}")
    return context


class _SingleProcessDataLoaderIter:
    """Loads each batch in the main process when it is asked for."""

    def __init__(self, loader: DataLoader) -> None:
        self._is_iterable = loader._is_iterable
        self._base_seed = draw_base_seed(loader.generator)
        self._sampler_iter = iter(loader._index_sampler)
        self._batch_index = 0
        self._rngs = BatchRngs()
        self._loader_len = loader.__len__
        if self._is_iterable:
            self._fetcher = _IterableFetcher(iter(loader.dataset), loader._auto_collation, loader.collate_fn,
                                             loader.drop_last)
        else:
            self._fetcher = _MapFetcher(loader.dataset, loader._auto_collation, loader.collate_fn,
                                        loader.drop_last)

    def __iter__(self) -> _SingleProcessDataLoaderIter:
        return self

    def __len__(self) -> int:
        return self._loader_len()

    def __next__(self) -> Any:
        index = next(self._sampler_iter)
        if self._is_iterable:
            return self._fetcher.fetch(index)
        self._rngs.enter(self._base_seed, self._batch_index)
        try:
            data = self._fetcher.fetch(index)
        finally:
            self._rngs.exit()
        self._batch_index += 1
        return data


class DataLoader:
    """Iterate over ``dataset`` in batches, optionally shuffled, optionally loaded by worker processes.

    Arguments and defaults are PyTorch's (``torch.utils.data.DataLoader``). Workers are real processes
    (``fork`` on Linux unless ``multiprocessing_context`` says 'spawn'/'forkserver'); batches come out in
    sampler order for any ``num_workers``; a worker's exception re-raises here with its traceback text; a
    worker that dies raises ``RuntimeError`` instead of hanging. ``pin_memory`` is accepted and ignored
    (CPU only). See the module docstring for how randomness is seeded.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable | None = None, batch_sampler: Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             f"multiprocessing (got num_workers={num_workers})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative (got timeout={timeout})")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. let "
                             "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                             "None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor option should be a positive integer, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        is_iterable = isinstance(dataset, IterableDataset)
        if is_iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, but "
                                 f"got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option, but "
                                 f"got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None:
            if is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self._context = _resolve_context(multiprocessing_context, num_workers)
        self.multiprocessing_context = multiprocessing_context
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._is_iterable = is_iterable
        self._iterator = None
        self._check_worker_number()
        self.__initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_DataLoader__initialized") and name in _FROZEN_AFTER_INIT:
            raise ValueError(f"{name} attribute should not be set after {self.__class__.__name__} is "
                             "initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Sampler:
        return self.batch_sampler if self._auto_collation else self.sampler

    def _check_worker_number(self) -> None:
        cpus = os.cpu_count() or 1
        if self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. "
                          f"Our suggested max number of worker in current system is {cpus}, which is smaller "
                          "than what this DataLoader is going to create. Please be aware that excessive "
                          "worker creation might get DataLoader running slow or even freeze, lower the "
                          "worker number to avoid potential slowness/freeze if necessary.")

    def _get_iterator(self) -> Any:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self) -> Any:
        """A new pass over the data; with ``persistent_workers`` the same worker processes are reused."""
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        """Number of batches per epoch (for an IterableDataset: from ``len(dataset)`` and ``batch_size``)."""
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        return len(self._index_sampler)
