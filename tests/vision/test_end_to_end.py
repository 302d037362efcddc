"""End to end: MNIST-format files -> MNIST dataset -> transforms -> DataLoader -> LeNet5 -> loss falls."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.optim as optim
from tensorlib.data import DataLoader
from tensorlib.datasets import MNIST
from tensorlib.vision import transforms
from tensorlib.vision.models import LeNet5

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "datasets"))
from dataset_files import idx_bytes  # noqa: E402


def _learnable_digits(n: int, seed: int):
    """Images whose label is written in them: a bright bar at a label-dependent row."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 255
    return images, labels


def test_lenet_trains_on_generated_mnist(tmp_path, monkeypatch):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    train_images, train_labels = _learnable_digits(256, 0)
    test_images, test_labels = _learnable_digits(64, 1)
    files = {"train-images-idx3-ubyte": train_images, "train-labels-idx1-ubyte": train_labels,
             "t10k-images-idx3-ubyte": test_images, "t10k-labels-idx1-ubyte": test_labels}
    for name, array in files.items():
        (raw / name).write_bytes(idx_bytes(array))
    monkeypatch.setattr(MNIST, "resources", [(name + ".gz", None, None) for name in files])
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = MNIST(str(tmp_path), train=True, transform=transform)
    loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=tl.Generator().manual_seed(0))

    tl.manual_seed(0)
    model = LeNet5(num_classes=10, in_channels=1)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(3):
        for images, labels in loader:
            assert images.shape[1:] == (1, 28, 28) and images.dtype == tl.float32
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[-4:]) < 0.5 * np.mean(losses[:4])

    test_set = MNIST(str(tmp_path), train=False, transform=transform)
    model.eval()
    with tl.no_grad():
        images = tl.stack([test_set[i][0] for i in range(len(test_set))])
        predicted = model(images).argmax(1)
    accuracy = (predicted == test_set.targets).float().mean().item()
    assert accuracy > 0.8
