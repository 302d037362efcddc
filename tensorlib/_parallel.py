"""Intra-op parallelism: a kernel's independent chunks spread over ``get_num_threads()`` threads.

NumPy releases the GIL inside copies, ufunc loops and BLAS calls, so chunks that each copy their own windows and
multiply them (a convolution's batch chunks) run on all cores at once, copies included; a BLAS-threaded GEMM
alone leaves those copies on one core. Inside a parallel region the BLAS runs one thread per call (every chunk's
GEMM is already one of several running at once), so the threads never oversubscribe the cores; its count is
restored afterwards. Callers make chunk boundaries independent of the thread count and give every chunk its own
output, so results are bit-identical for any thread count (OpenBLAS never splits a product's summed dimension).

The workers are plain threads handed work through a pair of locks each (a hand-off costs tens of microseconds
on a VM, half of what a ``concurrent.futures`` round trip costs), started on first use and after a fork.
"""

from __future__ import annotations

import _thread
import os
import threading
from typing import Callable, List, Optional

from . import _threads


class _Worker:
    """A daemon thread running one task at a time: ``start(task)`` then ``join()`` (re-raises its exception)."""

    def __init__(self) -> None:
        self._go = _thread.allocate_lock()
        self._go.acquire()
        self._done = _thread.allocate_lock()
        self._done.acquire()
        self._task: Optional[Callable[[], None]] = None
        self._error: Optional[BaseException] = None
        threading.Thread(target=self._loop, name="tensorlib-intraop", daemon=True).start()

    def _loop(self) -> None:
        while True:
            self._go.acquire()
            try:
                self._task()
            except BaseException as exc:  # handed to the caller by join()
                self._error = exc
            finally:
                self._task = None
                self._done.release()

    def start(self, task: Callable[[], None]) -> None:
        self._task = task
        self._go.release()

    def join(self) -> Optional[BaseException]:
        self._done.acquire()
        error, self._error = self._error, None
        return error


_region_lock = threading.Lock()  # one parallel region at a time: the BLAS thread count is process-wide
_workers: List[_Worker] = []


def _forget_workers_in_child() -> None:
    # a forked child (e.g. a DataLoader worker) inherits the worker objects but none of their threads
    _workers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers_in_child)


def parallel_for(count: int, body: Callable[[int], None], serial: bool = False) -> None:
    """Call ``body(i)`` for every ``i`` in ``range(count)``, a contiguous block of indices per thread.

    Runs serially (in order, BLAS untouched) when ``serial`` (work too small to pay for the hand-offs), with one
    thread, one index, or inside another parallel region.
    The first exception raised by a block is re-raised after every block has finished (they write into
    shared outputs, so none may still be running when the caller sees the error).
    """
    threads = min(count, _threads.get_num_threads()) if count > 1 and not serial else 1
    if threads <= 1 or not _region_lock.acquire(blocking=False):
        for i in range(count):
            body(i)
        return
    try:
        if not _workers:
            _threads.shorten_blas_idle_spin()  # BLAS's idle threads would compete with ours for the cores
        while len(_workers) < threads - 1:
            _workers.append(_Worker())
        bounds = [count * t // threads for t in range(threads + 1)]

        def block(t: int) -> Callable[[], None]:
            def run() -> None:
                for i in range(bounds[t], bounds[t + 1]):
                    body(i)
            return run

        blas_threads = _threads.blas_set_quick(1)
        try:
            for t in range(1, threads):
                _workers[t - 1].start(block(t))
            error = None
            try:
                block(0)()
            except BaseException as exc:
                error = exc
            for t in range(1, threads):
                worker_error = _workers[t - 1].join()
                error = error or worker_error
            if error is not None:
                raise error
        finally:
            _threads.blas_set_quick(blas_threads)
    finally:
        _region_lock.release()


# memory-bound kernels (ReLU, hardtanh, max pooling, batch norm) touching this many bytes split their work in two,
# one part per thread; below it the hand-offs cost more than the second core gives (1 MB: 10% - 15% slower)
HALVES_MIN_BYTES = 2 << 20


def worth_halves(n: int, nbytes: int) -> bool:
    """Whether work of ``nbytes`` over a leading axis of ``n`` is split in two (``in_halves``)."""
    return n >= 2 and nbytes >= HALVES_MIN_BYTES


def in_halves(n: int, part: Callable[[int, int], None], nbytes: Optional[int] = None) -> None:
    """``part(lo, hi)`` for the two halves of ``range(n)``, one per thread (``parallel_for``); with ``nbytes``,
    ``part(0, n)`` alone unless ``worth_halves``.

    For memory-bound kernels: each NumPy call in a parallel region hands the GIL back, and a hand-off to a
    sleeping thread costs tens of microseconds on a VM, so one or two long calls per thread beat many short
    ones. The halves depend on the sizes only, so elementwise work gives the same bits for any thread count."""
    if nbytes is not None and not worth_halves(n, nbytes):
        part(0, n)
        return
    bounds = (0, n // 2, n)
    parallel_for(2, lambda k: part(bounds[k], bounds[k + 1]))
