"""Hessian-vector product of the MNIST MLP's loss, tensorlib vs PyTorch CPU in the same run.

    python benchmarks/hvp.py [--batch 256] [--repeats 20]

The loss is the mean cross-entropy of the 784-256-128-10 ReLU MLP (the one of mlp_training.py) on one batch of
MNIST-shaped random data, as a function of the six parameter tensors; ``autograd.functional.hvp`` with a random
direction ``v`` (one backward with create_graph=True, then the backward of ``<grad, v>``). Prints seconds per
hvp (best of ``--repeats``, libraries alternated) and the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tensorlib as tl
import tensorlib.nn.functional as F
from tensorlib.autograd.functional import hvp

SIZES = [(256, 784), (128, 256), (10, 128)]


def make_problem(batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = []
    for out_features, in_features in SIZES:
        bound = 1 / np.sqrt(in_features)
        params += [rng.uniform(-bound, bound, (out_features, in_features)).astype(np.float32),
                   rng.uniform(-bound, bound, out_features).astype(np.float32)]
    images = rng.standard_normal((batch, 784)).astype(np.float32)
    labels = rng.integers(0, 10, batch)
    direction = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    return params, images, labels, direction


def mlp_loss(functional, x, y):
    def loss(w1, b1, w2, b2, w3, b3):
        hidden = functional.relu(functional.linear(x, w1, b1))
        hidden = functional.relu(functional.linear(hidden, w2, b2))
        return functional.cross_entropy(functional.linear(hidden, w3, b3), y)

    return loss


def best_time(run, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    params, images, labels, direction = make_problem(args.batch)
    ours = (tuple(tl.from_numpy(p) for p in params), tuple(tl.from_numpy(d) for d in direction))
    loss = mlp_loss(F, tl.from_numpy(images), tl.from_numpy(labels))
    runners = {"tensorlib": lambda: hvp(loss, ours[0], ours[1])}
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch not installed: no comparison")
    if torch is not None:
        torch.set_num_threads(2)
        theirs = (tuple(torch.from_numpy(p) for p in params), tuple(torch.from_numpy(d) for d in direction))
        tloss = mlp_loss(torch.nn.functional, torch.from_numpy(images), torch.from_numpy(labels))
        runners["pytorch"] = lambda: torch.autograd.functional.hvp(tloss, theirs[0], theirs[1])
        ours_hvp = runners["tensorlib"]()[1]
        theirs_hvp = runners["pytorch"]()[1]
        worst = max(float(np.abs(a.numpy() - b.numpy()).max() / (np.abs(b.numpy()).max() + 1e-12))
                    for a, b in zip(ours_hvp, theirs_hvp))
        print(f"max relative difference of the hvp vs PyTorch: {worst:.2e}")
    best = {name: float("inf") for name in runners}
    for _ in range(args.repeats):  # alternate so a burst of machine load hits both
        for name, run in runners.items():
            best[name] = min(best[name], best_time(run, 1))
    print(f"{'library':<12}{'ms / hvp':>12}")
    for name, seconds in best.items():
        print(f"{name:<12}{seconds * 1e3:>12.2f}")
    if "pytorch" in best:
        print(f"ratio tensorlib / pytorch: {best['tensorlib'] / best['pytorch']:.2f}x")


if __name__ == "__main__":
    main()
