"""Benchmark: larger CNN training (VGG-style, MobileNetV2), tensorlib vs PyTorch CPU, interleaved in one run.

The second CNN figure beside ``cnn_training.py``'s ResNet-8 (issue #18), so that one model's luck does not
decide how far from PyTorch convolution training is:

  * ``vgg11``: VGG-11 with batch norm at half width on 3x32x32, batch 64: conv3x3+BN+ReLU blocks of
    32, M, 64, M, 128, 128, M, 256, 256, M, 256, 256, M (M = 2x2 max-pool), then Linear 256->10.
  * ``mobilenet_v2``: ``tensorlib.vision.models.mobilenet_v2(num_classes=10, width_mult=--width, dropout=0)`` on
    3x64x64, batch 32, against a PyTorch twin with torchvision's exact layout and state_dict keys (built here
    from ``torch.nn``, since torchvision's wheel must match the installed torch build exactly). Its 17
    depthwise 3x3 convolutions (groups == channels) are what sets it apart from the dense CNNs.

Both frameworks start from the same weights (the tensorlib model's initial state_dict, copied into the twin)
and train on the same random batches, so their first losses agree (printed as a check). One step = forward +
cross-entropy + backward + SGD(lr 0.01, momentum 0.9). Each (repeat, framework) runs in a fresh subprocess
(3 warm-up steps, then ``--steps`` timed ones; its median step time counts); the frameworks alternate within a
repeat, and the reported figure is the median over ``--repeats`` of each, with the ratio tensorlib / PyTorch
step time (and the range of the per-repeat ratios). Both get ``--threads`` threads (``torch.set_num_threads``;
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` in the child's environment for NumPy's BLAS).

``--gemm-depthwise`` adds a third interleaved run, tensorlib with the depthwise kernel switched off (the
grouped-GEMM path of ``Convolution``, as before ``tensorlib/kernels/_depthwise.py``).

Run: ``python benchmarks/cnn_large_training.py [--models vgg11 mobilenet_v2] [--repeats 5] [--steps 10]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

WORKLOADS = {"vgg11": (64, (3, 32, 32)), "mobilenet_v2": (32, (3, 64, 64))}  # batch, image shape
VGG_CONFIG = (32, "M", 64, "M", 128, 128, "M", 256, 256, "M", 256, 256, "M")


def build_vgg(nn, config=VGG_CONFIG, num_classes: int = 10):
    """VGG with batch norm for 32x32 inputs (``features`` + ``classifier``), written against a framework's nn."""
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.BatchNorm2d(item), nn.ReLU()]
            channels = item
    return nn.Sequential(nn.Sequential(*layers), nn.Flatten(), nn.Linear(channels, num_classes))


def torch_mobilenet_v2(num_classes: int, width_mult: float):
    """torchvision's MobileNetV2 (same module tree, so the same state_dict keys), dropout 0, built on torch.nn."""
    import torch
    from torch import nn

    def divisible(v: float, divisor: int = 8) -> int:
        new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
        return new_v + divisor if new_v < 0.9 * v else new_v

    def conv_bn_relu6(inp: int, out: int, kernel: int = 3, stride: int = 1, groups: int = 1):
        return nn.Sequential(nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                             nn.BatchNorm2d(out), nn.ReLU6(inplace=True))

    class InvertedResidual(nn.Module):
        def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int):
            super().__init__()
            hidden = int(round(inp * expand_ratio))
            self.use_res_connect = stride == 1 and inp == oup
            layers = [conv_bn_relu6(inp, hidden, kernel=1)] if expand_ratio != 1 else []
            layers += [conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
                       nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
            self.conv = nn.Sequential(*layers)

        def forward(self, x):
            return x + self.conv(x) if self.use_res_connect else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self):
            super().__init__()
            channels, last = divisible(32 * width_mult), divisible(1280 * max(1.0, width_mult))
            features = [conv_bn_relu6(3, channels, stride=2)]
            for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                               (6, 160, 3, 2), (6, 320, 1, 1)):
                for i in range(n):
                    features.append(InvertedResidual(channels, divisible(c * width_mult), s if i == 0 else 1, t))
                    channels = divisible(c * width_mult)
            features.append(conv_bn_relu6(channels, last, kernel=1))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(p=0.0), nn.Linear(last, num_classes))

        def forward(self, x):
            x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
            return self.classifier(torch.flatten(x, 1))

    return MobileNetV2()


def build_model(framework: str, name: str, width: float):
    """The workload's model in ``framework`` ("tensorlib", "tensorlib-gemm" or "torch"), initialised with seed 0."""
    if framework == "torch":
        import torch as fw
    else:
        import tensorlib as fw
    fw.manual_seed(0)
    if name == "vgg11":
        return build_vgg(fw.nn)
    if framework == "torch":
        return torch_mobilenet_v2(10, width)
    from tensorlib.vision.models import mobilenet_v2

    return mobilenet_v2(num_classes=10, width_mult=width, dropout=0.0)


