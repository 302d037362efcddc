"""Load a ~100 MB PyTorch state_dict with tl.load vs torch.load, and parse a 400k-word vectors file.

    python benchmarks/torch_checkpoint_io.py [--megabytes 100] [--words 400000] [--dim 50] [--repeat 3]

1. A ResNet-like state_dict of float32 tensors (plus int64 counters) written by ``torch.save``; best-of-N
   wall time of ``tl.load(path)`` and ``torch.load(path, weights_only=True)``, and of writing it with
   ``tl.save(format="torch")`` vs ``torch.save``.
2. A generated GloVe-style text file (``word v1 .. vD``); time of ``tensorlib.text.vocab.Vectors`` parsing it
   the first time and loading its ``.npz`` cache afterwards, against torchtext's per-line loop
   (``torch.tensor([float(x) for x in entries])``, what ``torchtext.vocab.Vectors`` runs) on the same file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import tensorlib as tl


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def checkpoint_case(folder: str, megabytes: int, repeat: int) -> None:
    import torch

    rng = np.random.default_rng(0)
    state, total = {}, 0
    shapes = [(512, 512, 3, 3), (256, 256, 3, 3), (1000, 512), (512,)]
    i = 0
    while total < megabytes * 2**20:
        shape = shapes[i % len(shapes)]
        state[f"layer{i}.weight"] = torch.from_numpy(rng.standard_normal(shape, dtype=np.float32))
        state[f"layer{i}.num_batches_tracked"] = torch.tensor(i)
        total += int(np.prod(shape)) * 4
        i += 1
    path = os.path.join(folder, "state.pt")
    torch.save(state, path)
    ours = best_of(repeat, lambda: tl.load(path))
    theirs = best_of(repeat, lambda: torch.load(path, weights_only=True))
    loaded = tl.load(path)
    assert all(np.array_equal(loaded[k].numpy(), v.numpy()) for k, v in state.items())
    out = os.path.join(folder, "ours.pt")
    save_ours = best_of(repeat, lambda: tl.save(loaded, out, format="torch"))
    save_theirs = best_of(repeat, lambda: torch.save(state, os.path.join(folder, "theirs.pt")))
    size = os.path.getsize(path) / 2**20
    print(f"state_dict {size:.0f} MB, {len(state)} tensors")
    print(f"  load: tl.load {ours:.3f} s   torch.load(weights_only=True) {theirs:.3f} s   ratio {ours / theirs:.2f}x")
    print(f"  save: tl.save(format='torch') {save_ours:.3f} s   torch.save {save_theirs:.3f} s   "
          f"ratio {save_ours / save_theirs:.2f}x")


def vectors_case(folder: str, words: int, dim: int) -> None:
    from tensorlib.text.vocab import Vectors

    rng = np.random.default_rng(0)
    rows = [" ".join(f"{x:.5f}" for x in row) for row in rng.standard_normal((1000, dim))]
    path = os.path.join(folder, "vectors.txt")
    with open(path, "w") as f:
        f.writelines(f"w{i} {rows[i % 1000]}\n" for i in range(words))
    size = os.path.getsize(path) / 2**20
    cache = os.path.join(folder, "cache")
    start = time.perf_counter()
    Vectors(path, cache=cache)
    first = time.perf_counter() - start
    start = time.perf_counter()
    vectors = Vectors(path, cache=cache)
    cached = time.perf_counter() - start
    assert vectors.vectors.shape == (words, dim)
    reference = torchtext_style_parse(path, words, dim)
    print(f"vectors file: {words} words x {dim} dims, {size:.0f} MB")
    print(f"  first parse {first:.2f} s   cached load {cached:.3f} s   torchtext-style per-line loop "
          f"{reference:.2f} s   ratio {first / reference:.2f}x")


def torchtext_style_parse(path: str, words: int, dim: int) -> float:
    """torchtext.vocab.Vectors.cache's loop, timed (torchtext is not required)."""
    import torch

    start = time.perf_counter()
    vectors, itos = torch.zeros((words, dim)), []
    with open(path, "rb") as f:
        for n, line in enumerate(f):
            entries = line.rstrip().split(b" ")
            word, entries = entries[0], entries[1:]
            vectors[n] = torch.tensor([float(x) for x in entries])
            itos.append(word.decode("utf-8"))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--words", type=int, default=400_000)
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        checkpoint_case(folder, args.megabytes, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        vectors_case(folder, args.words, args.dim)


if __name__ == "__main__":
    main()
