"""Issue #18's floor: how much of each training step its matrix products alone take in NumPy's BLAS.

    python benchmarks/matmul_floor.py [--workloads mlp lenet5 resnet8 resnet20 lstm] [--repeats 5] [--threads 2]
                                      [--plot floor.png]

A step cannot run faster than the matrix products its maths needs. This lists those products for each workload
in their fewest, largest form (one GEMM per layer and pass: a layer's forward, its weight gradient and, unless it
reads the input batch, its input gradient; a convolution's as the im2col GEMM, its input gradient of a stride-1
layer either the col2im GEMM or the full convolution's, an LSTM's as one product per time step each way and one
for the weights), times each alone in its fastest form and orientation (``A @ B`` or ``(B^T @ A^T)`` from
contiguous copies made beforehand: no copy, window or transpose is counted) in NumPy's BLAS, and the same shapes
in PyTorch (``torch.mm``, its MKL). Beside them, both libraries' whole steps (``training_targets.py``'s
interleaved rounds, each library in its own process). What the table says per workload:

* **products alone**: the floor of a tensorlib step, as a share of PyTorch's whole step;
* **left at the target**: the issue's bound on tensorlib's step minus that floor, the time everything else (the
  non-GEMM kernels, im2col windows, autograd, optimizer) may take; beside it what everything else takes now.

The floor leaves out every cost but the products, so it is optimistic: the target is out of reach wherever the
rest would have to shrink far below what its NumPy formulation needs (see benchmarks/README.md, "Issue #18:
the floor"). ``--plot`` draws each tensorlib step as its products plus the rest, in units of PyTorch's step (PNG).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from functools import partial

from _isolated import Isolated
from inference import median_seconds

# (cin, cout, kernel, stride, padding, input size): the convolutions of cnn_training.py's models
_LENET_CONVS = [(1, 6, 5, 1, 2, 28), (6, 16, 5, 1, 0, 14)]


def _resnet_convs(blocks_per_stage: int) -> list:
    convs, planes_in, size = [(3, 16, 3, 1, 1, 32)], 16, 32
    for planes, stride in ((16, 1), (32, 2), (64, 2)):
        for block in range(blocks_per_stage):
            s = stride if block == 0 else 1
            convs.append((planes_in, planes, 3, s, 1, size))
            convs.append((planes, planes, 3, 1, 1, size // s))
            if s != 1 or planes_in != planes:
                convs.append((planes_in, planes, 1, s, 0, size))
            planes_in, size = planes, size // s
    return convs


def _linear_products(batch: int, sizes: list, first_reads_input: bool = True) -> list:
    """Forward, weight gradient, and the input gradient of every layer but a first one that reads the batch."""
    products = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        products += [((batch, fan_in, fan_out),), ((fan_out, batch, fan_in),)]
        if i or not first_reads_input:
            products.append(((batch, fan_out, fan_in),))
    return products


def _conv_products(batch: int, convs: list) -> list:
    products = []
    for i, (cin, cout, kernel, stride, padding, size) in enumerate(convs):
        columns = batch * ((size + 2 * padding - kernel) // stride + 1) ** 2
        depth = cin * kernel * kernel
        products += [((cout, depth, columns),), ((cout, columns, depth),)]
        if i:  # the first convolution reads the images: no input gradient
            col2im = (depth, cout, columns)  # then the windows' gradients summed back
            full = (cin, cout * kernel * kernel, batch * size * size)  # the flipped kernel over the padded gradient
            products.append((col2im, full) if stride == 1 else (col2im,))
    return products


def _lstm_products(batch: int = 64, steps: int = 50, features: int = 64, hidden: int = 128) -> list:
    """lstm_training.py's Embedding -> LSTM -> Linear(128, 4): per step ``[W_hh | W_ih | b] @ [h; x_t; 1]``
    forward and ``[W_hh | W_ih]^T @ d_gates`` backward, one weight-gradient product over all steps."""
    gates, width = 4 * hidden, hidden + features + 1
    return ([((gates, width, batch),)] * steps + [((hidden + features, gates, batch),)] * steps
            + [((gates, steps * batch, width),)] + _linear_products(batch, [hidden, 4]))


def products(name: str) -> list:
    """The matrix products of one training step of workload ``name``, with repeats: each a tuple of the shapes
    (m, k, n) of ``(m, k) @ (k, n)`` it can take (the fastest counts)."""
    if name == "mlp":
        return _linear_products(128, [784, 256, 128, 10])
    if name == "lenet5":
        return _conv_products(64, _LENET_CONVS) + _linear_products(64, [400, 120, 84, 10], False)
    if name == "resnet8":
        return _conv_products(64, _resnet_convs(1)) + _linear_products(64, [64, 10], False)
    if name == "resnet20":
        return _conv_products(128, _resnet_convs(3)) + _linear_products(128, [64, 10], False)
    if name == "lstm":
        return _lstm_products()
    raise ValueError(f"no product list for workload {name!r}")


class _ProductTimes:
    """Seconds of each distinct product of ``names``' workloads in one library (built in its own process):
    ``info`` maps workload -> summed seconds of its products, each at its faster orientation."""

    def __init__(self, library: str, names: list, threads: int, repeats: int) -> None:
        import numpy as np

        if library == "torch":
            import torch

            torch.set_num_threads(threads)

            def pair(m, k, n):  # ((m, k), (k, n)) and the transposed problem's operands, contiguous
                a, b = torch.randn(m, k), torch.randn(k, n)
                return (a, b), (b.t().contiguous(), a.t().contiguous())

            multiply = torch.mm
        else:
            import tensorlib

            tensorlib.set_num_threads(threads)
            rng = np.random.default_rng(0)

            def pair(m, k, n):
                a = rng.standard_normal((m, k), dtype=np.float32)
                b = rng.standard_normal((k, n), dtype=np.float32)
                return (a, b), (np.ascontiguousarray(b.T), np.ascontiguousarray(a.T))

            multiply = np.matmul
        seconds = {}
        for shape in sorted({shape for name in names for forms in products(name) for shape in forms}):
            straight, transposed = pair(*shape)
            seconds[shape] = min(median_seconds(partial(multiply, *operands), 0.0, repeats)
                                 for operands in (straight, transposed))
        self.info = {name: sum(min(seconds[shape] for shape in forms) * count
                               for forms, count in Counter(products(name)).items()) for name in names}

    def run(self, steps: int) -> float:
        return 0.0


def table(rows: list) -> str:
    lines = ["| workload | target | PyTorch step ms | tensorlib step ms (ratio) | products alone, NumPy ms (of "
             "PyTorch's step) | same products, PyTorch ms | left for the rest at the target ms | tensorlib's "
             "rest now ms | the rest must shrink to |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        left = r["target"] * r["torch_ms"] - r["numpy_products_ms"]
        rest = r["tensorlib_ms"] - r["numpy_products_ms"]
        shrink = "impossible" if left <= 0 else f"{100 * left / rest:.0f}%"
        lines.append(f"| {r['title']} | <= {r['target']:.2f}x | {r['torch_ms']:.2f} | {r['tensorlib_ms']:.2f} "
                     f"({r['ratio']:.2f}x) | {r['numpy_products_ms']:.2f} "
                     f"({r['numpy_products_ms'] / r['torch_ms']:.2f}x) | {r['torch_products_ms']:.2f} | "
                     f"{left:.2f} | {rest:.2f} | {shrink} |")
    return "\n".join(lines)


def plot(rows: list, path: str) -> None:
    """One bar per workload, tensorlib's step over PyTorch's: the products alone (dark) then the rest (light);
    the target as a black tick, PyTorch's step (1x) as a grey line; PNG."""
    from _ratio_chart import RatioChart

    high = max(2.0, max(r["ratio"] for r in rows) * 1.1)
    chart = RatioChart("tensorlib step / PyTorch step: matrix products alone (dark) + everything else (light); "
                       "black tick: issue #18's target", len(rows), high, row_height=34, top=44, right_margin=90,
                       mark_one=True)
    draw, bottom = chart.draw, chart.row_height - 6
    for i, r in enumerate(rows):
        y, floor = chart.y(i), r["numpy_products_ms"] / r["torch_ms"]
        chart.text(10, i, r["title"])
        draw.rectangle([chart.x(0), y + 6, chart.x(floor), y + bottom], fill=(50, 90, 160))
        draw.rectangle([chart.x(floor), y + 6, chart.x(r["ratio"]), y + bottom], fill=(160, 190, 230))
        target = chart.x(r["target"])
        draw.line([(target, y + 2), (target, y + chart.row_height - 2)], fill="black", width=3)
        chart.text(chart.x(r["ratio"]) + 6, i, f"{r['ratio']:.2f}x")
    chart.save(path)


