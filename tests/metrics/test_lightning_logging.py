"""``LightningModule.log("val_acc", metric)``: the epoch value is the metric's compute() over every batch, and
the metric is reset afterwards (runs once tensorlib.lightning is present)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.metrics as tm
import tensorlib.nn as nn
import tensorlib.nn.functional as F
import tensorlib.optim as optim
from tensorlib.data import DataLoader, TensorDataset

L = pytest.importorskip("tensorlib.lightning")


class Classifier(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(4, 3)
        self.train_acc = tm.Accuracy(task="multiclass", num_classes=3)
        self.val_acc = tm.Accuracy(task="multiclass", num_classes=3)
        self.val_metrics = tm.MetricCollection([tm.MulticlassF1Score(3)], prefix="val_")

    def forward(self, x):
        return self.layer(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.train_acc(logits, y)
        self.log("train_acc", self.train_acc, on_step=True, on_epoch=True)
        return F.cross_entropy(logits, y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc.update(logits, y)
        self.log("val_acc", self.val_acc)
        self.val_metrics.update(logits, y)
        self.log_dict({k: v for k, v in self.val_metrics.items()})

    def configure_optimizers(self):
        return optim.SGD(self.parameters(), lr=0.1)


def _data(n=10):
    x = tl.randn(n, 4)
    return TensorDataset(x, tl.randint(0, 3, (n,)))


def test_logged_metric_is_the_epoch_value_and_is_reset(tmp_path):
    model = Classifier()
    val = _data()
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=str(tmp_path))
    trainer.validate(model, dataloaders=DataLoader(val, batch_size=4))  # uneven batches 4, 4, 2
    x, y = val.tensors
    with tl.no_grad():
        expected = tm.functional.accuracy(model(x), y, task="multiclass", num_classes=3).item()  # micro
        expected_f1 = tm.functional.multiclass_f1_score(model(x), y, num_classes=3).item()
    assert float(trainer.callback_metrics["val_acc"]) == pytest.approx(expected, abs=1e-6)
    assert float(trainer.callback_metrics["val_MulticlassF1Score"]) == pytest.approx(expected_f1, abs=1e-6)
    assert model.val_acc.update_count == 0  # reset after logging the epoch value


def test_training_step_logs_the_forward_batch_value(tmp_path):
    model = Classifier()
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=str(tmp_path), limit_val_batches=0)
    trainer.fit(model, train_dataloaders=DataLoader(_data(12), batch_size=5))
    metrics = trainer.callback_metrics
    assert "train_acc_step" in metrics and "train_acc_epoch" in metrics
    assert 0.0 <= float(metrics["train_acc_epoch"]) <= 1.0
    assert np.isfinite(float(metrics["train_acc_step"]))
