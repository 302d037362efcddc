"""The DataLoader worker process: its loop, ``WorkerInfo`` and ``get_worker_info``.

Protocol:

* main -> worker, on the worker's own one-way index pipe: ``("epoch", epoch, base_seed)`` at the start of
  each epoch, ``("task", epoch, send_idx, indices, freed_slots)`` per batch, ``None`` to exit;
* worker -> main, on the shared result queue: ``(epoch, send_idx, worker_id, blob)`` where ``blob`` pickles
  ``("data", batch)``, ``("error", ExceptionWrapper)`` or ``("end", None)`` (iterable dataset exhausted).

The worker pickles results itself so an unpicklable batch becomes a reported error rather than a message
lost in the queue's feeder thread (which would hang the main process).

Large batches travel through shared memory (see :mod:`._shm`): the arrays of a batch are copied into one of
the worker's reusable slots and only a small header goes through the queue; ``freed_slots`` hands slots back.
"""

from __future__ import annotations

import itertools
import os
import pickle
import signal
import warnings
from typing import Any, Callable

from .._threads import set_num_threads
from ._exceptions import ExceptionWrapper
from ._fetch import _IterableFetcher, _MapFetcher
from ._seeding import batch_seeds, seed_all
from ._shm import ShmWriter

_PARENT_CHECK_INTERVAL = 0.5  # seconds between checks that the main process is still alive

_worker_info: WorkerInfo | None = None
_worker_info_queried = False


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and its copy of ``dataset``.

    ``seed`` is ``base_seed + id`` (``base_seed`` drawn per epoch in the main process), as in PyTorch.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_keys", tuple(kwargs))

    def __setattr__(self, key: str, value: Any) -> None:
        raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={getattr(self, key)}" for key in self._keys)
        return f"{self.__class__.__name__}({fields})"


def get_worker_info() -> WorkerInfo | None:
    """The current worker's :class:`WorkerInfo` inside a DataLoader worker process, ``None`` in the main one.

    Use it in ``IterableDataset.__iter__`` or ``worker_init_fn`` to give each worker its own share of
    the data (see :class:`tensorlib.data.IterableDataset`).
    """
    global _worker_info_queried
    _worker_info_queried = True
    return _worker_info


def _serialise(kind: str, payload: Any, where: str, writer: ShmWriter | None = None) -> bytes | tuple:
    try:
        if writer is not None:
            return writer.dumps((kind, payload))
        return pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        wrapper = ExceptionWrapper(where=where)
        try:
            return pickle.dumps(("error", wrapper), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # the exception type itself is unpicklable (e.g. defined in a function)
            wrapper.exc_type = RuntimeError
            return pickle.dumps(("error", wrapper), protocol=pickle.HIGHEST_PROTOCOL)


def _make_fetcher(is_iterable: bool, dataset: Any, auto_collation: bool, collate_fn: Callable,
                  drop_last: bool, worker_id: int, num_workers: int) -> Any:
    if not is_iterable:
        return _MapFetcher(dataset, auto_collation, collate_fn, drop_last)
    dataset_iter = iter(dataset)
    if getattr(dataset, "shard_by_default", False):
        dataset_iter = itertools.islice(dataset_iter, worker_id, None, num_workers)
    return _IterableFetcher(dataset_iter, auto_collation, collate_fn, drop_last)


def _warn_if_duplicated(is_iterable: bool, dataset: Any, worker_id: int, num_workers: int) -> None:
    if (is_iterable and num_workers > 1 and worker_id == 0 and not _worker_info_queried
            and not getattr(dataset, "shard_by_default", False)):
        warnings.warn(f"{type(dataset).__name__} is an IterableDataset iterated by {num_workers} DataLoader "
                      "workers without calling tensorlib.data.get_worker_info(): every worker yields the "
                      "whole stream, so samples are duplicated. Shard in __iter__ with get_worker_info() or "
                      "set the class attribute shard_by_default = True.", stacklevel=1)


def _close(writer: ShmWriter | None) -> None:
    """Unmap our slots and unlink the slot files the main process has not taken over."""
    if writer is not None:
        writer.close()


def worker_loop(is_iterable: bool, dataset: Any, index_queue: Any, result_queue: Any, auto_collation: bool,
                collate_fn: Callable, drop_last: bool, worker_id: int, num_workers: int,
                worker_init_fn: Callable | None, parent_pid: int, pickled: tuple | None,
                shm_path_prefix: str | None = None) -> None:
    """Serve batch requests until ``None`` arrives or the main process disappears.

    ``shm_path_prefix`` (from :func:`._shm.shm_prefix`) sends large batches through shared memory slots.
    """
    global _worker_info, _worker_info_queried
    _worker_info_queried = False  # a forked worker inherits the parent's flag
    set_num_threads(1)  # as PyTorch: N workers with a BLAS pool each would oversubscribe; worker_init_fn may raise it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the main process, which stops us
    result_queue.cancel_join_thread()  # exiting must not wait for results nobody will read
    where = f"in DataLoader worker process {worker_id}"
    init_error = fetcher = None
    base_seed = 0
    initialised = warned = False
    writer = ShmWriter(shm_path_prefix, worker_id) if shm_path_prefix is not None else None
    if pickled is not None:
        try:
            dataset, collate_fn, worker_init_fn = (pickle.loads(blob) for blob in pickled)
        except Exception:
            init_error = ExceptionWrapper(where=where)
    while True:
        try:
            if not index_queue.poll(_PARENT_CHECK_INTERVAL):
                if os.getppid() != parent_pid:
                    return _close(writer)  # a killed main process can't unlink our slot files any more
                continue
            message = index_queue.recv()
        except (EOFError, OSError):  # the main process closed the pipe
            return _close(writer)
        if message is None:
            return _close(writer)
        if message[0] == "epoch":
            _, _, base_seed = message
            _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=base_seed + worker_id,
                                      dataset=dataset)
            seed_all(base_seed + worker_id)
            if init_error is None:
                try:
                    if not initialised and worker_init_fn is not None:
                        worker_init_fn(worker_id)
                    initialised = True
                    fetcher = _make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last,
                                            worker_id, num_workers)
                except Exception:
                    init_error = ExceptionWrapper(where=where)
            continue
        _, epoch, send_idx, indices, freed_slots = message
        if writer is not None:
            writer.release(freed_slots)
        if init_error is not None:
            result_queue.put((epoch, send_idx, worker_id, _serialise("error", init_error, where)))
            continue
        try:
            if not is_iterable:
                seed_all(*batch_seeds(base_seed, send_idx))
            blob = _serialise("data", fetcher.fetch(indices), where, writer)
        except StopIteration:
            blob = _serialise("end", None, where)
        except Exception:
            blob = _serialise("error", ExceptionWrapper(where=where), where)
        if not warned:
            warned = True
            _warn_if_duplicated(is_iterable, dataset, worker_id, num_workers)
        result_queue.put((epoch, send_idx, worker_id, blob))
