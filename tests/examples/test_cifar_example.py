"""examples/train_cifar10.py end to end on a tiny generated CIFAR-10 archive served from a local mirror."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "datasets"))
sys.path.insert(0, str(ROOT / "examples"))

from dataset_files import make_cifar10, md5_of  # noqa: E402


@pytest.fixture
def cifar_mirror(tmp_path, monkeypatch):
    from tensorlib.datasets import CIFAR10

    files = make_cifar10(per_batch=8, n_test=6)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "cifar-10-python.tar.gz").write_bytes(files.tar_gz)
    md5s = {name.split("/")[-1]: md5_of(data) for name, data in files.members.items()}
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5_of(files.tar_gz))
    monkeypatch.setattr(CIFAR10, "mirrors", [])
    monkeypatch.setattr(CIFAR10, "url", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", md5s[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                          "md5": md5s["batches.meta"]})
    monkeypatch.setenv("TENSORLIB_DATASETS_MIRROR", str(mirror))
    return tmp_path


def test_cifar_example_runs_and_saves_outputs(cifar_mirror):
    import train_cifar10

    out = cifar_mirror / "out"
    result = train_cifar10.main(["--data-dir", str(cifar_mirror / "data"), "--download", "--epochs", "2",
                                 "--batch-size", "8", "--num-workers", "0", "--limit-train-batches", "3",
                                 "--out-dir", str(out), "--no-progress"])
    assert [h["epoch"] for h in result["history"]] == [1, 2]
    assert all(0.0 <= h["test_accuracy"] <= 1.0 for h in result["history"])
    assert os.path.getsize(result["grid"]) > 0
    import tensorlib as tl

    checkpoint = tl.load(result["checkpoint"])
    assert checkpoint["epoch"] == 2 and "conv1.weight" in checkpoint["model"]
    assert checkpoint["scheduler"]["last_epoch"] == 6  # cosine schedule stepped once per batch


def test_cifar_example_missing_data_fails_with_one_line(tmp_path, capsys):
    import train_cifar10

    with pytest.raises(SystemExit) as exit_info:
        train_cifar10.main(["--data-dir", str(tmp_path / "empty"), "--no-progress"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: CIFAR-10 is not available")
