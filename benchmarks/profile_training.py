"""Where a training step's time goes, by kernel: tensorlib's kernels beside PyTorch's profiler, same model.

    python benchmarks/profile_training.py [--workload resnet8|lenet5|lstm] [--steps 10] [--threads 2]

tensorlib: every kernel's ``forward`` and ``backward`` is timed with cProfile (cumulative time of the method)
and the bytes it touches (inputs + output of each forward, counted through the autograd tracer hook; a
backward moves about twice that). What is left of the step is the optimizer, the autograd engine and Python.
PyTorch: ``torch.profiler`` self CPU time per op for the same model and batch. Prints two markdown tables.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import os
import pstats
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=("resnet8", "lenet5", "lstm"), default="resnet8")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top", type=int, default=14, help="rows per table")
    return parser.parse_args()


ARGS = _parse()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.kernels  # noqa: E402,F401  (every kernel module, for the method table)
from tensorlib.autograd import function as _function  # noqa: E402


def _workload(lib):
    """(model, make batch) for ResNet-8 (batch 64, 3x32x32), LeNet-5 (batch 64, 1x28x28) or the LSTM classifier
    (batch 64, length 50)."""
    rng = np.random.default_rng(0)
    if ARGS.workload in ("resnet8", "lenet5"):
        from cnn_training import build_models

        make, shape = build_models(lib.nn)[ARGS.workload]
        model = make()
        images = lib.from_numpy(rng.standard_normal((64, *shape)).astype(np.float32))
        labels = lib.from_numpy(rng.integers(0, 10, 64).astype(np.int64))
        return model, model.parameters(), lambda: (model(images), labels)
    from lstm_training import RecurrentClassifier, _lstm_batches

    model = RecurrentClassifier(lib)
    tokens, target = _lstm_batches(lib, rng, 1)[0]
    return model, model.parameters(), lambda: (model(tokens), target)


def _step_fn(lib, parameters, forward):
    loss_fn = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(list(parameters), lr=0.01, momentum=0.9)

    def step():
        optimizer.zero_grad()
        logits, target = forward()
        loss_fn(logits, target).backward()
        optimizer.step()
    return step


class _ByteCounter:
    """A tracer for ``Function.apply``'s hook: bytes of every forward's array inputs and output, per kernel."""

    def __init__(self):
        self.bytes = defaultdict(int)

    def record(self, fn, attrs, inputs, out):
        total = out._data.nbytes + sum(t._data.nbytes for t in inputs if isinstance(t, tl.Tensor))
        self.bytes[type(fn).__name__] += total


def _kernel_methods() -> dict:
    """(file, line, name) of each kernel's forward/backward -> (kernel name, 'forward'|'backward')."""
    table, seen, todo = {}, set(), [_function.Function]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
                for phase in ("forward", "backward"):
                    method = sub.__dict__.get(phase)
                    if method is not None and inspect.isfunction(method):
                        code = method.__code__
                        table[(code.co_filename, code.co_firstlineno, code.co_name)] = (sub.__name__, phase)
    return table


def profile_tensorlib() -> None:
    model, parameters, forward = _workload(tl)
    step = _step_fn(tl, parameters, forward)
    step()  # warm-up
    counter = _ByteCounter()
    _function._tracers.append(counter)
    try:
        step()
    finally:
        _function._tracers.remove(counter)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(ARGS.steps):
        step()
    profiler.disable()
    wall = (time.perf_counter() - start) / ARGS.steps
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    methods = _kernel_methods()
    per_kernel = defaultdict(lambda: [0.0, 0.0])
    for key, (_, _, _, cumtime, _) in stats.items():
        if key in methods:
            name, phase = methods[key]
            per_kernel[name][phase == "backward"] += cumtime / ARGS.steps
    kernel_total = sum(f + b for f, b in per_kernel.values())
    print(f"\n### tensorlib {ARGS.workload}: {wall * 1e3:.1f} ms per step under cProfile "
          f"(kernels {kernel_total / wall:.0%} of it)\n")
    print("| kernel | forward ms | backward ms | share of step | MB touched per forward |")
    print("| --- | --- | --- | --- | --- |")
    rows = sorted(per_kernel.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
    for name, (fwd, bwd) in rows[:ARGS.top]:
        print(f"| {name} | {fwd * 1e3:.2f} | {bwd * 1e3:.2f} | {(fwd + bwd) / wall:.1%} | "
              f"{counter.bytes.get(name, 0) / 2 ** 20:.1f} |")
    rest = wall - kernel_total
    print(f"| (optimizer, autograd engine, Python) | | | {rest / wall:.1%} | |")


def profile_torch() -> None:
    try:
        import torch
    except ImportError:
        print("\n(PyTorch is not installed: its profile is skipped)")
        return
    torch.set_num_threads(ARGS.threads)
    model, parameters, forward = _workload(torch)
    step = _step_fn(torch, parameters, forward)
    step()
    start = time.perf_counter()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(ARGS.steps):
            step()
    wall = (time.perf_counter() - start) / ARGS.steps
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    events.sort(key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in events) / ARGS.steps / 1e6
    print(f"\n### PyTorch {ARGS.workload}: {wall * 1e3:.1f} ms per step under its profiler "
          f"(ops' self time {total * 1e3:.1f} ms)\n")
    print("| op | self ms per step | share of ops' time |")
    print("| --- | --- | --- |")
    for event in events[:ARGS.top]:
        ms = event.self_cpu_time_total / ARGS.steps / 1e3
        print(f"| {event.key} | {ms:.2f} | {ms / 1e3 / total:.1%} |")


if __name__ == "__main__":
    profile_tensorlib()
    profile_torch()
