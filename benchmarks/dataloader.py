"""One epoch of 60k MNIST-shaped samples through the DataLoader: samples/s for 0 and 2 workers.

Pipelines (batch 128, per-sample transform, default collate):

* ``tensorlib MNIST``: ``tensorlib.datasets.MNIST`` + ``vision.transforms`` ToTensor/Normalize (PIL path);
* ``tensorlib array``: the raw uint8 images with a NumPy normalise per sample -> ``tl.from_numpy``;
* ``torch array``: the same dataset and transform through ``torch.utils.data.DataLoader`` ->
  ``torch.from_numpy`` (when PyTorch is installed), for a like-for-like comparison.

Each figure is the best of ``--rounds`` epochs; the rounds alternate between pipelines so background load on
a busy machine hits all of them alike.

Run: ``python benchmarks/dataloader.py [--data /work/shared/data/mnist] [--workers 0 2] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import tempfile
import time

import numpy as np

import tensorlib as tl
from tensorlib.data import DataLoader, Dataset

MEAN, STD = 0.1307, 0.3081
BATCH_SIZE = 128


def read_idx_images(path: str) -> np.ndarray:
    """uint8 images ``[N, 28, 28]`` from an idx3 ``.gz`` file."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def read_idx_labels(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64)


def normalise(image: np.ndarray) -> np.ndarray:
    """uint8 ``[28, 28]`` -> float32 ``[1, 28, 28]``, like ToTensor + Normalize."""
    return ((image.astype(np.float32) / 255.0 - MEAN) / STD)[None]


class ArrayMNIST(Dataset):
    """MNIST from in-memory arrays; ``to_tensor`` turns the normalised array into the framework's tensor."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, to_tensor) -> None:
        self.images, self.labels, self.to_tensor = images, labels, to_tensor

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        return self.to_tensor(normalise(self.images[index])), int(self.labels[index])


def epoch_rate(loader) -> float:
    """Samples per second for one full epoch (worker start-up included)."""
    start = time.perf_counter()
    count = 0
    for images, _ in loader:
        count += images.shape[0]
    return count / (time.perf_counter() - start)


def tensorlib_mnist(data_dir: str, root: str):
    try:
        from tensorlib.datasets import MNIST
        from tensorlib.vision import transforms
    except ImportError:
        return None
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    return MNIST(root, train=True, download=True, mirrors=[data_dir], transform=transform)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/mnist", help="folder with the raw idx .gz files")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--rounds", type=int, default=5, help="epochs per figure; the best one counts")
    args = parser.parse_args()

    images = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    labels = read_idx_labels(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    pipelines = [("tensorlib array", lambda w: DataLoader(ArrayMNIST(images, labels, tl.from_numpy),
                                                          batch_size=BATCH_SIZE, num_workers=w))]
    with tempfile.TemporaryDirectory() as root:
        mnist = tensorlib_mnist(args.data, root)
        if mnist is not None:
            pipelines.insert(0, ("tensorlib MNIST", lambda w: DataLoader(mnist, batch_size=BATCH_SIZE,
                                                                         num_workers=w)))
        try:
            import torch
            import torch.utils.data as torch_data

            pipelines.append(("torch array", lambda w: torch_data.DataLoader(
                ArrayMNIST(images, labels, torch.from_numpy), batch_size=BATCH_SIZE, num_workers=w)))
        except ImportError:
            print("PyTorch not installed: tensorlib rows only")

        best = {(name, w): 0.0 for name, _ in pipelines for w in args.workers}
        for _ in range(args.rounds):
            for name, make_loader in pipelines:
                for w in args.workers:
                    best[name, w] = max(best[name, w], epoch_rate(make_loader(w)))

        print(f"one epoch, {len(images)} samples, batch {BATCH_SIZE}, per-sample transform; samples/s "
              f"(best of {args.rounds})")
        header = f"{'pipeline':<18}" + "".join(f"{f'workers={w}':>14}" for w in args.workers)
        print(header)
        print("-" * len(header))
        for name, _ in pipelines:
            print(f"{name:<18}" + "".join(f"{best[name, w]:>14,.0f}" for w in args.workers))


if __name__ == "__main__":
    main()
