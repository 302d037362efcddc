"""Checks on real child processes for tests of workers (DataLoader workers, runtime worker processes)."""

from __future__ import annotations

import time


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie whose parent has not reaped it yet counts as ended). Linux (/proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(condition, seconds: float = 10.0) -> bool:
    """Poll ``condition()`` until it holds or ``seconds`` have passed; its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
