"""Text-model training throughput, tensorlib vs PyTorch CPU (2 threads) in the same run.

    python benchmarks/lstm_training.py [--steps 10] [--rounds 5] [--threads 2]

1. Embedding(20000, 64) -> LSTM(64, 128, batch_first=True) -> Linear(128, 4); batch 64, length 50;
   cross-entropy on the last time step's output; SGD(lr=0.1). Both libraries start from the same weights.
   The same with GRU(64, 128).
2. EmbeddingBag(20000, 64, mode='mean') -> Linear(64, 4); batch 64 bags of 30-50 tokens (flat input + offsets).

Prints training sequences/s for each library (best of ``--rounds`` alternating rounds of ``--steps`` steps, each
library in its own process: see ``_isolated.py``) and the ratio (tensorlib time / PyTorch time). Both libraries
get ``--threads`` BLAS threads (PyTorch via ``torch.set_num_threads``, NumPy's OpenBLAS via
``OPENBLAS_NUM_THREADS``, which must be set before NumPy is imported, hence the late imports below).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _threads_from_argv(default: int = 2) -> int:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return default


THREADS = _threads_from_argv()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402
from _isolated import Isolated, alternate  # noqa: E402

import tensorlib as tl  # noqa: E402

try:
    import torch

    torch.set_num_threads(THREADS)
except ImportError:  # the reference is optional
    torch = None

VOCAB, EMBED, HIDDEN, CLASSES, BATCH, LENGTH = 20000, 64, 128, 4, 64, 50


class RecurrentClassifier:
    """Builds the same model in either library (``lib`` is ``tensorlib`` or ``torch``); ``kind`` LSTM or GRU."""

    def __init__(self, lib, kind: str = "LSTM"):
        nn = lib.nn
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.rnn = getattr(nn, kind)(EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, CLASSES)
        self.modules = [self.embedding, self.rnn, self.head]

    def parameters(self):
        return [p for m in self.modules for p in m.parameters()]

    def __call__(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))
        return self.head(output[:, -1])


class BagClassifier:
    def __init__(self, lib):
        nn = lib.nn
        self.bag = nn.EmbeddingBag(VOCAB, EMBED, mode="mean")
        self.head = nn.Linear(EMBED, CLASSES)
        self.modules = [self.bag, self.head]

    def parameters(self):
        return [p for m in self.modules for p in m.parameters()]

    def __call__(self, tokens, offsets):
        return self.head(self.bag(tokens, offsets))


def _snapshot(modules) -> list:
    """Copies of each tensorlib module's initial weights, taken before training changes them."""
    return [{k: v.numpy().copy() for k, v in m.state_dict().items()} for m in modules]


def _load_into_torch(modules, snapshot) -> None:
    """Start the PyTorch model from the same weights (state_dict keys are identical)."""
    for module, state in zip(modules, snapshot):
        module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})


class _Trainer:
    """One model + SGD + cross-entropy; ``run(steps)`` returns the seconds taken by ``steps`` training steps."""

    def __init__(self, lib, model, batches):
        self.model, self.batches, self.done = model, batches, 0
        self.loss_fn = lib.nn.CrossEntropyLoss()
        self.opt = lib.optim.SGD(model.parameters(), lr=0.1)
        self.first_loss = self.step()
        self.step()  # warm-up

    def step(self) -> float:
        *inputs, target = self.batches[self.done % len(self.batches)]
        self.done += 1
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(*inputs), target)
        loss.backward()
        self.opt.step()
        return float(loss.item())

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - start


def _lstm_batches(lib, rng, count=4):
    out = []
    for _ in range(count):
        tokens = rng.integers(0, VOCAB, (BATCH, LENGTH))
        target = rng.integers(0, CLASSES, BATCH)
        out.append((lib.from_numpy(tokens.astype(np.int64)), lib.from_numpy(target.astype(np.int64))))
    return out


def _bag_batches(lib, rng, count=4):
    out = []
    for _ in range(count):
        sizes = rng.integers(30, 51, BATCH)
        tokens = rng.integers(0, VOCAB, int(sizes.sum())).astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        target = rng.integers(0, CLASSES, BATCH).astype(np.int64)
        out.append((lib.from_numpy(tokens), lib.from_numpy(offsets), lib.from_numpy(target)))
    return out


MODELS = {"lstm": (RecurrentClassifier, _lstm_batches, 0),
          "gru": (lambda lib: RecurrentClassifier(lib, "GRU"), _lstm_batches, 0),
          "bag": (BagClassifier, _bag_batches, 1)}


def _side(library: str, model_key: str):
    """One library's trainer, built in its own process (see ``_isolated``) from tensorlib's seed-0 weights."""
    build, make_batches, seed = MODELS[model_key]
    tl.manual_seed(0)
    model = build(tl)
    if library == "tensorlib":
        trainer = _Trainer(tl, model, make_batches(tl, np.random.default_rng(seed)))
    else:
        reference = build(torch)
        _load_into_torch(reference.modules, _snapshot(model.modules))
        trainer = _Trainer(torch, reference, make_batches(torch, np.random.default_rng(seed)))
    trainer.info = trainer.first_loss
    return trainer


def _compare(name: str, model_key: str, steps: int, rounds: int) -> None:
    """Alternate ``rounds`` timed rounds of each library, each in its own process; the best round wins."""
    libraries = ["tensorlib"] + (["torch"] if torch is not None else [])
    sides = {library: Isolated(_side, library, model_key) for library in libraries}
    first_loss = {library: side.info for library, side in sides.items()}
    best = alternate(sides, steps, rounds)
    rate = {key: steps * BATCH / seconds for key, seconds in best.items()}
    line = f"{name:<54} tensorlib {rate['tensorlib']:8.1f} seq/s"
    if "torch" in rate:
        line += f" | torch {rate['torch']:8.1f} seq/s | tensorlib/torch time {rate['torch'] / rate['tensorlib']:.2f}x"
        line += f" | first loss {first_loss['tensorlib']:.4f} vs {first_loss['torch']:.4f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="training steps per timed round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per library (best one is reported)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for both libraries")
    args = parser.parse_args()
    _compare("Embedding->LSTM(64,128)->Linear, B64 x T50, SGD", "lstm", args.steps, args.rounds)
    _compare("Embedding->GRU(64,128)->Linear, B64 x T50, SGD", "gru", args.steps, args.rounds)
    _compare("EmbeddingBag(20000,64,'mean')->Linear, B64 x ~40, SGD", "bag", args.steps * 5, args.rounds)


if __name__ == "__main__":
    main()
