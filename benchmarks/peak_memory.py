"""Benchmark: peak RSS of each training workload, tensorlib vs PyTorch CPU (issue #18: no more than PyTorch's).

Every (library, workload) pair trains for ``--steps`` steps in a fresh subprocess and reports its high-water
resident set size (``VmHWM`` of ``/proc/self/status``, i.e. ``ru_maxrss``). A second fresh subprocess per pair
only imports what the first one imports (the library, NumPy, the workload's benchmark module) and reports its
own; the difference is what training itself holds at its peak (weights, gradients, optimizer state, the
activations kept for backward, kernel scratch buffers, the allocator's cache), which is the comparable figure.
Raw figures include the interpreter and the libraries' code (PyTorch's ~300 MB of shared objects).

The models, data shapes and optimizers are those of the timing benchmarks, imported from them:
``mlp`` (mlp_training.py, batch 128), ``lenet5`` / ``resnet8`` (cnn_training.py, batch 64), ``lstm``
(lstm_training.py, batch 64 x 50 tokens), ``vgg11`` / ``mobilenet_v2`` (cnn_large_training.py, batch 64 / 32).
Both libraries get ``--threads`` threads (OpenBLAS's per-thread buffers count too).

Run: ``python benchmarks/peak_memory.py [--workloads mlp lenet5 resnet8 lstm] [--steps 5] [--threads 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = ("mlp", "lenet5", "resnet8", "lstm", "vgg11", "mobilenet_v2")
MODULES = {"mlp": "mlp_training", "lenet5": "cnn_training", "resnet8": "cnn_training", "lstm": "lstm_training",
           "vgg11": "cnn_large_training", "mobilenet_v2": "cnn_large_training"}


def peak_rss_mb() -> float:
    """This process's high-water RSS in MB (VmHWM, the same figure as ``ru_maxrss``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import(framework: str, workload: str):
    """The library and the workload's benchmark module, imported as the training run imports them."""
    if framework == "tensorlib":
        sys.modules["torch"] = None  # lstm_training imports torch when it can; a tensorlib run must not pay for it
    sys.path.insert(0, HERE)
    module = __import__(MODULES[workload])
    if framework == "torch":
        import torch as fw

        fw.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    else:
        import tensorlib as fw
    import numpy as np

    return fw, module, np


def _setup(framework: str, workload: str, fw, module, np):
    """``(model, loss_fn, inputs, target)``: the benchmark's model on one batch of the benchmark's shapes."""
    rng = np.random.default_rng(0)
    loss_fn = fw.nn.CrossEntropyLoss()
    if workload == "mlp":
        model = (module.build_torch(fw) if framework == "torch" else module.build_tensorlib())[0]
        inputs = (rng.standard_normal((module.BATCH, 784), dtype=np.float32),)
        batch = module.BATCH
    elif workload in ("lenet5", "resnet8"):
        fw.manual_seed(0)
        builder, shape = module.build_models(fw.nn)[workload]
        model, batch = builder(), 64
        inputs = (rng.standard_normal((batch,) + shape, dtype=np.float32),)
    elif workload == "lstm":
        fw.manual_seed(0)
        model, batch = module.RecurrentClassifier(fw), module.BATCH
        inputs = (rng.integers(0, module.VOCAB, (batch, module.LENGTH)),)
    else:
        model = module.build_model(framework, workload, 1.0)
        batch, shape = module.WORKLOADS[workload]
        inputs = (rng.standard_normal((batch,) + shape, dtype=np.float32),)
    target = fw.from_numpy(rng.integers(0, 10 if workload != "lstm" else module.CLASSES, batch).astype(np.int64))
    return model, loss_fn, tuple(fw.from_numpy(x) for x in inputs), target


def run_worker(framework: str, workload: str, steps: int, baseline: bool) -> dict:
    fw, module, np = _import(framework, workload)
    if baseline:
        return {"peak_mb": peak_rss_mb()}
    model, loss_fn, inputs, target = _setup(framework, workload, fw, module, np)
    optimizer = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(*inputs), target)
        loss.backward()
        optimizer.step()
    return {"peak_mb": peak_rss_mb(), "loss": float(loss.item())}


def measure(framework: str, workload: str, steps: int, threads: int, baseline: bool) -> float:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    command = [sys.executable, os.path.abspath(__file__), "--worker", framework, workload, "--steps", str(steps)]
    result = subprocess.run(command + (["--baseline"] if baseline else []), capture_output=True, text=True,
                            check=True, env=env, cwd=HERE)
    return json.loads(result.stdout.strip().splitlines()[-1])["peak_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--steps", type=int, default=5, help="training steps per run")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / intra-op threads of both libraries")
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(*args.worker, args.steps, args.baseline)))
        return
    print(f"peak RSS (VmHWM) in MB after {args.steps} training steps, {args.threads} threads; "
          "'training' = raw minus an import-only process")
    header = (f"{'workload':12} | {'tensorlib raw':>13} | {'torch raw':>9} | {'tensorlib import':>16} | "
              f"{'torch import':>12} | {'tensorlib training':>18} | {'torch training':>14} | {'ratio':>5}")
    print(header)
    print("-" * len(header))
    for workload in args.workloads:
        row = {}
        for framework in ("tensorlib", "torch"):
            row[framework] = (measure(framework, workload, args.steps, args.threads, False),
                              measure(framework, workload, args.steps, args.threads, True))
        (ours, ours_base), (theirs, theirs_base) = row["tensorlib"], row["torch"]
        ours_net, theirs_net = ours - ours_base, theirs - theirs_base
        print(f"{workload:12} | {ours:13.0f} | {theirs:9.0f} | {ours_base:16.0f} | {theirs_base:12.0f} | "
              f"{ours_net:18.0f} | {theirs_net:14.0f} | {ours_net / theirs_net:5.2f}", flush=True)


if __name__ == "__main__":
    main()
