"""Classify an image with a pretrained ImageNet model (ResNet-18 by default) and print the top-5 classes.

    python examples/classify_image.py photo.jpg
    python examples/classify_image.py photo.jpg --model mobilenet_v2 --weights IMAGENET1K_V2 --topk 3

The weights are torchvision's, downloaded once into ~/.cache/tensorlib/hub/checkpoints (TENSORLIB_HOME moves
it). Offline: put the .pth files in a folder and set TENSORLIB_HUB_MIRROR to it. Preprocessing is the
weights' own transforms() (resize, center crop, normalize), exactly as torchvision does it.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import fail  # noqa: E402

import tensorlib as tl  # noqa: E402
from tensorlib.vision import models  # noqa: E402

MODELS = ("resnet18", "resnet34", "resnet50", "mobilenet_v2", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
          "vgg16_bn")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("image", help="path of an image file (any format PIL reads)")
    parser.add_argument("--model", choices=MODELS, default="resnet18")
    parser.add_argument("--weights", default="DEFAULT", help="weights name, e.g. IMAGENET1K_V1 (default: DEFAULT)")
    parser.add_argument("--topk", type=int, default=5)
    parser.add_argument("--no-progress", action="store_true", help="no download progress bar")
    return parser.parse_args(argv)


def classify(image_path: str, model_name: str = "resnet18", weights_name: str = "DEFAULT", topk: int = 5,
             progress: bool = True) -> list[tuple[str, float]]:
    """``topk`` (class name, probability) pairs for the image, most likely first."""
    from PIL import Image

    weights = models.get_model_weights(model_name).verify(weights_name)
    if weights.meta["categories"] is None:
        fail(f"{weights} has no classifier (feature-extraction weights); choose another --weights")
    model = models.get_model(model_name, weights=weights, progress=progress).eval()
    preprocess = weights.transforms()
    with Image.open(image_path) as img:
        batch = preprocess(img.convert("RGB")).unsqueeze(0)
    with tl.no_grad():
        probabilities = model(batch).softmax(dim=1)[0]
    values, indices = probabilities.topk(topk)
    categories = weights.meta["categories"]
    return [(categories[i], p) for i, p in zip(indices.tolist(), values.tolist())]


def main(argv=None) -> list[tuple[str, float]]:
    args = parse_args(argv)
    if not os.path.isfile(args.image):
        fail(f"no such image: {args.image}")
    try:
        top = classify(args.image, args.model, args.weights, args.topk, progress=not args.no_progress)
    except (RuntimeError, KeyError) as error:
        fail(str(error))
    for rank, (name, probability) in enumerate(top, 1):
        print(f"{rank}. {name:<30} {100 * probability:6.2f}%")
    return top


if __name__ == "__main__":
    main()
