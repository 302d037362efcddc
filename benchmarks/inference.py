"""Benchmark: inference latency (batch 1) and throughput (batch 256) of five ways to run the same weights.

Models: the MNIST MLP (784-128-64-10), LeNet-5 and CIFAR ResNet-8 (``cnn_training.py``'s definitions), in eval
mode with identical weights in both frameworks. Columns, measured in the same process and run:
  * tensorlib eager under ``no_grad``
  * the tensorlib NumPy runtime on the ``.tlj`` file ``tensorlib.jit.save`` wrote
    (``runtime.load(path, threads=--threads)``: its large convolutions split over that many threads), and with
    ``--threads`` > 1 on Linux also ``parallel="processes"`` (large batches split over that many processes)
  * PyTorch eager under ``no_grad``
  * PyTorch ``torch.jit.trace`` + ``torch.jit.freeze``
  * onnxruntime on the ONNX file ``tensorlib.onnx.export`` wrote (skipped if not installed)
Latency is the median of many single calls; throughput is ``256 / median`` batch time. ``--repeats`` rounds
measure the engines interleaved (a pause before each lets the previous engine's worker threads go idle); each
figure is the median over rounds and ratios to PyTorch eager are taken within a round. Threads: ``--threads``
for PyTorch, onnxruntime and NumPy's BLAS (set before NumPy is imported).

Run: ``python benchmarks/inference.py [--threads 2] [--seconds 1.0] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="threads for BLAS, PyTorch and onnxruntime")
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per (model, engine, batch)")
    parser.add_argument("--models", nargs="+", default=["mlp", "lenet5", "resnet8"])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds over the engines per model")
    return parser.parse_args(argv)


def median_seconds(fn, budget: float, min_calls: int = 5) -> float:
    fn()  # warm-up: first-call allocations and buffer planning
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def summary(rounds: list, engine: str, column: int) -> tuple:
    """Median of one engine's figure over the rounds, and the lowest and highest per-round ratio to torch eager."""
    values = [r[engine][column] for r in rounds]
    ratios = sorted(r[engine][column] / r["torch eager"][column] for r in rounds)
    return statistics.median(values), ratios[0], ratios[-1]


def build(name: str, tl, torch):
    """``(tensorlib model, torch model, input shape)`` with the torch weights copied from tensorlib's."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cnn_training import build_models

    def mlp(nn):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                             nn.Linear(64, 10))

    if name == "mlp":
        ours, theirs, shape = mlp(tl.nn), mlp(torch.nn), (1, 28, 28)
    else:
        make_ours, shape = build_models(tl.nn)[name]
        ours, theirs = make_ours(), build_models(torch.nn)[name][0]()
    ours.eval()
    theirs.eval()
    # random running statistics so batch norm is not the identity
    for key, value in ours.state_dict().items():
        if key.endswith("running_mean"):
            value.copy_(tl.randn(*value.shape) * 0.1)
        elif key.endswith("running_var"):
            value.copy_(tl.rand(*value.shape) + 0.5)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    return ours, theirs, shape


def engines(name: str, tl, torch, ort, threads: int):
    """name -> callable(numpy batch) for each engine."""
    from tensorlib._threads import blas_set_quick
    from tensorlib.jit import runtime

    ours, theirs, shape = build(name, tl, torch)
    example = tl.randn(4, *shape)
    found = {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"{name}.tlj")
        tl.jit.save(tl.jit.trace(ours, example), path)
        # the runtime's own threads split large convolutions; NumPy's BLAS drops to one thread inside them
        program = runtime.load(path, threads=threads, set_blas_threads=blas_set_quick)
        # or the batch split over forked copies of the program, one core each
        processes = runtime.load(path, threads=threads, set_blas_threads=blas_set_quick, parallel="processes") \
            if threads > 1 and runtime.processes_supported() else None

    def tensorlib_eager(x):
        with tl.no_grad():
            return ours(tl.from_numpy(x))

    def torch_eager(x):
        with torch.no_grad():
            return theirs(torch.from_numpy(x))

    frozen = torch.jit.freeze(torch.jit.trace(theirs, torch.from_numpy(example.numpy())).eval())

    def torch_frozen(x):
        with torch.no_grad():
            return frozen(torch.from_numpy(x))

    found["tensorlib eager"] = tensorlib_eager
    found["tensorlib runtime"] = program
    if processes is not None:
        found["runtime, processes"] = processes
    found["torch eager"] = torch_eager
    found["torch jit+freeze"] = torch_frozen
    if ort is not None:
        buffer = io.BytesIO()
        tl.onnx.export(ours, (example,), buffer, input_names=["x"], dynamic_axes={"x": {0: "batch"}})
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # leave the cores to the others
        session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
        found["onnxruntime (our file)"] = lambda x: session.run(None, {"x": x})
    return found, shape


def main(argv=None) -> None:
    args = parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch

    import tensorlib as tl

    torch.set_num_threads(args.threads)
    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
        print("onnxruntime not installed: its column is skipped (pip install 'tensorlib[onnx]')")
    print(f"{args.threads} threads; torch {torch.__version__}; numpy {np.__version__}"
          + (f"; onnxruntime {ort.__version__}" if ort else ""))
    tl.manual_seed(0)
    for name in args.models:
        found, shape = engines(name, tl, torch, ort, args.threads)
        one = np.random.default_rng(0).standard_normal((1, *shape)).astype(np.float32)
        many = np.random.default_rng(1).standard_normal((256, *shape)).astype(np.float32)
        print(f"\n{name}: batch-1 latency (us) | batch-256 throughput (images/s); median of {args.repeats} "
              "interleaved rounds [range of the per-round ratio to torch eager]")
        rounds = []
        for _ in range(args.repeats):
            results = {}
            for engine, fn in found.items():
                time.sleep(0.2)  # let the previous engine's BLAS/OpenMP threads stop spinning
                latency = median_seconds(lambda fn=fn, x=one: fn(x), args.seconds, 20)
                batch_time = median_seconds(lambda fn=fn, x=many: fn(x), args.seconds, 5)
                results[engine] = (latency, batch_time)
            rounds.append(results)
        for engine in found:
            latency, low, high = summary(rounds, engine, 0)
            batch_time, t_low, t_high = summary(rounds, engine, 1)
            print(f"  {engine:24s} {latency * 1e6:9.1f} us [{low:4.2f}x - {high:4.2f}x torch eager]   "
                  f"{256 / batch_time:9.0f} img/s [{t_low:4.2f}x - {t_high:4.2f}x torch eager time]")
        speedups = sorted(r["tensorlib eager"][0] / r["tensorlib runtime"][0] for r in rounds)
        batch_speedups = sorted(r["tensorlib eager"][1] / r["tensorlib runtime"][1] for r in rounds)
        print(f"  runtime vs tensorlib eager: {speedups[0]:.2f}x - {speedups[-1]:.2f}x faster at batch 1, "
              f"{batch_speedups[0]:.2f}x - {batch_speedups[-1]:.2f}x at batch 256")


if __name__ == "__main__":
    main()
