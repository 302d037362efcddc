"""Each library's side of a side-by-side benchmark in its own process, still timed round by round in turn.

Two libraries timed in one process disturb each other: after every threaded product NumPy's OpenBLAS keeps its
idle threads spinning (about 0.1 s by default) and PyTorch's OpenMP threads spin after each parallel op, each
stealing a core from the other library's next op (measured on this 2-core VM: PyTorch's LSTM step ran at half
speed beside tensorlib). ``Isolated`` starts one worker process per side (``spawn``: nothing inherited from the
parent's imports or threads) that builds the side with ``factory(*args)`` (a module-level function returning an
object with ``run(steps) -> seconds`` and an optional ``info``); the parent then asks the sides for rounds in
alternation (after a pause that lets the other side's threads go idle), so background load still hits
both alike.
"""

from __future__ import annotations

import multiprocessing
import time

# pause between one side's round and the other's: the threads the last round used (OpenBLAS's, OpenMP's) spin
# for up to about 0.1 s after their last op and would steal a core from the next round, even across processes
SETTLE_SECONDS = 0.3


def _serve(connection, factory, args) -> None:
    side = factory(*args)
    connection.send(getattr(side, "info", None))
    while True:
        steps = connection.recv()
        if steps is None:
            return
        connection.send(side.run(steps))


class Isolated:
    """A benchmark side living in its own process: ``run(steps)`` times ``steps`` steps there."""

    def __init__(self, factory, *args) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, factory, args), daemon=True)
        self._process.start()
        child.close()  # the child's end lives in the child only: if it dies, recv() sees EOF instead of hanging
        self.info = self._receive()

    def _receive(self):
        try:
            return self._connection.recv()
        except EOFError:
            self._process.join(5)
            raise RuntimeError(f"benchmark side process died (exit code {self._process.exitcode}); its "
                               "traceback is above") from None

    def run(self, steps: int) -> float:
        self._connection.send(steps)
        return self._receive()

    def close(self) -> None:
        self._connection.send(None)
        self._process.join(30)


def alternate(sides: dict, steps: int, rounds: int) -> dict:
    """Best seconds of ``rounds`` alternating rounds of ``steps`` steps per side; the sides are closed after."""
    best = {key: float("inf") for key in sides}
    try:
        for _ in range(rounds):
            for key, side in sides.items():
                time.sleep(SETTLE_SECONDS)
                best[key] = min(best[key], side.run(steps))
    finally:
        for side in sides.values():
            side.close()
    return best
