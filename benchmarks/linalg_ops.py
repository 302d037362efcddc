"""The issue #12 ops, tensorlib vs PyTorch CPU in the same run: forward + backward time and the ratio.

    python benchmarks/linalg_ops.py [--repeat 5]

Cases: cdist of 512x64 rows (matrix-product path), addmm 256x256, a batch of 64 SVDs of 32x32 matrices,
64 inverses and solves of 32x32, median along a dim of a 256x1024 tensor, asin/atan2 on 1M elements.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

import tensorlib as tl

try:
    import torch

    torch.set_num_threads(2)
except ImportError:  # the reference is optional
    torch = None


def _cases(lib, arrays):
    def leaf(name):
        data = arrays[name]
        return lib.tensor(data, dtype=lib.float32, requires_grad=True) if lib is tl else \
            torch.tensor(data, requires_grad=True)

    def run(fn, *names):
        def once():
            inputs = [leaf(n) for n in names]
            fn(*inputs).sum().backward()
        return once

    return {
        "cdist 512x64": run(lambda a, b: lib.cdist(a, b), "rows", "rows2"),
        "addmm 256": run(lambda c, a, b: lib.addmm(c, a, b), "bias", "square", "square"),
        "svd 64x32x32": run(lambda a: lib.linalg.svd(a, full_matrices=False).S, "batch"),
        "inv 64x32x32": run(lambda a: lib.linalg.inv(a), "batch"),
        "solve 64x32x32": run(lambda a, b: lib.linalg.solve(a, b), "batch", "batch"),
        "median dim 256x1024": run(lambda a: lib.median(a, 1).values, "wide"),
        "asin+atan2 1M": run(lambda a, b: lib.asin(a * 0.5) + lib.atan2(a, b), "big", "big2"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (the best is reported)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    arrays = {"rows": rng.standard_normal((512, 64)), "rows2": rng.standard_normal((512, 64)),
              "bias": rng.standard_normal((256,)), "square": rng.standard_normal((256, 256)),
              "batch": rng.standard_normal((64, 32, 32)) + 4 * np.eye(32), "wide": rng.standard_normal((256, 1024)),
              "big": rng.uniform(-1, 1, 1 << 20), "big2": rng.uniform(0.5, 1, 1 << 20)}
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    ours = _cases(tl, arrays)
    theirs = _cases(torch, arrays) if torch is not None else {}
    print(f"{'case':24s} {'tensorlib ms':>13s} {'torch ms':>9s} {'ratio':>6s}")
    for name, fn in ours.items():
        t_ours = min(timeit.repeat(fn, number=1, repeat=args.repeat)) * 1e3
        if name in theirs:
            t_theirs = min(timeit.repeat(theirs[name], number=1, repeat=args.repeat)) * 1e3
            print(f"{name:24s} {t_ours:13.2f} {t_theirs:9.2f} {t_ours / t_theirs:6.2f}")
        else:
            print(f"{name:24s} {t_ours:13.2f}")


if __name__ == "__main__":
    main()
