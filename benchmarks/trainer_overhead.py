"""Benchmark: the Trainer's overhead over a hand-written loop, one epoch of the MNIST MLP (784-256-128-10).

Same model, same batches (one DataLoader over MNIST-sized random data, batch 128, unshuffled), SGD(lr=0.01,
momentum=0.9) and cross-entropy on both sides. The loop and ``Trainer.fit`` alternate for ``--repeats``
rounds (interleaved, so machine load hits both alike); the median epoch time of each is reported with the
ratio of the medians and the median of the per-round ratios (target: <= 1.05). Three Trainer set-ups are timed:

* ``bare``: logger, checkpointing, progress bar and summary off (the loop's own work only);
* ``log``: as bare, plus ``self.log("train_loss", loss, on_epoch=True)`` every step;
* ``defaults``: ``Trainer()``'s defaults (CSV/TensorBoard logger, a checkpoint per epoch, the progress bar
  printing one line per epoch when stdout is not a terminal) plus the logging.

Run: ``python benchmarks/trainer_overhead.py [--samples 30000] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time

import numpy as np

import tensorlib as tl
import tensorlib.lightning as L
from tensorlib import nn
from tensorlib.data import DataLoader, TensorDataset
from tensorlib.nn import functional as F

BATCH = 128


def make_mlp() -> nn.Module:
    tl.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


class LitMLP(L.LightningModule):
    def __init__(self, log: bool) -> None:
        super().__init__()
        self.net = make_mlp()
        self.log_loss = log

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self.net(x), y)
        if self.log_loss:
            self.log("train_loss", loss, on_epoch=True)
        return loss

    def configure_optimizers(self):
        return tl.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)


def hand_loop(loader: DataLoader) -> float:
    model = make_mlp()
    optimizer = tl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    model.train()
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def trainer_epoch(loader: DataLoader, setup: str, root: str) -> float:
    model = LitMLP(log=setup != "bare")
    if setup == "defaults":
        trainer = L.Trainer(max_epochs=1, default_root_dir=root, enable_model_summary=False)
    else:
        trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, num_sanity_val_steps=0)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        trainer.fit(model, loader)
    elapsed = time.perf_counter() - start
    assert trainer.global_step == len(loader)
    return elapsed


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=30000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    images = rng.standard_normal((args.samples, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, args.samples)
    loader = DataLoader(TensorDataset(tl.from_numpy(images), tl.from_numpy(labels)), batch_size=BATCH)
    setups = ("bare", "log", "defaults")
    times: dict = {"loop": [], **{setup: [] for setup in setups}}
    with tempfile.TemporaryDirectory() as root:
        hand_loop(loader)  # warm-up (first-touch allocations, imports)
        trainer_epoch(loader, "defaults", root)
        for _ in range(args.repeats):
            for name in ("loop",) + setups:
                times[name].append(hand_loop(loader) if name == "loop" else trainer_epoch(loader, name, root))
    loop = statistics.median(times["loop"])
    print(f"{args.samples} samples, batch {BATCH}, {len(loader)} steps; median of {args.repeats} interleaved rounds")
    print(f"{'set-up':<18}{'s/epoch':>10}{'ratio':>10}   (range)")
    print(f"{'hand loop':<18}{loop:>10.3f}{'':>10}   {min(times['loop']):.3f} - {max(times['loop']):.3f}")
    ratios = {}
    for setup in setups:
        median = statistics.median(times[setup])
        paired = sorted(t / l for t, l in zip(times[setup], times["loop"]))
        ratios[setup] = statistics.median(paired)
        print(f"{'Trainer ' + setup:<18}{median:>10.3f}{median / loop:>10.3f}   per-round ratios "
              f"{paired[0]:.3f} - {paired[-1]:.3f}, median {ratios[setup]:.3f}")
    return ratios


if __name__ == "__main__":
    main()
