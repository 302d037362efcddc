"""Per-op latency of small tensors, tensorlib vs PyTorch CPU in the same run.

    python benchmarks/op_overhead.py

Measures: one 8x8 float32 add/mul/matmul/exp/sum; a chain of 100 elementwise ops on 8x8 tensors with
requires_grad plus backward; the same chain under no_grad. Prints microseconds and the ratio to PyTorch.
"""

from __future__ import annotations

import timeit

import numpy as np

import tensorlib as tl

try:
    import torch

    torch.set_num_threads(2)
except ImportError:  # the reference is optional
    torch = None


def _chain(x, w):
    y = x
    for _ in range(25):
        y = (y * w + 0.5).tanh() - y * 0.1
    return y


def _cases(lib, x, w):
    def chain_backward():
        _chain(x, w).sum().backward()

    def chain_no_grad():
        with lib.no_grad():
            _chain(x, w)

    return {
        "add 8x8": lambda: x + w,
        "mul 8x8": lambda: x * w,
        "matmul 8x8": lambda: x @ w,
        "exp 8x8": lambda: x.exp(),
        "sum 8x8": lambda: x.sum(),
        "100-op chain + backward": chain_backward,
        "100-op chain, no_grad": chain_no_grad,
    }


def _time(fn, repeat: int = 5) -> float:
    number = 200
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    data = np.random.default_rng(0).standard_normal((2, 8, 8)).astype(np.float32)
    ours = _cases(tl, tl.tensor(data[0], requires_grad=True), tl.tensor(data[1], requires_grad=True))
    theirs = None
    if torch is not None:
        theirs = _cases(torch, torch.tensor(data[0], requires_grad=True), torch.tensor(data[1], requires_grad=True))
    print(f"{'case':28s} {'tensorlib us':>14s} {'torch us':>10s} {'ratio':>7s}")
    for name, fn in ours.items():
        t_ours = _time(fn)
        if theirs is None:
            print(f"{name:28s} {t_ours:14.1f} {'-':>10s} {'-':>7s}")
            continue
        t_theirs = _time(theirs[name])
        print(f"{name:28s} {t_ours:14.1f} {t_theirs:10.1f} {t_ours / t_theirs:7.2f}")


if __name__ == "__main__":
    main()
