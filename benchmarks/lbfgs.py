"""optim.LBFGS against torch.optim.LBFGS: a softmax regression fitted with the strong-Wolfe line search.

Both libraries run the same problem (N samples of D features, C classes, float32) for ``--steps`` calls of
``step(closure)`` with ``max_iter=20``; the figure is the best of ``--repeats`` interleaved wall times and the ratio
tensorlib / PyTorch. Usage: ``python benchmarks/lbfgs.py [--samples N] [--features D] [--steps S]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tensorlib as tl


def fit(lib, x_np: np.ndarray, y_np: np.ndarray, classes: int, steps: int) -> tuple[float, float]:
    """Seconds for ``steps`` LBFGS steps and the final loss."""
    x, y = lib.from_numpy(x_np), lib.from_numpy(y_np)
    model = lib.nn.Linear(x_np.shape[1], classes)
    with lib.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    optimizer = lib.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss

    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step(closure)
    elapsed = time.perf_counter() - start
    return elapsed, float(closure().detach())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--features", type=int, default=256)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, args.features)).astype(np.float32)
    y = (x @ rng.normal(size=(args.features, args.classes))).argmax(1).astype(np.int64)
    import torch

    ours, theirs = [], []
    for _ in range(args.repeats):  # interleaved, so load from other jobs hits both alike
        ours.append(fit(tl, x, y, args.classes, args.steps))
        theirs.append(fit(torch, x, y, args.classes, args.steps))
    best_ours, best_theirs = min(t for t, _ in ours), min(t for t, _ in theirs)
    print(f"LBFGS softmax regression {args.samples}x{args.features} -> {args.classes}, {args.steps} steps")
    print(f"  tensorlib : {best_ours:.3f} s  (final loss {ours[0][1]:.6f})")
    print(f"  PyTorch   : {best_theirs:.3f} s  (final loss {theirs[0][1]:.6f})")
    print(f"  ratio     : {best_ours / best_theirs:.2f}x")


if __name__ == "__main__":
    main()
