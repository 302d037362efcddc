"""Timed SGD training steps of a classifier on fixed batches (shared by the training benchmarks)."""

from __future__ import annotations

import time

import numpy as np


def random_image_batches(fw, batch: int, image_shape: tuple, count: int = 4, seed: int = 0) -> list:
    """``count`` fixed ``(images, labels)`` batches of standard-normal images and labels in ``range(10)``."""
    rng = np.random.default_rng(seed)
    return [(fw.from_numpy(rng.standard_normal((batch,) + tuple(image_shape), dtype=np.float32)),
             fw.from_numpy(rng.integers(0, 10, batch).astype(np.int64))) for _ in range(count)]


class ClassifierSteps:
    """``model`` (tensorlib or torch, as ``fw``) trained with SGD(lr=0.01, momentum=0.9) and cross-entropy on
    ``batches`` in turn: ``step()`` runs one step and returns its loss, ``run(steps)`` the seconds ``steps`` took."""

    def __init__(self, fw, model, batches: list) -> None:
        self.model, self.batches, self.done = model, batches, 0
        self.optimizer = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        self.criterion = fw.nn.CrossEntropyLoss()

    def step(self) -> float:
        inputs, labels = self.batches[self.done % len(self.batches)]
        self.done += 1
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(inputs), labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - start


def timed_steps(fw, model, batch: int, image_shape: tuple, steps: int, warmup: int = 3):
    """Train ``model`` on four fixed random batches of ``batch`` images (``ClassifierSteps``): ``warmup``
    untimed steps, then ``steps`` timed ones.

    Returns ``(first loss, last loss, step times in seconds)``."""
    stepper = ClassifierSteps(fw, model, random_image_batches(fw, batch, image_shape))
    first = loss = stepper.step()
    for _ in range(1, warmup):
        stepper.step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = stepper.step()
        times.append(time.perf_counter() - start)
    return first, loss, times
