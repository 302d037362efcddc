"""Issue #18's scorecard: every training workload against its target, tensorlib vs PyTorch CPU in the same run.

    python benchmarks/training_targets.py [--repeats 5] [--threads 2] [--workloads mlp resnet8 ...]
                                          [--plot targets.png] [--json targets.json]

The measurement the issue asks for: each library in its own process (``_isolated.py``), timed rounds alternating
between them (the order swapped every other round, a pause between rounds so neither library's idle threads
steal the other's cores), at least five rounds each; the figure is the **median** round time of each library
and the ratio of the medians (tensorlib / PyTorch, lower is better). The spread of the per-round ratios is
printed beside it: it is the machine's noise in that run. Workloads (the models of the other benchmarks):

* W1 MLP 784-256-128-10, batch 128 (``mlp_training.py``); W2 LeNet-5, batch 64; W3 ResNet-8, batch 64;
  ResNet-20, batch 128 (``cnn_training.py``); VGG-11-BN/2 and MobileNetV2 (``cnn_large_training.py``, reported);
* W4 Embedding -> LSTM -> Linear, GRU, EmbeddingBag (``lstm_training.py``);
* W5 the 100-op chain on 8x8 tensors, with backward and under ``no_grad`` (``op_overhead.py``).

Peak memory has its own script (``peak_memory.py``). ``--plot`` draws the ratios against their targets (PNG).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Optional

from _isolated import SETTLE_SECONDS, Isolated


@dataclass(frozen=True)
class Workload:
    title: str
    target: Optional[float]  # the bound on tensorlib time / PyTorch time; None: reported only
    steps: int  # steps (or op-chain calls) per timed round: a round takes about 0.3 - 2 s
    batch: int  # samples per training step; 0 for the op chains, timed per call (in microseconds)


WORKLOADS = {
    "mlp": Workload("W1 MLP 784-256-128-10, b128", 1.0, 300, 128),
    "lenet5": Workload("W2 LeNet-5, b64", 1.0, 80, 64),
    "resnet8": Workload("W3 ResNet-8, b64", 1.15, 8, 64),
    "resnet20": Workload("ResNet-20, b128", 1.3, 3, 128),
    "lstm": Workload("W4 Embedding-LSTM(64,128)-Linear, 64 x 50", 1.15, 12, 64),
    "gru": Workload("Embedding-GRU(64,128)-Linear, 64 x 50", 1.15, 12, 64),
    "bag": Workload("EmbeddingBag(20000,64)-Linear, 64 bags", 1.15, 200, 64),
    "chain_backward": Workload("W5 100-op chain 8x8 + backward", 1.15, 400, 0),
    "chain_no_grad": Workload("W5 100-op chain 8x8, no_grad", 1.15, 2000, 0),
    "vgg11": Workload("VGG-11-BN/2, 32x32, b64", None, 3, 64),
    "mobilenet_v2": Workload("MobileNetV2, 64x64, b32", None, 2, 32),
}
WARMUP_STEPS = 3


class _Calls:
    """``run(steps)``: the seconds ``steps`` calls of ``fn`` take."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def run(self, steps: int) -> float:
        fn = self.fn
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        return time.perf_counter() - start


def _framework(library: str, threads: int):
    if library == "torch":
        import torch as fw
    else:
        import tensorlib as fw
    fw.set_num_threads(threads)
    return fw


def _runner(library: str, name: str, fw):
    """The object whose ``run(steps)`` times workload ``name`` in ``fw`` (built from seed 0)."""
    from _classifier_steps import ClassifierSteps, random_image_batches

    fw.manual_seed(0)
    if name == "mlp":
        import mlp_training

        model = (mlp_training.build_torch(fw)[0] if library == "torch" else mlp_training.build_tensorlib()[0])
        images, labels = mlp_training.make_batches(32 * mlp_training.BATCH)
        return ClassifierSteps(fw, model, [(fw.from_numpy(x), fw.from_numpy(y)) for x, y in zip(images, labels)])
    if name in ("lenet5", "resnet8", "resnet20"):
        import cnn_training

        builder, shape = cnn_training.build_models(fw.nn)[name]
        return ClassifierSteps(fw, builder(), random_image_batches(fw, WORKLOADS[name].batch, shape))
    if name in ("vgg11", "mobilenet_v2"):
        import cnn_large_training

        batch, shape = cnn_large_training.WORKLOADS[name]
        model = cnn_large_training.build_model(library, name, 1.0)
        return ClassifierSteps(fw, model, random_image_batches(fw, batch, shape))
    if name in ("lstm", "gru", "bag"):
        import lstm_training

        return lstm_training._side(library, name)
    import numpy as np
    import op_overhead

    data = np.random.default_rng(0).standard_normal((2, 8, 8)).astype(np.float32)
    x, w = (fw.tensor(d, requires_grad=True) for d in data)
    case = "100-op chain + backward" if name == "chain_backward" else "100-op chain, no_grad"
    return _Calls(op_overhead._cases(fw, x, w)[case])


