"""Classify PNG digits with a traced MNIST model and the NumPy runtime alone: tensorlib is never imported.

    python examples/train_mnist.py --download --export mnist.tlj       # train, then trace and save
    python examples/serve_mnist.py mnist.tlj digit.png [more.png ...]

The runtime is one file (``tensorlib/jit/runtime.py``) loaded by path, exactly as a project that vendored it
would: pass ``--runtime path/to/runtime.py`` to use a copy. Images are read with Pillow, turned to 28x28
grayscale, inverted when they are dark digits on a light background (MNIST digits are light on dark) and
normalised as in training.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

import numpy as np
from PIL import Image

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
DEFAULT_RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tensorlib", "jit",
                               "runtime.py")


def load_runtime(path: str):
    """Import the runtime file as a stand-alone module (not as part of the tensorlib package)."""
    spec = importlib.util.spec_from_file_location("tlj_runtime", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_digit(path: str) -> np.ndarray:
    """A PNG as a normalised float32 (1, 28, 28) array."""
    with Image.open(path) as image:
        gray = image.convert("L")
        if gray.size != (28, 28):
            gray = gray.resize((28, 28), Image.BILINEAR)
        pixels = np.asarray(gray, dtype=np.float32) / 255.0
    if pixels.mean() > 0.5:  # dark ink on light paper
        pixels = 1.0 - pixels
    return ((pixels - MNIST_MEAN) / MNIST_STD)[None]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="a .tlj file written by train_mnist.py --export")
    parser.add_argument("images", nargs="+", help="PNG files, one digit each")
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME, help="path of the runtime file (vendored copy)")
    args = parser.parse_args(argv)
    runtime = load_runtime(args.runtime)
    try:
        program = runtime.load(args.model)
    except (OSError, runtime.CorruptFileError, runtime.UnsupportedOpError) as exc:
        print(f"error: cannot load {args.model}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    batch = np.stack([read_digit(path) for path in args.images])
    probabilities = softmax(program(batch))
    results = []
    for path, row in zip(args.images, probabilities):
        digit = int(row.argmax())
        results.append((path, digit, float(row[digit])))
        print(f"{path}: {digit} ({row[digit]:.1%})")
    return results


if __name__ == "__main__":
    main()
