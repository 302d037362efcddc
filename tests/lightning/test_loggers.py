"""Logger files: Lightning's CSV layout, JSONL, hparams, the PNG of the curves, TensorBoard's optional extra."""

from __future__ import annotations

import csv
import json
import os

import pytest

from tensorlib.lightning.loggers import CSVLogger, JSONLLogger, TensorBoardLogger

from ._models import Classifier, loaders, quiet_trainer


def _fit(tmp_path, logger, **kwargs):
    train, val = loaders(n=32, batch_size=8)
    trainer = quiet_trainer(tmp_path, max_epochs=2, logger=logger, log_every_n_steps=2, num_sanity_val_steps=0,
                            **kwargs)
    trainer.fit(Classifier(lr=0.05), train, val)
    return trainer


def test_csv_logger_layout_and_contents(tmp_path):
    _fit(tmp_path, CSVLogger(tmp_path))
    second = CSVLogger(tmp_path)
    assert second.version == 1 and second.log_dir == str(tmp_path / "lightning_logs" / "version_1")
    folder = tmp_path / "lightning_logs" / "version_0"
    assert sorted(os.listdir(folder)) == ["hparams.yaml", "metrics.csv", "metrics.png"]
    assert (folder / "hparams.yaml").read_text() == 'lr: 0.05\nhidden: 16\nnoise: 0.0\noptimizer: "sgd"\n'
    with open(folder / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["epoch", "step", "train_loss_epoch", "train_loss_step", "val_acc", "val_loss"]
    step_rows = [(r["epoch"], r["step"]) for r in rows if r["train_loss_step"]]
    assert step_rows == [("0", "1"), ("0", "3"), ("1", "5"), ("1", "7")]
    val_rows = [(r["epoch"], r["step"]) for r in rows if r["val_loss"]]
    assert val_rows == [("0", "3"), ("1", "7")]
    epoch_rows = [r for r in rows if r["train_loss_epoch"]]
    assert len(epoch_rows) == 2 and all(r["val_loss"] == "" for r in epoch_rows)


def test_csv_logger_named_version_and_prefix(tmp_path):
    logger = CSVLogger(tmp_path, name="runs", version="baseline", prefix="exp")
    logger.log_metrics({"loss": 1.5}, step=3)
    logger.save()
    text = (tmp_path / "runs" / "baseline" / "metrics.csv").read_text()
    assert text == "exp-loss,step\n1.5,3\n"


def test_jsonl_logger_contents(tmp_path):
    _fit(tmp_path, JSONLLogger(tmp_path))
    folder = tmp_path / "lightning_logs" / "version_0"
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert records[0]["step"] == 1 and set(records[0]) == {"step", "epoch", "train_loss_step"}
    assert [r["step"] for r in records if "val_loss" in r] == [3, 7]
    assert json.loads((folder / "hparams.json").read_text())["lr"] == 0.05
    assert os.path.getsize(folder / "metrics.png") > 1000


def test_jsonl_writes_nonfinite_values_as_strings(tmp_path):
    logger = JSONLLogger(tmp_path)
    logger.log_metrics({"loss": float("nan")}, step=0)
    logger.finalize("success")
    assert json.loads((tmp_path / "lightning_logs" / "version_0" / "metrics.jsonl").read_text()) == \
        {"step": 0, "loss": "nan"}


def test_metrics_png_has_a_panel_per_metric(tmp_path):
    from PIL import Image

    _fit(tmp_path, CSVLogger(tmp_path))
    image = Image.open(tmp_path / "lightning_logs" / "version_0" / "metrics.png")
    assert image.format == "PNG" and image.size == (720, 460)  # 4 metrics: 2 x 2 panels
    colours = {colour for _, colour in image.getcolors(maxcolors=100000)}
    assert (31, 119, 180) in colours and (214, 39, 40) in colours  # curves drawn, not an empty canvas


def test_tensorboard_logger(tmp_path):
    try:
        import tensorboardX  # noqa: F401
    except ModuleNotFoundError:
        with pytest.raises(ModuleNotFoundError, match="pip install tensorboardX"):
            TensorBoardLogger(tmp_path)
        return
    _fit(tmp_path, TensorBoardLogger(tmp_path))
    files = os.listdir(tmp_path / "lightning_logs" / "version_0")
    assert any(name.startswith("events.out.tfevents") for name in files) and "hparams.yaml" in files
