"""The DataLoader iterator that loads batches in worker processes and yields them in sampler order."""

from __future__ import annotations

import glob
import itertools
import os
import pickle
import queue
import secrets
import time
import weakref
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ._exceptions import ExceptionWrapper
from ._seeding import draw_base_seed
from ._shm import ShmReader, shm_prefix, unlink_quietly
from ._worker import worker_loop

_POLL_INTERVAL = 0.1  # seconds between liveness checks of the workers while waiting for a batch
_JOIN_TIMEOUT = 2.0  # seconds the workers get to exit on their own at shutdown before being terminated


def _describe(obj: Any) -> str:
    """A function's name, or the class name of any other object."""
    return getattr(obj, "__name__", None) or type(obj).__name__


def _pickle_for_workers(objects: dict, start_method: str) -> tuple:
    """Pickle what the workers need once, up front, naming the culprit if something can't be pickled."""
    blobs = []
    for role, obj in objects.items():
        try:
            blobs.append(bytes(ForkingPickler.dumps(obj, pickle.HIGHEST_PROTOCOL)))
        except Exception as err:
            raise pickle.PicklingError(
                f"{role} {_describe(obj)} can't be pickled for multiprocessing_context={start_method!r}: "
                "define it at module level, or use the 'fork' context "
                f"({type(err).__name__}: {err})") from err
    return tuple(blobs)


def _send_to_worker(index_queue: Any, message: Any) -> None:
    """Send ``message`` down a worker's index pipe, ignoring a closed or broken pipe.

    A worker that died is reported by the liveness check while waiting for its batch. Messages are small
    (the pipe holds 64 KiB), so this only waits for the worker if a batch has thousands of indices, and then
    until the worker has finished its current batch.
    """
    try:
        index_queue.send(message)
    except (OSError, ValueError):
        pass


class _WorkerGroup:
    """The worker processes and their queues, shut down exactly once.

    Kept apart from the iterator so that a ``weakref.finalize`` on the iterator can hold it strongly: if the
    iterator dies in a reference cycle, the garbage collector may run the queues' own finalizers (which stop
    their feeder threads) before any ``__del__``, and a shutdown message put after that is never delivered.
    """

    def __init__(self, context: Any) -> None:
        self.shm_prefix = shm_prefix(secrets.token_hex(6))
        self.shm_reader = ShmReader()
        self.result_queue = context.Queue()
        self.index_queues: list = []  # main's sending ends of the workers' index pipes
        self.workers: list = []
        self.closed = False

    def shutdown(self, graceful: bool = True) -> None:
        """Ask every worker to exit, join them briefly, terminate stragglers and close the queues.

        ``graceful=False`` (after a timeout or a dead worker) terminates at once instead of waiting.
        """
        if self.closed:
            return
        self.closed = True
        if graceful:
            for index_queue in self.index_queues:
                _send_to_worker(index_queue, None)
            deadline = time.monotonic() + _JOIN_TIMEOUT
            for worker in self.workers:
                worker.join(max(0.0, deadline - time.monotonic()))
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()
                worker.join(1.0)
        for index_queue in self.index_queues:
            index_queue.close()
        self.result_queue.cancel_join_thread()
        self.result_queue.close()
        self.shm_reader.close()
        if self.shm_prefix is not None:  # slot files a worker created that the main process never mapped
            for path in glob.glob(glob.escape(self.shm_prefix) + "*"):
                unlink_quietly(path)