def main() -> None:
    import training_targets

    names = ["mlp", "lenet5", "resnet8", "resnet20", "lstm"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=names, choices=names)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved step rounds per library (>= 5)")
    parser.add_argument("--product-repeats", type=int, default=15, help="timings of each product (median)")
    parser.add_argument("--threads", type=int, default=2, help="threads of both libraries (BLAS, intra-op)")
    parser.add_argument("--plot", metavar="PNG", help="draw the steps as products + rest into this file")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401  (only to know whether the reference is there; the sides import it)
    except ImportError:
        sys.exit("matmul_floor.py compares with PyTorch: pip install torch (CPU)")
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    print(f"{args.threads} threads each; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    floors = {}
    for library in ("tensorlib", "torch"):
        side = Isolated(_ProductTimes, library, args.workloads, args.threads, args.product_repeats)
        floors[library] = side.info
        side.close()
    rows = []
    for name in args.workloads:
        result = training_targets.measure(name, args.repeats, args.threads)
        result["numpy_products_ms"] = 1e3 * floors["tensorlib"][name]
        result["torch_products_ms"] = 1e3 * floors["torch"][name]
        rows.append(result)
        print(f"  {result['title']}: step {result['ratio']:.2f}x, products alone "
              f"{result['numpy_products_ms'] / result['torch_ms']:.2f}x of PyTorch's step", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    print(table(rows))
    if args.plot:
        plot(rows, args.plot)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
