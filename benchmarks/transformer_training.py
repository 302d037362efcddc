"""Transformer training throughput and attention memory, tensorlib vs PyTorch CPU in the same run.

    python benchmarks/transformer_training.py [--steps 5] [--rounds 3] [--threads 2] [--memory-batch 32]

1. Throughput: Embedding(1000, 128) -> TransformerEncoder(2 x TransformerEncoderLayer(d_model 128, 4 heads,
   feed-forward 256, dropout 0.1, batch_first)) -> mean over time -> Linear(128, 4); batch 32, length 64;
   cross-entropy, Adam. Both libraries start from the same weights (state_dict keys are identical). Prints
   training sequences/s (best of ``--rounds`` alternating rounds of ``--steps`` steps) and the time ratio.
2. Attention memory at length 512: ``scaled_dot_product_attention`` forward + backward on
   (``--memory-batch``, 4 heads, 512, 32) float32 inputs, each library in its own subprocess; reports the peak
   RSS growth (VmHWM after the call minus VmRSS before it, the high-water mark reset first) after a warm-up call,
   for PyTorch with its math backend (the reference) and with its default (flash) backend.
"""

from __future__ import annotations

import argparse
import os
import subprocess
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

import tensorlib as tl  # noqa: E402

try:
    import torch

    torch.set_num_threads(THREADS)
except ImportError:  # the reference is optional
    torch = None

VOCAB, D_MODEL, HEADS, FEEDFORWARD, LAYERS, CLASSES, BATCH, LENGTH = 1000, 128, 4, 256, 2, 4, 32, 64


class EncoderClassifier:
    """The same model in either library (``lib`` is ``tensorlib`` or ``torch``)."""

    def __init__(self, lib):
        nn = lib.nn
        self.embedding = nn.Embedding(VOCAB, D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.head = nn.Linear(D_MODEL, CLASSES)
        self.modules = [self.embedding, self.encoder, self.head]

    def parameters(self):
        return [p for m in self.modules for p in m.parameters()]

    def __call__(self, tokens):
        return self.head(self.encoder(self.embedding(tokens)).mean(1))


class _Trainer:
    """Model + Adam + cross-entropy; ``run(steps)`` returns the seconds taken by ``steps`` training steps."""

    def __init__(self, lib, model, batches):
        self.model, self.batches, self.done = model, batches, 0
        self.loss_fn = lib.nn.CrossEntropyLoss()
        self.opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        self.first_loss = self.step()
        self.step()  # warm-up

    def step(self) -> float:
        tokens, target = self.batches[self.done % len(self.batches)]
        self.done += 1
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(tokens), target)
        loss.backward()
        self.opt.step()
        return float(loss.item())

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - start


def _batches(lib, count=4):
    rng = np.random.default_rng(0)
    return [(lib.from_numpy(rng.integers(0, VOCAB, (BATCH, LENGTH)).astype(np.int64)),
             lib.from_numpy(rng.integers(0, CLASSES, BATCH).astype(np.int64))) for _ in range(count)]


def throughput(steps: int, rounds: int) -> None:
    """Alternate timed rounds of each library (background load hits both alike); the best round wins."""
    tl.manual_seed(0)
    model = EncoderClassifier(tl)
    initial = [{k: v.numpy().copy() for k, v in m.state_dict().items()} for m in model.modules]
    trainers = {"tensorlib": _Trainer(tl, model, _batches(tl))}
    if torch is not None:
        reference = EncoderClassifier(torch)
        for module, state in zip(reference.modules, initial):
            module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        trainers["torch"] = _Trainer(torch, reference, _batches(torch))
    best = {key: float("inf") for key in trainers}
    for _ in range(rounds):
        for key, trainer in trainers.items():
            best[key] = min(best[key], trainer.run(steps))
    rate = {key: steps * BATCH / seconds for key, seconds in best.items()}
    line = f"TransformerEncoder 2x(d128, 4 heads, ff256), B{BATCH} x T{LENGTH}, Adam:  tensorlib " \
           f"{rate['tensorlib']:7.1f} seq/s"
    if "torch" in rate:
        line += f" | torch {rate['torch']:7.1f} seq/s | tensorlib/torch time {rate['torch'] / rate['tensorlib']:.2f}x"
        line += f" | first loss {trainers['tensorlib'].first_loss:.4f} vs {trainers['torch'].first_loss:.4f}"
    print(line, flush=True)


# ------------------------------------------------------------------------------------------ memory (child)
_CHILD = r"""
import os, sys
os.environ["OPENBLAS_NUM_THREADS"] = "{threads}"
import numpy as np
library, backend, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
if library == "tensorlib":
    import tensorlib as lib
    import tensorlib.nn.functional as F
    attention = F.scaled_dot_product_attention
else:
    import contextlib
    import torch as lib
    from torch.nn.attention import SDPBackend, sdpa_kernel
    lib.set_num_threads({threads})
    def attention(*inputs):
        with sdpa_kernel(SDPBackend.MATH) if backend == "math" else contextlib.nullcontext():
            return lib.nn.functional.scaled_dot_product_attention(*inputs)
def prepare(shape):
    rng = np.random.default_rng(0)
    inputs = [lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True) for _ in range(3)]
    return inputs, lib.from_numpy(rng.standard_normal(shape).astype(np.float32))
small, small_grad = prepare((1, 4, 512, 32))
attention(*small).backward(small_grad)  # warm-up: one-time library and BLAS buffers are not attention memory
inputs, upstream = prepare((batch, 4, 512, 32))
run = lambda: attention(*inputs).backward(upstream)
def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
try:  # reset the high-water mark to the current RSS (Linux >= 4.0); VmHWM is this process's own, unlike
    with open("/proc/self/clear_refs", "w") as f:  # ru_maxrss, which inherits the forking parent's peak
        f.write("5")
except OSError:
    pass
before = status_kb("VmRSS")
run()
print(status_kb("VmHWM") - before)
"""


def _peak_growth_mb(library: str, backend: str, batch: int) -> float:
    code = _CHILD.replace("{threads}", str(THREADS))
    out = subprocess.run([sys.executable, "-c", code, library, backend, str(batch)], check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1]) / 1024


def memory(batch: int) -> None:
    score_mb = batch * HEADS * 512 * 512 * 4 / 2 ** 20
    print(f"attention fwd+bwd, ({batch}, 4 heads, L=S=512, 32) float32; one (L, S) score tensor = "
          f"{score_mb:.0f} MB; peak RSS growth:", flush=True)
    ours = _peak_growth_mb("tensorlib", "", batch)
    line = f"  tensorlib {ours:7.1f} MB"
    if torch is not None:
        math_mb = _peak_growth_mb("torch", "math", batch)
        default_mb = _peak_growth_mb("torch", "default", batch)
        line += f" | torch math backend {math_mb:7.1f} MB (tensorlib/torch {ours / math_mb:.2f}x)"
        line += f" | torch default (flash) backend {default_mb:7.1f} MB"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="training steps per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per library (best one is reported)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for both libraries")
    parser.add_argument("--memory-batch", type=int, default=32, help="batch of the length-512 memory test")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    throughput(args.steps, args.rounds)
    if not args.skip_memory:
        memory(args.memory_batch)


if __name__ == "__main__":
    main()
