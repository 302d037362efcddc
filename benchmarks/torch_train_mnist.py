"""PyTorch twin of ``examples/train_mnist.py`` (MLP only): the same program written with ``torch``.

MLP 784-128-64-10 with ReLU, ``Adam(lr=1e-3)``, batch 64 shuffled, ``CrossEntropyLoss``, test evaluation in
batches of 1000, ``torch.utils.data.DataLoader`` with ``num_workers=0``. torchvision is not needed: a minimal
idx-gz reader (NumPy + gzip) stands in for ``torchvision.datasets.MNIST`` and, like it, returns a PIL image
('L') per item; the per-sample transform is torchvision's ``ToTensor`` + ``Normalize((0.1307,), (0.3081,))``
written out in torch. Prints the same lines as the example, so ``benchmarks/mnist_example.py`` parses both.

    python benchmarks/torch_train_mnist.py --data-dir /work/shared/data/mnist --epochs 1
"""

from __future__ import annotations

import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from PIL import Image
from torch.utils.data import DataLoader, Dataset

MEAN, STD = (0.1307,), (0.3081,)


def read_idx(path: str) -> np.ndarray:
    """The array in an idx ``.gz`` file (uint8 payload): ``(N,)`` labels or ``(N, rows, cols)`` images."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


class MNIST(Dataset):
    """MNIST from ``root/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``; items ``(transform(img), int)``.

    Stores ``data`` (uint8 ``(N, 28, 28)``) and ``targets`` (int64 ``(N,)``) as torch tensors and builds the
    PIL image per item, as torchvision's MNIST does.
    """

    def __init__(self, root: str, train: bool = True, transform=None):
        prefix = "train" if train else "t10k"
        self.data = torch.from_numpy(read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")).copy())
        labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"))
        self.targets = torch.from_numpy(labels.astype(np.int64))
        self.transform = transform

    def __getitem__(self, index: int):
        img, target = self.data[index], int(self.targets[index])
        img = Image.fromarray(img.numpy(), mode="L")
        if self.transform is not None:
            img = self.transform(img)
        return img, target

    def __len__(self) -> int:
        return len(self.data)


def to_tensor(pic: Image.Image) -> torch.Tensor:
    """torchvision ``ToTensor`` for an 'L' image: float32 ``(1, H, W)`` in [0, 1]."""
    img = torch.from_numpy(np.array(pic, np.uint8, copy=True))
    img = img.view(pic.size[1], pic.size[0], len(pic.getbands())).permute((2, 0, 1)).contiguous()
    return img.to(dtype=torch.get_default_dtype()).div(255)


def normalize(tensor: torch.Tensor) -> torch.Tensor:
    """torchvision ``Normalize(MEAN, STD)`` (not in place): ``(tensor - mean) / std`` per channel."""
    tensor = tensor.clone()
    mean = torch.as_tensor(MEAN, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
    std = torch.as_tensor(STD, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def transform(pic: Image.Image) -> torch.Tensor:
    return normalize(to_tensor(pic))


class MLP(nn.Module):
    """The classic PyTorch beginner network: 784 -> 128 -> 64 -> 10 with ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, list, list]:
    """Accuracy of ``model`` on ``loader``; also returns all predictions and targets."""
    model.eval()
    correct, total, predictions, targets = 0, 0, [], []
    with torch.no_grad():
        for images, labels in loader:
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            predictions += predicted.tolist()
            targets += labels.tolist()
    model.train()
    return correct / max(total, 1), predictions, targets


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="/work/shared/data/mnist", help="folder of the four .gz files")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--out-dir", default="runs/mnist_torch")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_set = MNIST(args.data_dir, train=True, transform=transform)
    test_set = MNIST(args.data_dir, train=False, transform=transform)
    generator = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=0,
                              generator=generator)
    test_loader = DataLoader(test_set, batch_size=1000, num_workers=0)
    model = MLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    print(f"mlp: {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{len(train_loader.dataset):,} training images")

    history = []
    total_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        running, seen = 0.0, 0
        epoch_start = time.perf_counter()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.size(0)
            seen += labels.size(0)
        epoch_seconds = time.perf_counter() - epoch_start
        accuracy, predictions, targets = evaluate(model, test_loader)
        history.append({"epoch": epoch, "train_loss": running / max(seen, 1), "test_accuracy": accuracy})
        print(f"epoch {epoch}: train loss {running / max(seen, 1):.4f}  test accuracy {accuracy:.2%}  "
              f"({epoch_seconds:.1f}s)")

    os.makedirs(args.out_dir, exist_ok=True)
    checkpoint = os.path.join(args.out_dir, "mlp.pt")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args.epochs,
                "history": history}, checkpoint)
    wrong = sum(p != t for p, t in zip(predictions, targets))
    print(f"done in {time.perf_counter() - total_start:.1f}s: final test accuracy "
          f"{history[-1]['test_accuracy']:.2%} ({wrong} of {len(targets)} test images wrong)")
    print(f"checkpoint: {checkpoint}")
    return {"history": history, "checkpoint": checkpoint}


if __name__ == "__main__":
    main()
