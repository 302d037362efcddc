"""Train a CIFAR-10 classifier: ResNet-20 (default), ResNet-32/56, a small CNN or LeNet-style nets.

    python examples/train_cifar10.py --download --epochs 30
    python examples/train_cifar10.py --download --epochs 1 --limit-train-batches 50   # a quick run

RandomCrop(32, padding=4) + RandomHorizontalFlip + Normalize, SGD with momentum and a cosine learning-rate
schedule. Saves a pickle-free checkpoint after every epoch and a PNG grid of test predictions at the end.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Timer, evaluate, fail, per_class_metrics, progress, save_checkpoint  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.metrics as tm  # noqa: E402
import tensorlib.nn as nn  # noqa: E402
import tensorlib.optim as optim  # noqa: E402
from tensorlib.data import DataLoader  # noqa: E402
from tensorlib.datasets import CIFAR10  # noqa: E402
from tensorlib.vision import models, transforms  # noqa: E402
from tensorlib.vision.utils import save_prediction_grid  # noqa: E402

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
MODELS = {"resnet20": models.resnet20, "resnet32": models.resnet32, "resnet56": models.resnet56,
          "simplecnn": models.SimpleCNN}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="resnet20")
    parser.add_argument("--data-dir", default="data", help="dataset root (DATA_DIR/cifar-10-batches-py)")
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1, help="peak SGD learning rate (cosine-annealed)")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--limit-train-batches", type=int, default=None)
    parser.add_argument("--limit-test-batches", type=int, default=None)
    parser.add_argument("--out-dir", default="runs/cifar10")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


class _Limited:
    """Iterate only the first ``limit`` batches of a loader (for quick runs)."""

    def __init__(self, loader, limit):
        self.loader, self.limit = loader, limit

    def __iter__(self):
        for index, batch in enumerate(self.loader):
            if self.limit is not None and index >= self.limit:
                return
            yield batch

    def __len__(self):
        return len(self.loader) if self.limit is None else min(self.limit, len(self.loader))


def main(argv=None) -> dict:
    args = parse_args(argv)
    tl.manual_seed(args.seed)
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    try:
        train_set = CIFAR10(args.data_dir, train=True, transform=train_tf, download=args.download)
        test_set = CIFAR10(args.data_dir, train=False, transform=test_tf, download=args.download)
    except RuntimeError as exc:
        hint = "" if args.download else " (pass --download, or set TENSORLIB_DATASETS_MIRROR)"
        fail(f"CIFAR-10 is not available under {args.data_dir!r}: {str(exc).strip().splitlines()[0]}{hint}")
    generator = tl.Generator().manual_seed(args.seed)
    train_loader = _Limited(DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True,
                                       num_workers=args.num_workers, generator=generator), args.limit_train_batches)
    test_loader = _Limited(DataLoader(test_set, batch_size=500, num_workers=args.num_workers),
                           args.limit_test_batches)

    model = MODELS[args.model](num_classes=10)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay,
                          nesterov=True)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{len(train_set):,} training images, {len(train_loader)} batches per epoch")

    os.makedirs(args.out_dir, exist_ok=True)
    checkpoint = os.path.join(args.out_dir, f"{args.model}.pt")
    history, report = [], per_class_metrics(10)
    with Timer() as total:
        for epoch in range(1, args.epochs + 1):
            running, seen = 0.0, 0
            with Timer() as epoch_timer:
                for images, labels in progress(train_loader, f"epoch {epoch}/{args.epochs}", len(train_loader),
                                               enabled=not args.no_progress):
                    optimizer.zero_grad()
                    loss = criterion(model(images), labels)
                    loss.backward()
                    optimizer.step()
                    scheduler.step()
                    running += loss.item() * labels.size(0)
                    seen += labels.size(0)
            accuracy, predictions, targets = evaluate(model, test_loader,
                                                      report if epoch == args.epochs else None)
            history.append({"epoch": epoch, "train_loss": running / max(seen, 1), "test_accuracy": accuracy})
            print(f"epoch {epoch}: train loss {running / max(seen, 1):.4f}  test accuracy {accuracy:.2%}  "
                  f"lr {scheduler.get_last_lr()[0]:.4f}  ({epoch_timer.seconds:.0f}s, "
                  f"{seen / epoch_timer.seconds:.0f} images/s)")
            save_checkpoint(checkpoint, model=model.state_dict(), optimizer=optimizer.state_dict(),
                            scheduler=scheduler.state_dict(), epoch=epoch, rng=tl.get_rng_state(),
                            history=history)

    grid = os.path.join(args.out_dir, f"{args.model}_predictions.png")
    shown = min(32, len(test_set), len(predictions))
    images = tl.stack([test_set[i][0] for i in range(shown)])
    images = images * tl.tensor(STD).reshape(3, 1, 1) + tl.tensor(MEAN).reshape(3, 1, 1)
    save_prediction_grid(images, predictions[:shown], targets[:shown], grid, class_names=train_set.classes)
    per_class = report.compute()
    print(tm.format_classification_report(per_class, train_set.classes))
    print(f"done in {total.seconds:.0f}s: final test accuracy {history[-1]['test_accuracy']:.2%}")
    print(f"checkpoint: {checkpoint}\npredictions: {grid}")
    return {"history": history, "checkpoint": checkpoint, "grid": grid,
            "per_class": {name: value.tolist() for name, value in per_class.items()}}


if __name__ == "__main__":
    main()
