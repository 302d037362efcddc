"""examples/lightning_mnist.py end to end on generated MNIST-format files (learnable bar digits) served from a
local mirror: it learns, writes Lightning's log layout and checkpoints, and resumes with --resume."""

from __future__ import annotations

import csv
import gzip
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "datasets"))
sys.path.insert(0, str(ROOT / "tests" / "lightning"))
sys.path.insert(0, str(ROOT / "examples"))

from bar_digits import bar_digits  # noqa: E402
from dataset_files import idx_bytes, md5_of  # noqa: E402


@pytest.fixture
def mnist_mirror(tmp_path, monkeypatch):
    from tensorlib.datasets import MNIST

    train_images, train_labels = bar_digits(600, seed=0)
    test_images, test_labels = bar_digits(200, seed=1)
    arrays = {"train-images-idx3-ubyte": train_images, "train-labels-idx1-ubyte": train_labels,
              "t10k-images-idx3-ubyte": test_images, "t10k-labels-idx1-ubyte": test_labels}
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    resources = []
    for name, array in arrays.items():
        raw = idx_bytes(array)
        packed = gzip.compress(raw, mtime=0)
        (mirror / (name + ".gz")).write_bytes(packed)
        resources.append((name + ".gz", md5_of(packed), md5_of(raw)))
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setenv("TENSORLIB_DATASETS_MIRROR", str(mirror))
    return tmp_path


def test_lightning_mnist_example_learns_logs_and_resumes(mnist_mirror, capsys):
    import lightning_mnist

    out = mnist_mirror / "out"
    common = ["--data-dir", str(mnist_mirror / "data"), "--download", "--out-dir", str(out), "--no-progress",
              "--hidden", "32", "--lr", "3e-3", "--batch-size", "16"]
    result = lightning_mnist.main(common + ["--epochs", "2"])
    assert result["test_acc"] >= 0.85 and result["epochs"] == 2
    assert "test accuracy:" in capsys.readouterr().out
    log_dir = Path(result["log_dir"])
    assert log_dir == out / "lightning_logs" / "version_0"
    assert sorted(os.listdir(log_dir)) == ["hparams.yaml", "metrics.csv", "metrics.png"]
    with open(log_dir / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["epoch"] for r in rows if r["val_acc"]] == ["0", "1"]
    assert os.path.basename(result["last"]) == "last.ckpt"
    assert os.path.basename(result["best"]).startswith("epoch=")
    resumed = lightning_mnist.main(common + ["--epochs", "3", "--resume"])
    assert resumed["epochs"] == 3 and resumed["log_dir"].endswith("version_1")
    with open(Path(resumed["log_dir"]) / "metrics.csv") as handle:
        assert [r["epoch"] for r in csv.DictReader(handle) if r["val_acc"]] == ["2"]  # only the third epoch ran


def test_lightning_mnist_example_missing_data_fails_with_one_line(tmp_path, capsys):
    import lightning_mnist

    with pytest.raises(SystemExit) as exit_info:
        lightning_mnist.main(["--data-dir", str(tmp_path / "empty"), "--no-progress"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: MNIST is not available") and "--download" in err[0]
