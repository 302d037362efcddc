"""Benchmark: one epoch (60k samples) of MLP 784-256-128-10 training, tensorlib vs PyTorch CPU, same run.

Random MNIST-sized batches of 128 (float32 inputs, int64 labels), SGD(lr=0.01, momentum=0.9) and
CrossEntropyLoss on both sides; PyTorch uses 2 threads (torch.set_num_threads(2)). Prints seconds per epoch for
each (best of ``--repeats`` alternating epochs, each library in its own process: see ``_isolated.py``) and
the ratio tensorlib / PyTorch (target: <= 1.0).

Run: ``python benchmarks/mlp_training.py [--samples 60000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np
from _isolated import Isolated, alternate

import tensorlib as tl
import tensorlib.nn as nn

BATCH = 128


def make_batches(samples: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    count = samples // BATCH
    images = rng.standard_normal((count, BATCH, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=(count, BATCH), dtype=np.int64)
    return images, labels


def build_tensorlib():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return model, _tensorlib_optimizer(model), _tensorlib_loss()


def build_torch(torch):
    """The same MLP, optimizer and loss in PyTorch."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), torch.nn.CrossEntropyLoss()


def _tensorlib_optimizer(model):
    try:
        from tensorlib.optim import SGD
    except ImportError:  # optim not available: plain momentum update
        return None
    return SGD(model.parameters(), lr=0.01, momentum=0.9)


def _tensorlib_loss():
    loss_cls = getattr(nn, "CrossEntropyLoss", None)
    if loss_cls is not None:
        return loss_cls()
    return lambda logits, target: -tl.log_softmax(logits, 1).gather(1, target[:, None]).mean()


def epoch_tensorlib(model, optimizer, loss_fn, images, labels) -> float:
    model.train()
    loss = None
    for x_np, y_np in zip(images, labels):
        x, y = tl.from_numpy(x_np), tl.from_numpy(y_np)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return float(loss.item())


def epoch_torch(torch, model, optimizer, loss_fn, images, labels) -> float:
    model.train()
    loss = None
    for x_np, y_np in zip(images, labels):
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return float(loss.item())


class _Side:
    """One library's model, optimizer and data, built in its own process (see ``_isolated``)."""

    def __init__(self, library: str, samples: int) -> None:
        self.images, self.labels = make_batches(samples)
        self.loss = None
        if library == "tensorlib":
            model, optimizer, loss_fn = build_tensorlib()
            self._epoch = lambda: epoch_tensorlib(model, optimizer, loss_fn, self.images, self.labels)
            return
        import torch

        torch.set_num_threads(2)
        tmodel, toptim, tloss = build_torch(torch)
        self._epoch = lambda: epoch_torch(torch, tmodel, toptim, tloss, self.images, self.labels)

    def run(self, epochs: int) -> float:
        start = time.perf_counter()
        for _ in range(epochs):
            self.loss = self._epoch()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    libraries = ["tensorlib"]
    if importlib.util.find_spec("torch") is not None:
        libraries.append("pytorch")
    else:
        print("PyTorch not installed: no comparison")
    # each library in its own process, epochs alternating so a burst of machine load hits both; best epoch kept
    sides = {name: Isolated(_Side, name, args.samples) for name in libraries}
    best = alternate(sides, 1, args.repeats)
    print(f"{'library':<12}{'s / epoch':>12}{'samples/s':>14}")
    for name, elapsed in best.items():
        print(f"{name:<12}{elapsed:>12.3f}{args.samples / elapsed:>14,.0f}")
    if "pytorch" in best:
        print(f"ratio tensorlib / pytorch: {best['tensorlib'] / best['pytorch']:.2f}x")


if __name__ == "__main__":
    main()
