"""examples/train_mnist.py --export/--export-onnx and examples/serve_mnist.py (runtime only) end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import tensorlib as tl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "datasets"))
sys.path.insert(0, str(ROOT / "examples"))

from dataset_files import make_mnist  # noqa: E402

SERVE = ROOT / "examples" / "serve_mnist.py"
NO_TENSORLIB = """
import importlib.abc, runpy, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tensorlib" or name.startswith("tensorlib."):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_train_export_then_serve_pngs_without_tensorlib(tmp_path, monkeypatch):
    from tensorlib.datasets import MNIST

    files = make_mnist(n_train=64, n_test=8)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, data in files.gz.items():
        (mirror / name).write_bytes(data)
    monkeypatch.setattr(MNIST, "resources", files.resources)
    monkeypatch.setenv("TENSORLIB_DATASETS_MIRROR", str(mirror))
    import train_mnist

    tlj = tmp_path / "mnist.tlj"
    extra = ["--export-onnx", str(tmp_path / "mnist.onnx")] if _has_onnx() else []
    train_mnist.main(["--data-dir", str(tmp_path / "data"), "--download", "--epochs", "1", "--limit-train-batches",
                      "2", "--out-dir", str(tmp_path / "out"), "--no-progress", "--export", str(tlj)] + extra)
    pngs = []
    for i, pixels in enumerate(files.test_images[:4]):
        pngs.append(tmp_path / f"digit{i}.png")
        Image.fromarray(pixels).save(pngs[-1])
    done = subprocess.run([sys.executable, "-c", NO_TENSORLIB, str(SERVE), str(tlj)] + [str(p) for p in pngs],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    model = tl.jit.load(tlj)
    images = (files.test_images[:4].astype(np.float32) / 255 - 0.1307) / 0.3081
    expected = model(tl.from_numpy(images[:, None])).numpy().argmax(axis=1)
    printed = [int(line.split(": ")[1].split()[0]) for line in done.stdout.strip().splitlines()]
    assert printed == expected.tolist()
    if extra:
        import onnxruntime as ort

        session = ort.InferenceSession(str(tmp_path / "mnist.onnx"), providers=["CPUExecutionProvider"])
        logits = session.run(["logits"], {"image": images[:, None]})[0]
        assert logits.argmax(axis=1).tolist() == expected.tolist()


def _has_onnx() -> bool:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def test_serve_help_and_bad_file(tmp_path):
    done = subprocess.run([sys.executable, str(SERVE), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--runtime" in done.stdout
    (tmp_path / "broken.tlj").write_bytes(b"\x00" * 5)
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "d.png")
    done = subprocess.run([sys.executable, str(SERVE), str(tmp_path / "broken.tlj"), str(tmp_path / "d.png")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "truncated" in done.stderr


def test_train_mnist_export_flags_parse():
    import train_mnist

    args = train_mnist.parse_args(["--export", "a.tlj", "--export-onnx", "b.onnx"])
    assert (args.export, args.export_onnx) == ("a.tlj", "b.onnx")
    assert train_mnist.parse_args([]).export is None
