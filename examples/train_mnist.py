"""Train an MNIST classifier: the classic 784-128-64-10 MLP, or LeNet-5 with ``--model lenet``.

    python examples/train_mnist.py --download                       # MLP, 3 epochs
    python examples/train_mnist.py --model lenet --epochs 3 --download
    TENSORLIB_DATASETS_MIRROR=/path/to/mnist python examples/train_mnist.py --download   # local copy

Prints test accuracy after every epoch and a per-class report (precision/recall/F1, confusion matrix from
tensorlib.metrics) at the end, then writes a pickle-free checkpoint and a PNG grid of test images
with predicted and true labels to ``--out-dir``. ``--export model.tlj`` also saves the trained model as a traced
graph that ``examples/serve_mnist.py`` runs with NumPy alone; ``--export-onnx model.onnx`` writes it as ONNX.
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
from tensorlib.datasets import MNIST  # noqa: E402
from tensorlib.vision import transforms  # noqa: E402
from tensorlib.vision.models import LeNet5  # noqa: E402
from tensorlib.vision.utils import save_prediction_grid  # noqa: E402


class MLP(nn.Module):
    """The classic PyTorch beginner network: 784 -> 128 -> 64 -> 10 with ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = tl.relu(self.fc1(x))
        x = tl.relu(self.fc2(x))
        return self.fc3(x)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["mlp", "lenet"], default="mlp")
    parser.add_argument("--data-dir", default="data", help="dataset root (files in DATA_DIR/MNIST/raw)")
    parser.add_argument("--download", action="store_true", help="download (or copy from a mirror) if missing")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--limit-train-batches", type=int, default=None, help="stop each epoch early (quick runs)")
    parser.add_argument("--out-dir", default="runs/mnist")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--export", metavar="PATH", help="save the trained model traced (.tlj, tensorlib.jit)")
    parser.add_argument("--export-onnx", metavar="PATH", help="export the trained model to ONNX (needs onnx)")
    return parser.parse_args(argv)


def export(model, test_set, args) -> None:
    """Trace the trained model on a few normalised test images; write the .tlj and/or ONNX file."""
    example = tl.stack([test_set[i][0] for i in range(min(4, len(test_set)))])
    model.eval()
    if args.export:
        tl.jit.save(tl.jit.trace(model, example), args.export)
        print(f"traced model: {args.export} (python examples/serve_mnist.py {args.export} digit.png)")
    if args.export_onnx:
        tl.onnx.export(model, (example,), args.export_onnx, input_names=["image"], output_names=["logits"],
                       dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        print(f"ONNX model: {args.export_onnx}")


def load_data(args):
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    try:
        train_set = MNIST(args.data_dir, train=True, transform=transform, download=args.download)
        test_set = MNIST(args.data_dir, train=False, transform=transform, download=args.download)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        hint = "" if args.download else (" (pass --download, or set TENSORLIB_DATASETS_MIRROR to a folder of the "
                                         ".gz files)")
        fail(f"MNIST is not available under {args.data_dir!r}: {first}{hint}")
    generator = tl.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.num_workers,
                              generator=generator)
    test_loader = DataLoader(test_set, batch_size=1000, num_workers=args.num_workers)
    return train_set, test_set, train_loader, test_loader


def main(argv=None) -> dict:
    args = parse_args(argv)
    tl.manual_seed(args.seed)
    _, test_set, train_loader, test_loader = load_data(args)
    model = MLP() if args.model == "mlp" else LeNet5(num_classes=10, in_channels=1)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{len(train_loader.dataset):,} training images")

    history, report = [], per_class_metrics(10)
    with Timer() as total:
        for epoch in range(1, args.epochs + 1):
            running, seen = 0.0, 0
            with Timer() as epoch_timer:
                batches = progress(train_loader, f"epoch {epoch}/{args.epochs}", enabled=not args.no_progress)
                for step, (images, labels) in enumerate(batches):
                    if args.limit_train_batches is not None and step >= args.limit_train_batches:
                        break
                    optimizer.zero_grad()
                    loss = criterion(model(images), labels)
                    loss.backward()
                    optimizer.step()
                    running += loss.item() * labels.size(0)
                    seen += labels.size(0)
            accuracy, predictions, targets = evaluate(model, test_loader,
                                                      report if epoch == args.epochs else None)
            history.append({"epoch": epoch, "train_loss": running / max(seen, 1), "test_accuracy": accuracy})
            print(f"epoch {epoch}: train loss {running / max(seen, 1):.4f}  test accuracy {accuracy:.2%}  "
                  f"({epoch_timer.seconds:.1f}s)")

    os.makedirs(args.out_dir, exist_ok=True)
    checkpoint = os.path.join(args.out_dir, f"{args.model}.pt")
    save_checkpoint(checkpoint, model=model.state_dict(), optimizer=optimizer.state_dict(), epoch=args.epochs,
                    args=vars(args), history=history, rng=tl.get_rng_state())
    grid = os.path.join(args.out_dir, f"{args.model}_predictions.png")
    shown = min(32, len(test_set))
    images = tl.stack([test_set[i][0] for i in range(shown)]) * 0.3081 + 0.1307
    save_prediction_grid(images, predictions[:shown], targets[:shown], grid)
    wrong = sum(p != t for p, t in zip(predictions, targets))
    per_class = report.compute()
    print(tm.format_classification_report(per_class, test_set.classes))
    print(f"done in {total.seconds:.1f}s: final test accuracy {history[-1]['test_accuracy']:.2%} "
          f"({wrong} of {len(targets)} test images wrong)")
    print(f"checkpoint: {checkpoint}\npredictions: {grid}")
    export(model, test_set, args)
    return {"history": history, "checkpoint": checkpoint, "grid": grid,
            "per_class": {name: value.tolist() for name, value in per_class.items()}}


if __name__ == "__main__":
    main()
