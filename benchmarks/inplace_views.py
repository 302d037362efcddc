"""In-place ops and views, tensorlib vs PyTorch CPU in the same run.

    python benchmarks/inplace_views.py

Measures on 8x8 float32 tensors: in-place ops without autograd (`add_`, `mul_`, `clamp_`, `zero_`), making a
view (`y[2:5]`, `y.t()`), an in-place op on a view, and a small graph with an in-place op on the tensor and on
one of its views (CopySlices) plus backward. Prints microseconds and the ratio to PyTorch.
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


def _cases(lib, data):
    y, w = lib.tensor(data[0]), lib.tensor(data[1])
    x = lib.tensor(data[0], requires_grad=True)

    def graph():
        z = x * 1
        z.mul_(w)
        z[:4].add_(1)
        z.sum().backward()

    return {
        "y.add_(w)": lambda: y.add_(w),
        "y.mul_(0.5)": lambda: y.mul_(0.5),
        "y.clamp_(-1, 1)": lambda: y.clamp_(-1, 1),
        "y.zero_()": lambda: y.zero_(),
        "y[2:5]": lambda: y[2:5],
        "y.t()": lambda: y.t(),
        "y[1:3].add_(1)": lambda: y[1:3].add_(1),
        "graph: mul_, view add_, backward": graph,
    }


def _time(fn, repeat: int = 5) -> float:
    number = 300
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    data = np.random.default_rng(0).standard_normal((2, 8, 8)).astype(np.float32)
    ours = _cases(tl, data)
    theirs = _cases(torch, data) if torch is not None else None
    print(f"{'case':34s} {'tensorlib us':>14s} {'torch us':>10s} {'ratio':>7s}")
    for name, fn in ours.items():
        t_ours = _time(fn)
        if theirs is None:
            print(f"{name:34s} {t_ours:14.2f} {'-':>10s} {'-':>7s}")
            continue
        t_theirs = _time(theirs[name])
        print(f"{name:34s} {t_ours:14.2f} {t_theirs:10.2f} {t_ours / t_theirs:7.2f}")


if __name__ == "__main__":
    main()