def save_initial_weights(name: str, width: float, path: str) -> None:
    """The tensorlib model's initial state_dict as an .npz: both frameworks' workers start from it."""
    import numpy as np

    state = build_model("tensorlib", name, width).state_dict()
    np.savez(path, **{key: value.numpy() for key, value in state.items()})


def run_worker(framework: str, name: str, width: float, weights: str, steps: int, threads: int) -> dict:
    """Train for ``steps`` timed steps after 3 warm-up steps; return the median step time and the first loss."""
    import numpy as np
    from _classifier_steps import timed_steps

    if framework == "torch":
        import torch as fw

        fw.set_num_threads(threads)
    else:
        import tensorlib as fw
    if framework == "tensorlib-gemm":  # the "before" of the depthwise kernel: Convolution's grouped-GEMM path
        from tensorlib.kernels import _depthwise

        _depthwise.applies = lambda *args: False
    model = build_model(framework, name, width)
    with np.load(weights) as state:
        model.load_state_dict({key: fw.from_numpy(state[key].copy()) for key in state.files})
    model.train()
    batch, shape = WORKLOADS[name]
    first_loss, _, times = timed_steps(fw, model, batch, shape, steps)
    return {"ms": 1000 * statistics.median(times), "first_loss": first_loss}


def run_in_subprocess(framework: str, name: str, width: float, weights: str, steps: int, threads: int) -> dict:
    # NumPy's BLAS reads its thread count at import time, so it is set in the child's environment
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    command = [sys.executable, os.path.abspath(__file__), "--worker", framework, name, "--weights", weights,
               "--width", str(width), "--steps", str(steps), "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(name: str, width: float, steps: int, repeats: int, threads: int, gemm: bool) -> dict:
    """Interleaved repeats of one workload; medians per framework and the ratios of each repeat."""
    runs = {"tensorlib": [], "torch": []}
    if gemm:
        runs["tensorlib-gemm"] = []
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "initial.npz")
        save_initial_weights(name, width, weights)
        for repeat in range(repeats):
            order = list(runs) if repeat % 2 == 0 else list(runs)[::-1]
            for framework in order:
                runs[framework].append(run_in_subprocess(framework, name, width, weights, steps, threads))
    ratios = [ours["ms"] / theirs["ms"] for ours, theirs in zip(runs["tensorlib"], runs["torch"])]
    ours_ms = statistics.median(run["ms"] for run in runs["tensorlib"])
    theirs_ms = statistics.median(run["ms"] for run in runs["torch"])
    result = {"tensorlib_ms": ours_ms, "torch_ms": theirs_ms, "ratio": ours_ms / theirs_ms,
              "ratio_range": (min(ratios), max(ratios)),
              "first_loss": (runs["tensorlib"][0]["first_loss"], runs["torch"][0]["first_loss"])}
    if gemm:
        result["gemm_ms"] = statistics.median(run["ms"] for run in runs["tensorlib-gemm"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--steps", type=int, default=10, help="timed steps per run (after 3 warm-up steps)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs per framework")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and NumPy's BLAS threads")
    parser.add_argument("--width", type=float, default=1.0, help="MobileNetV2 width multiplier")
    parser.add_argument("--gemm-depthwise", action="store_true",
                        help="also run tensorlib with the depthwise kernel off (grouped GEMMs, the before)")
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(*args.worker, args.width, args.weights, args.steps, args.threads)))
        return
    print(f"{args.steps} timed steps per run, medians of {args.repeats} interleaved runs, float32, {args.threads} "
          f"threads; MobileNetV2 width {args.width}")
    header = (f"{'model':12} | {'batch':>5} | {'tensorlib ms':>12} | {'torch ms':>8} | {'ratio':>5} | "
              f"{'per-run ratios':>14} | first loss (tensorlib, torch)")
    print(header)
    print("-" * len(header))
    for name in args.models:
        result = compare(name, args.width, args.steps, args.repeats, args.threads, args.gemm_depthwise)
        low, high = result["ratio_range"]
        line = (f"{name:12} | {WORKLOADS[name][0]:5} | {result['tensorlib_ms']:12.1f} | {result['torch_ms']:8.1f} | "
                f"{result['ratio']:5.2f} | {f'{low:.2f} - {high:.2f}':>14} | "
                f"{result['first_loss'][0]:.5f}, {result['first_loss'][1]:.5f}")
        if "gemm_ms" in result:
            gemm_ms = result["gemm_ms"]
            line += f" | grouped-GEMM depthwise: {gemm_ms:.1f} ms, {gemm_ms / result['torch_ms']:.2f}x"
        print(line, flush=True)


if __name__ == "__main__":
    main()
