"""Benchmark: MobileNetV2's depthwise 3x3 convolutions alone, tensorlib vs PyTorch CPU, layer by layer.

The layers are read off ``tensorlib.vision.models.mobilenet_v2(width_mult=--width)`` on a batch of ``--batch``
3x``--size``x``--size`` images (a forward hook records every ``Conv2d`` with ``groups == in_channels``), so the
table is exactly the depthwise work of ``cnn_large_training.py``'s MobileNetV2 step. For each distinct layer
(input shape, stride) it times forward, and forward + backward (grad of input and weight), with ``conv2d`` of
each framework on the same float32 arrays: the median of ``--repeats`` calls, alternating the frameworks call by
call, and (unless ``--no-gemm``) the same call with the depthwise kernel of ``tensorlib/kernels/_depthwise.py``
switched off, i.e. ``Convolution``'s grouped-GEMM path (the "before"). ``n`` is how often the layer occurs in
the network; the last row is the sum over the network. Ratios are tensorlib / PyTorch time.

Run: ``python benchmarks/depthwise_conv.py [--threads 2] [--repeats 15]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _threads_from_argv(default: int = 2) -> int:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
    return default


THREADS = _threads_from_argv()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))  # read when NumPy is imported

import numpy as np  # noqa: E402
import torch  # noqa: E402

import tensorlib as tl  # noqa: E402
from tensorlib.kernels import _depthwise  # noqa: E402
from tensorlib.vision.models import mobilenet_v2  # noqa: E402


def depthwise_layers(width: float, batch: int, size: int) -> dict:
    """``{(input shape, stride): count}`` of the depthwise convolutions of MobileNetV2 on one batch."""
    model = mobilenet_v2(num_classes=10, width_mult=width)
    found: dict = {}

    def record(module, inputs, output):
        key = (tuple(inputs[0].shape), module.stride[0])
        found[key] = found.get(key, 0) + 1

    for module in model.modules():
        if isinstance(module, tl.nn.Conv2d) and module.groups > 1 and module.groups == module.in_channels:
            module.register_forward_hook(record)
    with tl.no_grad():
        model(tl.zeros(batch, 3, size, size))
    return found


def _timed(runners, repeats: int) -> list:
    """Median seconds of each runner over ``repeats`` rounds of calling them in turn (after one warm-up each)."""
    for runner in runners:
        runner()
    times = [[] for _ in runners]
    for _ in range(repeats):
        for runner, series in zip(runners, times):
            start = time.perf_counter()
            runner()
            series.append(time.perf_counter() - start)
    return [1000 * statistics.median(series) for series in times]


def _gemm_path(fn):
    """``fn`` run with the depthwise kernel switched off: Convolution's grouped-GEMM path (the "before")."""
    def run():
        saved = _depthwise.applies
        _depthwise.applies = lambda *args: False
        try:
            fn()
        finally:
            _depthwise.applies = saved
    return run


def measure(shape, stride: int, repeats: int, gemm: bool) -> dict:
    """Forward and forward+backward milliseconds of one depthwise layer in both frameworks."""
    rng = np.random.default_rng(0)
    c = shape[1]
    x_np = rng.standard_normal(shape, dtype=np.float32)
    w_np = rng.standard_normal((c, 1, 3, 3), dtype=np.float32)
    g_np = rng.standard_normal((shape[0], c, (shape[2] - 1) // stride + 1, (shape[3] - 1) // stride + 1),
                               dtype=np.float32)
    tx, tw = tl.from_numpy(x_np).requires_grad_(), tl.from_numpy(w_np).requires_grad_()
    px, pw = torch.from_numpy(x_np).requires_grad_(), torch.from_numpy(w_np).requires_grad_()
    tg, pg = tl.from_numpy(g_np), torch.from_numpy(g_np)

    def forward(lib, x, w):
        with lib.no_grad():
            lib.nn.functional.conv2d(x, w, stride=stride, padding=1, groups=c)

    def train(lib, x, w, g):
        x.grad = w.grad = None
        lib.nn.functional.conv2d(x, w, stride=stride, padding=1, groups=c).backward(g)

    fwd = [lambda: forward(tl, tx, tw), lambda: forward(torch, px, pw)]
    both = [lambda: train(tl, tx, tw, tg), lambda: train(torch, px, pw, pg)]
    if gemm:
        fwd.append(_gemm_path(fwd[0]))
        both.append(_gemm_path(both[0]))
    return {"fwd": _timed(fwd, repeats), "train": _timed(both, repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0, help="MobileNetV2 width multiplier")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=64, help="input image side")
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per framework and layer")
    parser.add_argument("--threads", type=int, default=THREADS, help="torch.set_num_threads and NumPy's BLAS")
    parser.add_argument("--no-gemm", action="store_true", help="skip timing the grouped-GEMM path (the before)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    layers = depthwise_layers(args.width, args.batch, args.size)
    print(f"MobileNetV2 width {args.width}, batch {args.batch}, {args.size}x{args.size}: depthwise 3x3 layers, "
          f"float32, {args.threads} threads, median of {args.repeats} alternating calls (ms)")
    gemm = not args.no_gemm and hasattr(_depthwise, "applies")
    columns = ["tensorlib", "torch"] + (["gemm path"] if gemm else [])
    header = f"{'input (N, C, H, W)':18} | {'s':>1} | {'n':>2} | " + " | ".join(
        [f"{'fwd ' + name:>14}" for name in columns] + [f"{'fwd+bwd ' + name:>18}" for name in columns]
        + ["ratio fwd", "ratio fwd+bwd"] + (["gemm ratio fwd+bwd"] if gemm else []))
    print(header)
    print("-" * len(header))
    total = np.zeros(2 * len(columns))
    for (shape, stride), count in layers.items():
        result = measure(shape, stride, args.repeats, gemm)
        row = np.array(result["fwd"] + result["train"])
        total += count * row
        print(_row(str(shape), str(stride), str(count), row, len(columns)), flush=True)
    print(_row("network total", "", str(sum(layers.values())), total, len(columns)))


def _row(name: str, stride: str, count: str, row, width: int) -> str:
    """Times (fwd per column, then fwd+bwd per column) and the ratios to PyTorch of each tensorlib path."""
    cells = [f"{value:14.2f}" for value in row[:width]] + [f"{value:18.2f}" for value in row[width:]]
    cells += [f"{row[0] / row[1]:9.2f}", f"{row[width] / row[width + 1]:13.2f}"]
    if width == 3:
        cells.append(f"{row[5] / row[4]:18.2f}")
    return f"{name:18} | {stride:>1} | {count:>2} | " + " | ".join(cells)


if __name__ == "__main__":
    main()
