"""tensorlib.metrics vs torchmetrics (PyTorch CPU) in the same run.

    python benchmarks/metrics.py [--repeats 5]

Measures, best of ``--repeats``: an evaluation epoch of 100 batches of (1000, 10) logits through
MulticlassAccuracy + macro F1 + ConfusionMatrix (update per batch, compute at the end); exact BinaryAUROC of
1,000,000 scores; exact MulticlassAUROC of 100,000 x 10 scores; 1,000 MeanMetric updates with a Python float
(the per-call overhead of logging a loss). Prints milliseconds and the ratio tensorlib / torchmetrics.
"""

from __future__ import annotations

import argparse
import time
import types
import warnings

import numpy as np

import tensorlib as tl
import tensorlib.metrics as tm

try:
    import torch
    import torchmetrics

    torch.set_num_threads(2)
except ImportError:  # the reference is optional
    torch = torchmetrics = None


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def _cases(lib, metrics, data):
    batches, scores, target, mscores, mtarget = data

    def epoch():
        group = [metrics.MulticlassAccuracy(10), metrics.MulticlassF1Score(10), metrics.MulticlassConfusionMatrix(10)]
        for logits, labels in batches:
            for metric in group:
                metric.update(logits, labels)
        for metric in group:
            metric.compute()

    def binary_auroc():
        metric = metrics.BinaryAUROC()
        metric.update(scores, target)
        metric.compute()

    def multiclass_auroc():
        metric = metrics.MulticlassAUROC(10)
        metric.update(mscores, mtarget)
        metric.compute()

    def mean_updates():
        metric = metrics.MeanMetric()
        for i in range(1000):
            metric.update(0.5 + i * 1e-3)
        metric.compute()

    return {"eval epoch: 100 x (1000, 10), acc+F1+confmat": epoch, "BinaryAUROC exact, 1M scores": binary_auroc,
            "MulticlassAUROC exact, 100k x 10": multiclass_auroc, "MeanMetric, 1000 float updates": mean_updates}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    arrays = ([(rng.normal(size=(1000, 10)).astype(np.float32), rng.integers(0, 10, 1000)) for _ in range(100)],
              rng.random(1_000_000).astype(np.float32), rng.integers(0, 2, 1_000_000),
              rng.random((100_000, 10)).astype(np.float32), rng.integers(0, 10, 100_000))

    def convert(lib, data):
        batches, *rest = data
        return ([(lib.from_numpy(x), lib.from_numpy(y)) for x, y in batches], *[lib.from_numpy(a) for a in rest])

    ours = _cases(tl, tm, convert(tl, arrays))
    theirs = {}
    if torchmetrics:  # the task classes live in torchmetrics.classification, MeanMetric at the top level
        names = types.SimpleNamespace(**vars(torchmetrics.classification), MeanMetric=torchmetrics.MeanMetric)
        theirs = _cases(torch, names, convert(torch, arrays))
    print("| case | tensorlib ms | torchmetrics ms | ratio |\n|---|---|---|---|")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in ours.items():
            mine = _best(fn, args.repeats)
            ref = _best(theirs[name], args.repeats) if name in theirs else float("nan")
            print(f"| {name} | {mine:.1f} | {ref:.1f} | {mine / ref:.2f} |")


if __name__ == "__main__":
    main()
