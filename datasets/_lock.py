"""An inter-process lock file so two processes fetching the same file don't interleave writes.

Uses ``fcntl.flock`` where available (released by the OS if the holder dies); elsewhere falls back to an
``O_CREAT | O_EXCL`` lock file.
"""

from __future__ import annotations

import os
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class FileLock:
    """Context manager holding an exclusive lock on ``path`` (a ``.lock`` file beside the guarded file).

    ``timeout`` seconds to wait (None: forever); raises ``TimeoutError`` naming the lock file when exceeded.
    """

    def __init__(self, path: str, timeout: float | None = None, poll_interval: float = 0.05) -> None:
        self.path = path
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._fd: int | None = None

    def acquire(self) -> None:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while not self._try_acquire():
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"could not acquire lock {self.path!r} within {self.timeout} s; "
                                   "another process may be downloading the same file")
            time.sleep(self.poll_interval)

    def release(self) -> None:
        if self._fd is None:
            return
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        else:  # pragma: no cover - Windows
            os.close(self._fd)
            _remove_quietly(self.path)
        self._fd = None

    def _try_acquire(self) -> bool:
        if fcntl is not None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._fd = fd
            return True
        try:  # pragma: no cover - Windows
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # pragma: no cover
            return False
        return True  # pragma: no cover

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _remove_quietly(path: str) -> None:  # pragma: no cover - Windows
    try:
        os.remove(path)
    except OSError:
        pass
