"""Shared pieces of the example scripts: progress bars, evaluation, pickle-free checkpoints, clean errors."""

from __future__ import annotations

import os
import sys
import time

import tensorlib as tl


def progress(iterable, description: str, total: int | None = None, enabled: bool = True):
    """A tqdm bar on a terminal; a quiet pass-through otherwise (logs stay readable)."""
    if not enabled or not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, leave=False, dynamic_ncols=True)


def evaluate(model, loader) -> tuple[float, list, list]:
    """Accuracy of ``model`` on ``loader``; also returns all predictions and targets."""
    model.eval()
    correct, total, predictions, targets = 0, 0, [], []
    with tl.no_grad():
        for images, labels in loader:
            outputs = model(images)
            _, predicted = tl.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            predictions += predicted.tolist()
            targets += labels.tolist()
    model.train()
    return correct / max(total, 1), predictions, targets


def save_checkpoint(path: str, **state) -> None:
    """Write a pickle-free checkpoint (tensorlib.save writes atomically)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tl.save(state, path)


def fail(message: str) -> None:
    """Exit with one clear line instead of a traceback."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
