"""Fine-tune a pretrained ImageNet model on your own images: freeze the backbone, train a new classifier.

    python examples/finetune.py --data-dir my_photos --epochs 5
    # my_photos/train/<class>/*.jpg (required) and my_photos/val/<class>/*.jpg (optional)

The backbone keeps torchvision's pretrained weights (downloaded once; TENSORLIB_HUB_MIRROR for offline
machines); only the replaced last layer (``fc`` of a ResNet, ``classifier[-1]`` otherwise) learns. Saves the
fine-tuned state_dict (pickle-free) and the class names to --out.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Timer, evaluate, fail, progress, save_checkpoint  # noqa: E402

import tensorlib.nn as nn  # noqa: E402
import tensorlib.optim as optim  # noqa: E402
from tensorlib.data import DataLoader  # noqa: E402
from tensorlib.vision import models, transforms  # noqa: E402
from tensorlib.vision.datasets import ImageFolder  # noqa: E402

MODELS = ("resnet18", "resnet34", "resnet50", "mobilenet_v2")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder with train/<class>/* and optionally val/<class>/*")
    parser.add_argument("--model", choices=MODELS, default="resnet18")
    parser.add_argument("--weights", default="DEFAULT", help="pretrained weights name (default: DEFAULT)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01, help="SGD learning rate of the new classifier")
    parser.add_argument("--image-size", type=int, default=224, help="training crop size (pixels)")
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--out", default="finetuned.pt", help="where to save the fine-tuned weights")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Swap the last Linear layer for a fresh one with ``num_classes`` outputs; return the new layer."""
    if hasattr(model, "fc"):
        model.fc = nn.Linear(model.fc.in_features, num_classes)
        return model.fc
    model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, num_classes)
    return model.classifier[-1]


def main(argv=None) -> dict:
    args = parse_args(argv)
    train_dir, val_dir = os.path.join(args.data_dir, "train"), os.path.join(args.data_dir, "val")
    if not os.path.isdir(train_dir):
        fail(f"{train_dir} does not exist: expected {args.data_dir}/train/<class>/<image>")
    weights = models.get_model_weights(args.model).verify(args.weights)
    preset = weights.transforms()
    normalize = transforms.Normalize(preset.mean, preset.std)
    train_set = ImageFolder(train_dir, transforms.Compose([
        transforms.RandomResizedCrop(args.image_size), transforms.RandomHorizontalFlip(), transforms.ToTensor(),
        normalize]))
    eval_transform = transforms.Compose([transforms.Resize(args.image_size * 256 // 224),
                                         transforms.CenterCrop(args.image_size), transforms.ToTensor(), normalize])
    val_set = ImageFolder(val_dir, eval_transform) if os.path.isdir(val_dir) else None
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.num_workers)
    val_loader = DataLoader(val_set, batch_size=args.batch_size) if val_set is not None else None

    try:
        model = models.get_model(args.model, weights=weights, progress=not args.no_progress)
    except RuntimeError as error:
        fail(str(error))
    for parameter in model.parameters():
        parameter.requires_grad = False
    head = replace_head(model, len(train_set.classes))
    optimizer = optim.SGD(head.parameters(), lr=args.lr, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss, batches = 0.0, 0
        with Timer() as timer:
            for images, labels in progress(train_loader, f"epoch {epoch}", enabled=not args.no_progress):
                optimizer.zero_grad()
                loss = criterion(model(images), labels)
                loss.backward()
                optimizer.step()
                total_loss += loss.item()
                batches += 1
        record = {"epoch": epoch, "train_loss": total_loss / max(batches, 1), "seconds": timer.seconds}
        if val_loader is not None:
            record["val_accuracy"] = evaluate(model, val_loader)[0]
        history.append(record)
        print(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
    save_checkpoint(args.out, model=model.state_dict(), classes=list(train_set.classes), arch=args.model)
    return {"history": history, "model": model, "checkpoint": args.out, "classes": train_set.classes}


if __name__ == "__main__":
    main()
