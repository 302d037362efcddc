"""``Work``: the handle of a started collective; waiting polls MPI with a deadline instead of blocking forever."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Callable, Optional, Sequence

# Test() in a tight loop for this long (low latency for short collectives), then back off to sleeps so a
# waiting rank leaves the CPU to the others (ranks often outnumber cores)
_SPIN_SECONDS = 0.002
_MAX_SLEEP = 0.002


class Work:
    """A started collective (``async_op=True``). ``wait()`` finishes it; the result is then in the tensors."""

    def __init__(self, requests: Sequence, rank: int, what: str, timeout: timedelta,
                 on_complete: Optional[Callable[[], None]] = None):
        self._requests = list(requests)
        self._rank = rank
        self._what = what
        self._timeout = timeout
        self._on_complete = on_complete
        self._done = False

    def is_completed(self) -> bool:
        """True once the collective has finished (this also lets MPI make progress on it)."""
        if not self._done and all(request.Test() for request in self._requests):
            self._finish()
        return self._done

    def wait(self, timeout: Optional[timedelta] = None) -> bool:
        """Block until done; RuntimeError naming this rank and the collective when ``timeout`` passes first."""
        if self._done:
            return True
        limit = (timeout or self._timeout).total_seconds()
        start = time.monotonic()
        deadline = start + limit
        sleep = 0.00005
        while not all(request.Test() for request in self._requests):
            now = time.monotonic()
            if now > deadline:
                raise RuntimeError(f"rank {self._rank}: {self._what} timed out after {limit:g} s waiting for "
                                   "the other ranks (a rank may have died or be stuck, or ranks called "
                                   "collectives in a different order)")
            if now - start > _SPIN_SECONDS:
                time.sleep(sleep)
                sleep = min(sleep * 2, _MAX_SLEEP)
        self._finish()
        return True

    def _finish(self) -> None:
        self._done = True
        if self._on_complete is not None:
            self._on_complete()
            self._on_complete = None

    def result(self) -> list:
        return []

    def exception(self):
        return None