class _MultiProcessingDataLoaderIter:
    """Sends index batches to ``num_workers`` processes round-robin and reorders their results.

    At most ``prefetch_factor * num_workers`` batches are in flight or buffered at any time. Results carry
    their send index; ``__next__`` returns them strictly in send (= sampler) order.
    """

    def __init__(self, loader: Any) -> None:
        self._is_iterable = loader._is_iterable
        self._num_workers = loader.num_workers
        self._max_outstanding = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._loader_ref = weakref.ref(loader)  # no strong reference: a persistent loader owns us
        context = loader._context
        start_method = context.get_start_method()
        pickled = None
        if start_method != "fork":
            pickled = _pickle_for_workers({"dataset": loader.dataset, "collate_fn": loader.collate_fn,
                                           "worker_init_fn": loader.worker_init_fn}, start_method)
        self._group = _WorkerGroup(context)
        self._finalizer = weakref.finalize(self, self._group.shutdown)
        self._result_queue = self._group.result_queue
        self._index_queues = self._group.index_queues
        self._workers = self._group.workers
        self._shm_reader = self._group.shm_reader
        self._freed_slots = [[] for _ in range(self._num_workers)]  # read slots, returned with the next task
        shipped = (None, None, None) if pickled is not None else (
            loader.dataset, loader.collate_fn, loader.worker_init_fn)
        for worker_id in range(self._num_workers):
            # a pipe written directly by this thread: a Queue's feeder thread costs a GIL hand-off per batch
            index_reader, index_queue = context.Pipe(duplex=False)
            worker = context.Process(
                target=worker_loop,
                args=(self._is_iterable, shipped[0], index_reader, self._result_queue, loader._auto_collation,
                      shipped[1], loader.drop_last, worker_id, self._num_workers, shipped[2], os.getpid(),
                      pickled, self._group.shm_prefix),
                daemon=True)
            worker.start()
            index_reader.close()  # only the worker reads: sending to a dead worker then fails fast
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._epoch = -1
        self._reset(loader)

    def _reset(self, loader: Any) -> None:
        """Start a new epoch: fresh base seed and sampler pass; results of older epochs are dropped."""
        self._epoch += 1
        self._base_seed = draw_base_seed(loader.generator)
        self._sampler_iter = iter(loader._index_sampler)
        self._send_idx = self._rcvd_idx = 0
        self._task_worker = {}
        self._buffer = {}
        self._worker_active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._sampler_exhausted = False
        for index_queue in self._index_queues:
            _send_to_worker(index_queue, ("epoch", self._epoch, self._base_seed))
        for _ in range(self._max_outstanding):
            self._try_put_index()

    def __iter__(self) -> _MultiProcessingDataLoaderIter:
        return self

    def __len__(self) -> int:
        loader = self._loader_ref()
        if loader is None:
            raise TypeError("the DataLoader of this iterator no longer exists")
        return len(loader)

    def _next_worker(self) -> int | None:
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._worker_active[worker_id]:
                return worker_id
        return None

    def _try_put_index(self) -> None:
        if self._sampler_exhausted or len(self._task_worker) >= self._max_outstanding:
            return
        worker_id = self._next_worker()
        if worker_id is None:
            self._sampler_exhausted = True
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            self._sampler_exhausted = True
            return
        freed, self._freed_slots[worker_id] = self._freed_slots[worker_id], []
        _send_to_worker(self._index_queues[worker_id], ("task", self._epoch, self._send_idx, index, freed))
        self._task_worker[self._send_idx] = worker_id
        self._send_idx += 1

    def __next__(self) -> Any:
        if self._shutdown:
            raise StopIteration
        try:
            return self._next_data()
        except KeyboardInterrupt:
            self._shutdown_workers(graceful=False)  # the user wants out now, not after the current batch
            raise

    def _next_data(self) -> Any:
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            if not self._task_worker:  # nothing in flight or buffered
                self._try_put_index()
                if not self._task_worker:
                    if not self._persistent:
                        self._shutdown_workers()
                    raise StopIteration
            ready = self._next_ready()
            if ready is None:
                self._receive(deadline)
                continue
            kind, payload = self._buffer.pop(ready)
            worker_id = self._task_worker.pop(ready)
            if kind == "end":
                self._worker_active[worker_id] = False
                continue
            self._try_put_index()
            if kind == "error":
                payload.reraise()
            return payload

    def _next_ready(self) -> int | None:
        """The send index of the batch to return now: strictly the next in sampler order when ``in_order``,
        else whichever has arrived (the earliest of them); None while it has not arrived."""
        if self._in_order:
            while self._rcvd_idx not in self._task_worker and self._rcvd_idx < self._send_idx:
                self._rcvd_idx += 1
            return self._rcvd_idx if self._rcvd_idx in self._buffer else None
        return min(self._buffer) if self._buffer else None

    def _receive(self, deadline: float | None) -> None:
        """Wait for one result of the current epoch and buffer it; fail on dead workers or timeout."""
        while True:
            try:
                epoch, send_idx, worker_id, blob = self._result_queue.get(timeout=_POLL_INTERVAL)
            except queue.Empty:
                self._check_workers_alive()
                if deadline is not None and time.monotonic() >= deadline:
                    self._shutdown_workers(graceful=False)
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                continue
            current = epoch == self._epoch
            try:
                if current:
                    self._buffer[send_idx] = self._shm_reader.loads(worker_id, blob)
                else:  # a batch of an abandoned epoch: only its slot matters
                    self._shm_reader.attach(worker_id, blob)
            except Exception:
                if current:
                    self._buffer[send_idx] = ("error", ExceptionWrapper(where="while unpickling a worker's batch"))
            if isinstance(blob, tuple):
                self._freed_slots[worker_id].append(blob[1])
            if current:
                return

    def _check_workers_alive(self) -> None:
        dead = [worker for worker in self._workers if not worker.is_alive()]
        if dead:
            pids = ", ".join(str(worker.pid) for worker in dead)
            codes = ", ".join(str(worker.exitcode) for worker in dead)
            self._shutdown_workers(graceful=False)
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                               f"(exit code(s) {codes})")

    @property
    def _shutdown(self) -> bool:
        return self._group.closed

    def _shutdown_workers(self, graceful: bool = True) -> None:
        self._group.shutdown(graceful)
