"""Benchmark: CNN training throughput and memory, tensorlib vs PyTorch CPU, in the same run.

Models (identical definitions for both frameworks, built from each one's ``nn``):
  * LeNet-5 on 1x28x28: conv 1->6 5x5 pad 2, relu, maxpool 2, conv 6->16 5x5, relu, maxpool 2, 400-120-84-10.
  * CIFAR ResNet-8 on 3x32x32: conv3x3 16 + BN + relu, three stages of one BasicBlock (16, 32, 64 channels,
    stride 1/2/2, 1x1 conv + BN shortcut when the shape changes), global average pool, linear 64->10.
  * CIFAR ResNet-20: the same with three BasicBlocks per stage (the examples' model, with conv shortcuts).
One training step = forward + cross-entropy + backward + SGD(momentum 0.9) step on a float32 batch of 64 random
images. Throughput is ``batch / median step time`` (robust to other processes stealing the CPU for a few
steps; the mean-based figure is printed too). Every (framework, model) pair runs in its own subprocess, so peak
RSS (``ru_maxrss``) is that loop's alone. Both get ``--threads`` threads (default 2): PyTorch via
``torch.set_num_threads``, NumPy's BLAS via ``OPENBLAS_NUM_THREADS`` in the child's environment.

Run: ``python benchmarks/cnn_training.py [--steps 30] [--batch 64] [--threads 2] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys


def build_models(nn):
    """LeNet-5 and ResNet-8 constructors written against a framework's ``nn`` namespace."""

    class BasicBlock(nn.Module):
        def __init__(self, in_planes: int, planes: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != planes:
                self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                                              nn.BatchNorm2d(planes))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    def lenet5():
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def cifar_resnet(blocks_per_stage: int):
        """ResNet-(6n+2) for CIFAR: n=1 is ResNet-8, n=3 ResNet-20 (1x1 conv shortcuts, He et al. option B)."""
        layers, in_planes = [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for block in range(blocks_per_stage):
                layers.append(BasicBlock(in_planes, planes, stride if block == 0 else 1))
                in_planes = planes
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    return {"lenet5": (lenet5, (1, 28, 28)), "resnet8": (lambda: cifar_resnet(1), (3, 32, 32)),
            "resnet20": (lambda: cifar_resnet(3), (3, 32, 32))}


def run_worker(framework: str, model_name: str, steps: int, batch: int, threads: int) -> dict:
    """Train ``model_name`` for ``steps`` timed steps (after 3 warm-up steps); return images/s and peak RSS."""
    from _classifier_steps import timed_steps

    if framework == "torch":
        import torch as fw

        fw.set_num_threads(threads)
    else:
        import tensorlib as fw
    fw.manual_seed(0)
    builder, image_shape = build_models(fw.nn)[model_name]
    model = builder()
    model.train()
    _, loss, times = timed_steps(fw, model, batch, image_shape, steps)
    median = statistics.median(times)
    return {"images_per_s": batch / median, "mean_images_per_s": steps * batch / sum(times),
            "ms_per_step": 1000 * median, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "loss": loss}


def run_in_subprocess(framework: str, model_name: str, steps: int, batch: int, threads: int) -> dict:
    # NumPy's BLAS reads its thread count at import time, so it is set in the child's environment
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    result = subprocess.run([sys.executable, __file__, "--worker", framework, model_name, "--steps", str(steps),
                             "--batch", str(batch), "--threads", str(threads)], capture_output=True, text=True,
                            check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and NumPy's BLAS threads")
    parser.add_argument("--repeats", type=int, default=1, help="runs per pair, interleaved; the best is shown")
    parser.add_argument("--models", nargs="+", default=["lenet5", "resnet8", "resnet20"],
                        choices=["lenet5", "resnet8", "resnet20"])
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.worker[0], args.worker[1], args.steps, args.batch, args.threads)))
        return
    print(f"batch {args.batch}, {args.steps} timed steps, float32, {args.threads} threads (torch intra-op and "
          f"NumPy BLAS), best of {args.repeats}")
    header = f"{'model':8} | {'tensorlib img/s':>15} | {'torch img/s':>11} | {'ratio':>5} | " \
             f"{'(mean-based)':>16} | {'tensorlib RSS MB':>16} | {'torch RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for model_name in args.models:
        runs = {"tensorlib": [], "torch": []}
        for _ in range(args.repeats):
            for framework in runs:
                runs[framework].append(run_in_subprocess(framework, model_name, args.steps, args.batch,
                                                         args.threads))
        ours, theirs = (max(r, key=lambda run: run["images_per_s"]) for r in runs.values())
        ratio = theirs["images_per_s"] / ours["images_per_s"]
        means = f"{ours['mean_images_per_s']:.0f} vs {theirs['mean_images_per_s']:.0f}"
        print(f"{model_name:8} | {ours['images_per_s']:15.0f} | {theirs['images_per_s']:11.0f} | {ratio:5.2f} | "
              f"{means:>16} | {ours['peak_rss_mb']:16.0f} | {theirs['peak_rss_mb']:12.0f}")


if __name__ == "__main__":
    main()
