"""examples/gradient_penalty.py (WGAN-GP) end to end on tiny generated MNIST files served from a mirror."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "datasets"))
sys.path.insert(0, str(ROOT / "examples"))

from dataset_files import make_mnist  # noqa: E402


def test_gradient_penalty_example_trains_and_writes_samples(tmp_path, monkeypatch):
    import gradient_penalty

    from tensorlib.datasets import MNIST

    files = make_mnist(n_train=64, n_test=8)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, data in files.gz.items():
        (mirror / name).write_bytes(data)
    monkeypatch.setattr(MNIST, "resources", files.resources)
    monkeypatch.setenv("TENSORLIB_DATASETS_MIRROR", str(mirror))
    result = gradient_penalty.main(["--data-dir", str(tmp_path / "data"), "--download", "--steps", "3",
                                    "--n-critic", "2", "--batch-size", "8", "--hidden", "32",
                                    "--out-dir", str(tmp_path / "out"), "--no-progress"])
    assert [h["step"] for h in result["history"]] == [0, 1, 2]
    assert all(math.isfinite(h["wasserstein"]) and h["penalty"] >= 0 for h in result["history"])
    assert os.path.getsize(result["samples"]) > 0
