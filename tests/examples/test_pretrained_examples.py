"""examples/classify_image.py and examples/finetune.py with pretrained weights from an offline mirror folder
(TENSORLIB_HUB_MIRROR) holding a generated checkpoint in torchvision's file format."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import hub
from tensorlib.vision import models

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))


@pytest.fixture
def mirrored_resnet18(tmp_path, monkeypatch):
    """A ResNet-18 checkpoint whose fc favours class 207 ("golden retriever"), served from a mirror folder."""
    tl.manual_seed(0)
    state = models.resnet18().state_dict()
    state["fc.bias"] = tl.zeros(1000)
    state["fc.bias"][207] = 50.0
    buffer = io.BytesIO()
    tl.save(state, buffer, format="torch")
    name = f"resnet18-{hashlib.sha256(buffer.getvalue()).hexdigest()[:8]}.pth"
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / name).write_bytes(buffer.getvalue())
    weights = models.ResNet18_Weights.IMAGENET1K_V1
    monkeypatch.setattr(weights.value, "url", f"http://127.0.0.1:9/models/{name}")  # unreachable: mirror only
    monkeypatch.setenv(hub.HUB_MIRROR_ENV, str(mirror))
    monkeypatch.setenv("TENSORLIB_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    return state


def _image(path: Path, seed: int, size=(40, 48)) -> None:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, size=(*size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


@pytest.mark.parametrize("script", ["classify_image.py", "finetune.py"])
def test_help(script):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "usage:" in result.stdout


def test_classify_image_prints_top5_with_class_names(mirrored_resnet18, tmp_path, capsys):
    import classify_image

    _image(tmp_path / "photo.png", 0)
    top = classify_image.main([str(tmp_path / "photo.png"), "--no-progress"])
    assert len(top) == 5 and top[0][0] == "golden retriever" and top[0][1] > 0.99
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("1. golden retriever")


def test_finetune_trains_only_the_new_head(mirrored_resnet18, tmp_path):
    import finetune

    for split, count in (("train", 4), ("val", 2)):
        for label in ("cats", "dogs"):
            folder = tmp_path / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                _image(folder / f"{i}.png", hash((split, label, i)) % 1000, size=(36, 36))
    out = tmp_path / "finetuned.pt"
    result = finetune.main(["--data-dir", str(tmp_path / "data"), "--epochs", "1", "--batch-size", "4",
                            "--image-size", "32", "--out", str(out), "--no-progress"])
    model = result["model"]
    np.testing.assert_array_equal(model.conv1.weight.numpy(), mirrored_resnet18["conv1.weight"].numpy())
    assert model.fc.out_features == 2 and model.fc.weight.requires_grad
    assert not model.layer1[0].conv1.weight.requires_grad
    assert 0.0 <= result["history"][0]["val_accuracy"] <= 1.0
    saved = tl.load(out)
    assert saved["classes"] == ["cats", "dogs"] and saved["model"]["fc.weight"].shape == (2, 512)
