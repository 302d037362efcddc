"""The README's quick-start program runs as written (on small generated MNIST files served from a mirror)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "datasets"))

from dataset_files import make_mnist  # noqa: E402


def _quickstart_code() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_quickstart_runs_unchanged(tmp_path, monkeypatch, capsys):
    from tensorlib.datasets import MNIST

    files = make_mnist(n_train=128, n_test=40)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, data in files.gz.items():
        (mirror / name).write_bytes(data)
    monkeypatch.setattr(MNIST, "resources", files.resources)
    monkeypatch.setenv("TENSORLIB_DATASETS_MIRROR", str(mirror))
    monkeypatch.chdir(tmp_path)
    code = _quickstart_code()
    assert code.startswith("import tensorlib as torch")
    exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    accuracy = float(re.search(r"accuracy: ([\d.]+)%", out).group(1))
    assert 0.0 <= accuracy <= 100.0
    assert os.path.getsize(tmp_path / "mnist_mlp.pt") > 100_000  # the three Linear layers' weights
    import tensorlib as tl

    state = tl.load(tmp_path / "mnist_mlp.pt")
    assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]


@pytest.mark.slow
def test_mnist_example_learns_on_generated_digits(tmp_path, monkeypatch):
    """examples/train_mnist.py end to end on a tiny generated set: it runs, saves a checkpoint and a PNG."""
    from tensorlib.datasets import MNIST

    files = make_mnist(n_train=256, n_test=64)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, data in files.gz.items():
        (mirror / name).write_bytes(data)
    monkeypatch.setattr(MNIST, "resources", files.resources)
    monkeypatch.setenv("TENSORLIB_DATASETS_MIRROR", str(mirror))
    sys.path.insert(0, str(ROOT / "examples"))
    import train_mnist

    result = train_mnist.main(["--data-dir", str(tmp_path / "data"), "--download", "--epochs", "1",
                               "--out-dir", str(tmp_path / "out"), "--no-progress", "--model", "lenet"])
    assert os.path.exists(result["checkpoint"]) and os.path.exists(result["grid"])
    assert len(result["history"]) == 1


def test_mnist_example_missing_data_fails_with_one_line(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "examples"))
    import train_mnist

    with pytest.raises(SystemExit) as exit_info:
        train_mnist.main(["--data-dir", str(tmp_path / "empty"), "--no-progress"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: MNIST is not available") and "--download" in err[0]