def _side(library: str, name: str, threads: int):
    """One library's runner for workload ``name``, warmed up, in its own process (``Isolated``'s factory)."""
    runner = _runner(library, name, _framework(library, threads))
    runner.run(WARMUP_STEPS if WORKLOADS[name].batch else 50)
    return runner


def measure(name: str, repeats: int, threads: int) -> dict:
    """Interleaved rounds of workload ``name``: each library's round times, medians and the ratios."""
    steps = WORKLOADS[name].steps
    sides = {library: Isolated(_side, library, name, threads) for library in ("tensorlib", "torch")}
    times = {library: [] for library in sides}
    try:
        for repeat in range(repeats):
            for library in (list(sides) if repeat % 2 == 0 else list(sides)[::-1]):
                time.sleep(SETTLE_SECONDS)
                times[library].append(sides[library].run(steps) / steps)
    finally:
        for side in sides.values():
            side.close()
    ours, theirs = statistics.median(times["tensorlib"]), statistics.median(times["torch"])
    rounds = [a / b for a, b in zip(times["tensorlib"], times["torch"])]
    return {"workload": name, "title": WORKLOADS[name].title, "target": WORKLOADS[name].target,
            "tensorlib_ms": 1e3 * ours, "torch_ms": 1e3 * theirs, "ratio": ours / theirs,
            "round_ratios": rounds, "times": times}


def _met(result: dict) -> str:
    target = result["target"]
    return "(reported)" if target is None else "yes" if result["ratio"] <= target else "no"


def table(results: list) -> str:
    """The results as a Markdown table."""
    lines = ["| workload | target | tensorlib ms / step | PyTorch ms / step | ratio of medians | per-round ratios "
             "| met |", "|---|---|---|---|---|---|---|"]
    for r in results:
        target = "—" if r["target"] is None else f"<= {r['target']:.2f}x"
        unit = 1 if WORKLOADS[r["workload"]].batch else 1e3  # the op chains in microseconds per call
        suffix = " us" if unit != 1 else ""
        lines.append(f"| {r['title']} | {target} | {r['tensorlib_ms'] * unit:.2f}{suffix} | "
                     f"{r['torch_ms'] * unit:.2f}{suffix} | **{r['ratio']:.2f}x** | "
                     f"{min(r['round_ratios']):.2f}x – {max(r['round_ratios']):.2f}x | {_met(r)} |")
    return "\n".join(lines)


def plot(results: list, path: str) -> None:
    """Horizontal bars of the ratios (per-round spread as a whisker), each target as a black tick; PNG."""
    from _ratio_chart import RatioChart

    high = max(2.0, max(max(r["round_ratios"]) for r in results) * 1.05)
    chart = RatioChart("tensorlib time / PyTorch time, median of interleaved rounds (lower is better); "
                       "whisker: per-round range, black tick: target", len(results), high)
    draw, half = chart.draw, chart.row_height // 2
    for i, r in enumerate(results):
        y, met = chart.y(i), _met(r)
        colour = (150, 150, 150) if met == "(reported)" else (60, 160, 80) if met == "yes" else (210, 70, 60)
        chart.text(10, i, r["title"])
        draw.rectangle([chart.x(0), y + 6, chart.x(r["ratio"]), y + chart.row_height - 6], fill=colour)
        low, high_ratio = min(r["round_ratios"]), max(r["round_ratios"])
        draw.line([(chart.x(low), y + half), (chart.x(high_ratio), y + half)], fill="black")
        if r["target"] is not None:
            tx = chart.x(r["target"])
            draw.line([(tx, y + 2), (tx, y + chart.row_height - 2)], fill="black", width=3)
        chart.text(chart.x(max(r["ratio"], high_ratio)) + 6, i, f"{r['ratio']:.2f}x")
    chart.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timed rounds per library (>= 5)")
    parser.add_argument("--threads", type=int, default=2, help="threads of both libraries (BLAS, intra-op)")
    parser.add_argument("--plot", metavar="PNG", help="draw the ratios against the targets into this file")
    parser.add_argument("--json", metavar="FILE", help="write every round's times here")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.repeats < 5:
        print(f"note: {args.repeats} rounds; issue #18 asks for medians of at least 5")
    try:
        import torch  # noqa: F401  (only to know whether the reference is there; the sides import it)
    except ImportError:
        sys.exit("training_targets.py compares with PyTorch: pip install torch (CPU)")
    # the sides' BLAS and OpenMP read their thread counts when they load: set them before spawning
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    print(f"{args.threads} threads each, medians of {args.repeats} interleaved rounds, each library in its own "
          f"process; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    results = []
    for name in args.workloads:
        results.append(measure(name, args.repeats, args.threads))
        r = results[-1]
        print(f"  {r['title']}: {r['ratio']:.2f}x ({r['tensorlib_ms']:.3f} vs {r['torch_ms']:.3f} ms)", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    print(table(results))
    if args.json:
        from tensorlib._atomic import atomic_write

        with atomic_write(args.json, "w", encoding="utf-8") as stream:
            json.dump(results, stream, indent=1)
    if args.plot:
        plot(results, args.plot)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
