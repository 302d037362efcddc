"""examples/lightning_text_classifier.py (the text classifier on the Trainer) learns generated topic CSVs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import lightning_text_classifier as script  # noqa: E402
from test_text_classifier import write_topic_csv  # noqa: E402


def test_trainer_text_classifier_learns_topics(tmp_path, capsys):
    data = write_topic_csv(tmp_path / "topics.csv", rows=400)
    result = script.main(["--csv", str(data), "--epochs", "5", "--out-dir", str(tmp_path / "out"), "--seed", "0",
                          "--no-progress"])
    assert result["test_acc"] >= 0.9
    assert "test accuracy" in capsys.readouterr().out
    assert sorted(os.listdir(result["log_dir"])) == ["hparams.yaml", "metrics.csv", "metrics.png"]
    assert os.path.basename(result["best"]).startswith("epoch=")
