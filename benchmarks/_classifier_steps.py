"""Timed SGD training steps of an image classifier on random batches (shared by the CNN benchmarks)."""

from __future__ import annotations

import time

import numpy as np


def timed_steps(fw, model, batch: int, image_shape: tuple, steps: int, warmup: int = 3):
    """Train ``model`` (tensorlib or torch, as ``fw``) with SGD(lr=0.01, momentum=0.9) and cross-entropy on four
    fixed random batches of ``batch`` images: ``warmup`` untimed steps, then ``steps`` timed ones.

    Returns ``(first loss, last loss, step times in seconds)``."""
    optimizer = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = fw.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    batches = [(fw.from_numpy(rng.standard_normal((batch,) + tuple(image_shape), dtype=np.float32)),
                fw.from_numpy(rng.integers(0, 10, batch).astype(np.int64))) for _ in range(4)]

    def step(i: int) -> float:
        images, labels = batches[i % len(batches)]
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    first = loss = step(0)
    for i in range(1, warmup):
        step(i)
    times = []
    for i in range(steps):
        start = time.perf_counter()
        loss = step(i)
        times.append(time.perf_counter() - start)
    return first, loss, times
