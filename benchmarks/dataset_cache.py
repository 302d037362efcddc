"""How long MNIST takes to load: first load (parse idx files, write the .npy cache) vs cached loads.

Uses the four upstream MNIST files in ``--mirror`` (default ../shared/data/mnist) as a local mirror, so no
network is needed. Usage: ``python benchmarks/dataset_cache.py [--mirror DIR] [--repeats N]``.
(torchvision is not installed here, so there is no PyTorch column; the target is < 1 s from the cache.)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from tensorlib.datasets import MNIST

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MIRROR = os.path.join(HERE, "..", "..", "shared", "data", "mnist")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=os.environ.get("TENSORLIB_DATASETS_MIRROR", DEFAULT_MIRROR))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        MNIST(root, train=True, download=True, mirrors=[args.mirror])
        install = time.perf_counter() - start
        cached = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            ds = MNIST(root, train=True)
            cached.append(time.perf_counter() - start)
        start = time.perf_counter()
        MNIST(root, train=True, download=True)
        verified = time.perf_counter() - start
    print(f"MNIST train ({len(ds)} images)")
    print(f"  copy + verify + unpack + parse + cache : {install:8.3f} s")
    print(f"  load from .npy cache (best of {args.repeats})    : {min(cached):8.3f} s")
    print(f"  cached load with download=True (md5)  : {verified:8.3f} s")
    print(f"  cache load < 1 s: {'yes' if min(cached) < 1.0 else 'NO'}")


if __name__ == "__main__":
    main()
