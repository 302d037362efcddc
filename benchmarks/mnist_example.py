"""Benchmark: ``examples/train_mnist.py`` (MLP) on the real MNIST against its PyTorch twin, end to end.

Runs, as subprocesses and alternating, ``examples/train_mnist.py --epochs N`` (tensorlib; data copied from
``--data`` via ``TENSORLIB_DATASETS_MIRROR`` into a temporary ``--data-dir``) and
``benchmarks/torch_train_mnist.py --epochs N`` (the same program written with torch, reading ``--data``
directly). Both get ``--threads`` threads: ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` in the child's
environment and ``torch.set_num_threads``. Reported per run: the training epoch(s) wall time (as printed by
each script: the training loop only, without test evaluation), the whole script's wall time (interpreter start
to exit: imports, data loading, training, evaluation, checkpoint) and the 1-minute load average after it. On a
shared machine another busy process makes both libraries' multi-threaded BLAS steps several times slower
(threads wait for a descheduled peer), so compare runs with similar load. The first tensorlib run also
decompresses the files into the temporary data dir and builds its array cache; later runs reuse them.

Run: ``python benchmarks/mnist_example.py [--data /work/shared/data/mnist] [--threads 2] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "examples", "train_mnist.py")
TWIN = os.path.join(HERE, "torch_train_mnist.py")
EPOCH_LINE = re.compile(r"^epoch \d+: .*test accuracy ([\d.]+)%\s+\(([\d.]+)s\)$", re.MULTILINE)
TARGET_RATIO = 1.3


def run_script(command: list[str], env: dict[str, str]) -> dict:
    """Run one training script; return its epoch seconds (summed), whole wall seconds and final accuracy."""
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr[-2000:]}")
    epochs = EPOCH_LINE.findall(result.stdout)
    if not epochs:
        raise RuntimeError(f"no 'epoch N: ... (Xs)' line in the output of {' '.join(command)}:\n"
                           f"{result.stdout}")
    return {"epoch": sum(float(seconds) for _, seconds in epochs), "wall": wall,
            "accuracy": float(epochs[-1][0])}


def child_env(threads: int, **extra: str) -> dict[str, str]:
    """The parent's environment with ``threads`` BLAS/OpenMP threads and ``extra`` (no inherited mirror)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    env.pop("TENSORLIB_DATASETS_MIRROR", None)
    env.update(extra)
    return env


def span(values: list[float], fmt: str = "{:.1f}") -> str:
    """``"low – high"`` of ``values`` (one number when they print the same)."""
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return low if low == high else f"{low} – {high}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/data/mnist",
                        help="folder with the four MNIST .gz files")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each script")
    args = parser.parse_args(argv)

    runs: dict[str, list[dict]] = {"tensorlib": [], "torch": []}
    with tempfile.TemporaryDirectory(prefix="mnist_example_") as tmp:
        commands = {
            "tensorlib": ([sys.executable, EXAMPLE, "--epochs", str(args.epochs), "--download",
                           "--no-progress", "--data-dir", os.path.join(tmp, "data"),
                           "--out-dir", os.path.join(tmp, "tl_out")],
                          child_env(args.threads, TENSORLIB_DATASETS_MIRROR=os.path.abspath(args.data))),
            "torch": ([sys.executable, TWIN, "--epochs", str(args.epochs), "--threads", str(args.threads),
                       "--data-dir", args.data, "--out-dir", os.path.join(tmp, "torch_out")],
                      child_env(args.threads)),
        }
        for repeat in range(1, args.repeats + 1):
            for name, (command, env) in commands.items():
                result = run_script(command, env)
                runs[name].append(result)
                print(f"run {repeat} {name:9s}: epoch {result['epoch']:6.1f}s  "
                      f"script {result['wall']:6.1f}s  "
                      f"test accuracy {result['accuracy']:.2f}%  (load average {os.getloadavg()[0]:.1f})",
                      flush=True)

    best = {name: (min(r["epoch"] for r in rs), min(r["wall"] for r in rs)) for name, rs in runs.items()}
    best_ratio = best["tensorlib"][0] / best["torch"][0]
    epoch_ratios = [tl["epoch"] / th["epoch"] for tl, th in zip(runs["tensorlib"], runs["torch"])]
    wall_ratios = [tl["wall"] / th["wall"] for tl, th in zip(runs["tensorlib"], runs["torch"])]
    print(f"\nMLP 784-128-64-10, Adam 1e-3, batch 64, {args.epochs} epoch(s) of real MNIST, "
          f"{args.threads} thread(s), {args.repeats} alternating runs\n")
    print("| | epoch s: best | epoch s: all runs | whole script s: best | whole script s: all runs |")
    print("|---|---|---|---|---|")
    for name, label in (("tensorlib", "tensorlib `examples/train_mnist.py`"),
                        ("torch", "PyTorch twin `benchmarks/torch_train_mnist.py`")):
        epochs, walls = [r["epoch"] for r in runs[name]], [r["wall"] for r in runs[name]]
        print(f"| {label} | {best[name][0]:.1f} | {span(epochs)} | {best[name][1]:.1f} | {span(walls)} |")
    print(f"| ratio tensorlib / PyTorch | **{best_ratio:.2f}x** | {span(epoch_ratios, '{:.2f}x')} (same run) | "
          f"{best['tensorlib'][1] / best['torch'][1]:.2f}x | {span(wall_ratios, '{:.2f}x')} (same run) |")
    verdict = "meets" if best_ratio <= TARGET_RATIO else "misses"
    print(f"\nepoch target <= {TARGET_RATIO}x (best of {args.repeats} each): {verdict} ({best_ratio:.2f}x); "
          f"worst same-run ratio {max(epoch_ratios):.2f}x")

if __name__ == "__main__":
    main()
