"""LightningModule / LightningDataModule behaviour: logging, hparams, load_from_checkpoint, optimizers, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.lightning as L
from tensorlib import nn
from tensorlib.lightning import MisconfigurationException
from tensorlib.lightning.callbacks import ModelCheckpoint

from ._models import Classifier, RecordingDataModule, loaders, make_data, quiet_trainer, weights


def _fit(tmp_path, model, max_epochs=1, **kwargs):
    train, val = loaders(n=32, batch_size=8)
    kwargs.setdefault("num_sanity_val_steps", 0)
    trainer = quiet_trainer(tmp_path, max_epochs=max_epochs, **kwargs)
    trainer.fit(model, train, val)
    return trainer


class FakeMetric:
    """torchmetrics-style accuracy: update/compute/reset."""

    def __init__(self):
        self.reset()
        self.resets = 0

    def update(self, preds, target):
        self.correct += int((preds == target).sum().item())
        self.total += int(target.shape[0])

    def compute(self):
        return tl.tensor(self.correct / self.total)

    def reset(self):
        self.correct, self.total = 0, 0
        self.resets = getattr(self, "resets", -1) + 1


class Logging(Classifier):
    def __init__(self):
        super().__init__()
        self.metric = FakeMetric()
        self.seen_correct = []

    def training_step(self, batch, batch_idx):
        self.log("default_train", 1.0)
        self.log("both", float(batch_idx), on_step=True, on_epoch=True, reduce_fx="max")
        return super().training_step(batch, batch_idx)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.metric.update(self(x).argmax(dim=1), y)
        self.seen_correct.append(self.metric.correct)
        self.log("val_metric", self.metric)
        self.log("weighted", float(batch_idx), batch_size=batch_idx + 1)

    def on_train_epoch_end(self):
        self.log("epoch_end_value", 7.0)


def test_log_defaults_and_reductions(tmp_path):
    from tensorlib.lightning.loggers import CSVLogger

    model = Logging()
    trainer = _fit(tmp_path, model, logger=CSVLogger(tmp_path), log_every_n_steps=1)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    assert metrics["default_train"] == 1.0                       # training_step: on_step only
    assert "default_train_epoch" not in metrics
    assert metrics["both_step"] == 3.0 and metrics["both_epoch"] == 3.0 and metrics["both"] == 3.0
    assert metrics["epoch_end_value"] == 7.0
    assert metrics["weighted"] == pytest.approx(2 / 3)  # (0 * 1 + 1 * 2) / 3: weighted by batch_size
    assert set(trainer.logged_metrics) >= {"both_step", "both_epoch", "val_metric", "epoch"}


def test_metric_objects_are_computed_at_epoch_end_and_reset(tmp_path):
    model = Logging()
    trainer = _fit(tmp_path, model, max_epochs=2)
    assert model.metric.resets == 2 and model.metric.total == 0
    # the first batch of the second validation starts from a reset metric
    assert model.seen_correct[2] <= 8
    assert 0.0 <= float(trainer.callback_metrics["val_metric"]) <= 1.0


def test_log_rejects_tensors_with_more_than_one_element(tmp_path):
    class Bad(Classifier):
        def validation_step(self, batch, batch_idx):
            self.log("vector", tl.ones(3))

    with pytest.raises(ValueError, match="'vector'.*single element"):
        _fit(tmp_path, Bad())


def test_save_hyperparameters_and_load_from_checkpoint(tmp_path):
    callback = ModelCheckpoint(dirpath=tmp_path, save_last=True)
    trainer = _fit(tmp_path, Classifier(lr=0.2, hidden=6), callbacks=[callback], enable_checkpointing=True)
    model = trainer.lightning_module
    assert dict(model.hparams) == {"lr": 0.2, "hidden": 6, "noise": 0.0, "optimizer": "sgd"}
    loaded = Classifier.load_from_checkpoint(callback.last_model_path)
    assert loaded.hparams.hidden == 6 and loaded.net[0].out_features == 6
    for name, value in weights(model).items():
        np.testing.assert_array_equal(weights(loaded)[name], value)
    tuned = Classifier.load_from_checkpoint(callback.last_model_path, lr=0.01)
    assert tuned.hparams.lr == 0.01 and tuned.hparams.hidden == 6
    with pytest.raises(RuntimeError, match="size mismatch for net.0.weight"):
        Classifier.load_from_checkpoint(callback.last_model_path, hidden=5)


def test_load_from_checkpoint_of_another_class_reports_the_keys(tmp_path):
    callback = ModelCheckpoint(dirpath=tmp_path, save_last=True)
    _fit(tmp_path, Classifier(), callbacks=[callback], enable_checkpointing=True)

    class Other(L.LightningModule):
        def __init__(self, lr=0.1, hidden=16, noise=0.0, optimizer="sgd"):
            super().__init__()
            self.body = nn.Linear(4, 3)

    with pytest.raises(RuntimeError) as info:
        Other.load_from_checkpoint(callback.last_model_path)
    message = str(info.value)
    assert "saved from" in message and "Classifier" in message and "Other" in message
    assert '"body.weight"' in message and '"net.0.weight"' in message


def test_load_from_checkpoint_without_saved_hparams_names_what_is_missing(tmp_path):
    class NoHparams(Classifier):
        def __init__(self, width):
            L.LightningModule.__init__(self)
            self.net = nn.Linear(4, width)

        def forward(self, x):
            return self.net(x)

    model = NoHparams(3)
    path = str(tmp_path / "m.ckpt")
    trainer = quiet_trainer(tmp_path)
    trainer.lightning_module = model
    model.trainer = trainer
    trainer.save_checkpoint(path, weights_only=True)
    with pytest.raises(TypeError, match="width.*save_hyperparameters"):
        NoHparams.load_from_checkpoint(path)
    assert NoHparams.load_from_checkpoint(path, width=3).net.out_features == 3


def test_save_hyperparameters_refuses_values_json_cannot_hold():
    class Holding(L.LightningModule):
        def __init__(self, backbone, lr=0.1):
            super().__init__()
            self.save_hyperparameters()

    with pytest.raises(TypeError, match="'backbone'.*ignore=\\['backbone'\\]"):
        Holding(nn.Linear(2, 2))

    class Ignoring(Holding):
        def __init__(self, backbone, lr=0.1):
            L.LightningModule.__init__(self)
            self.save_hyperparameters(ignore=["backbone"])

    assert dict(Ignoring(nn.Linear(2, 2)).hparams) == {"lr": 0.1}


@pytest.mark.parametrize("returned, message", [
    (lambda: tl.ones(3, requires_grad=True) * 2, "training_step \\(epoch 0, batch 0\\) returned a loss of shape"),
    (lambda: tl.tensor(1.0), "does not require grad"),
    (lambda: 1.5, "returned a float"),
])
def test_bad_training_step_returns_name_the_step(tmp_path, returned, message):
    class Bad(Classifier):
        def training_step(self, batch, batch_idx):
            return returned()

    with pytest.raises((ValueError, RuntimeError, TypeError), match=message):
        _fit(tmp_path, Bad())


def test_training_step_returning_none_skips_the_batch(tmp_path):
    class Skipping(Classifier):
        def training_step(self, batch, batch_idx):
            loss = super().training_step(batch, batch_idx)
            return None if batch_idx % 2 else loss

    model = Skipping()
    trainer = _fit(tmp_path, model)
    assert trainer.global_step == 2 and len(model.losses) == 4


@pytest.mark.parametrize("make", [
    lambda p: tl.optim.SGD(p, lr=0.1),
    lambda p: [tl.optim.SGD(p, lr=0.1)],
    lambda p: ([opt := tl.optim.SGD(p, lr=0.1)], [tl.optim.lr_scheduler.StepLR(opt, 1)]),
    lambda p: {"optimizer": (opt := tl.optim.SGD(p, lr=0.1)),
               "lr_scheduler": {"scheduler": tl.optim.lr_scheduler.StepLR(opt, 1), "interval": "step"}},
    lambda p: {"optimizer": (opt := tl.optim.SGD(p, lr=0.1)),
               "lr_scheduler": tl.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0), "monitor": "val_loss"},
])
def test_configure_optimizers_formats(tmp_path, make):
    class Configured(Classifier):
        def configure_optimizers(self):
            return make(self.parameters())

    trainer = _fit(tmp_path, Configured(), max_epochs=2)
    assert trainer.global_step == 8 and len(trainer.optimizers) == 1


def test_step_interval_scheduler_steps_every_optimizer_step(tmp_path):
    class Stepping(Classifier):
        def configure_optimizers(self):
            opt = tl.optim.SGD(self.parameters(), lr=1.0)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": tl.optim.lr_scheduler.StepLR(opt, 1, 0.5),
                                                        "interval": "step", "frequency": 2}}

    trainer = _fit(tmp_path, Stepping())
    assert trainer.optimizers[0].param_groups[0]["lr"] == 0.25  # 4 steps, every 2nd halves


@pytest.mark.parametrize("returned, message", [
    ("adam", "should be one of"),
    ({"lr_scheduler": None}, "should be one of"),
    (lambda p: {"optimizer": (o := tl.optim.SGD(p, lr=0.1)),
                "lr_scheduler": tl.optim.lr_scheduler.ReduceLROnPlateau(o)}, "must include a monitor"),
])
def test_unsupported_configure_optimizers_says_what_is_accepted(tmp_path, returned, message):
    class Wrong(Classifier):
        def configure_optimizers(self):
            return returned(self.parameters()) if callable(returned) else returned

    with pytest.raises(MisconfigurationException, match=message):
        _fit(tmp_path, Wrong())


class Manual(Classifier):
    def __init__(self):
        super().__init__()
        self.automatic_optimization = False

    def training_step(self, batch, batch_idx):
        opt = self.optimizers()
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        opt.zero_grad()
        self.manual_backward(loss)
        if batch_idx % 2 == 1:
            opt.step()
        self.log("manual_loss", loss)


def test_manual_optimization(tmp_path):
    model = Manual()
    before = weights(model)
    trainer = _fit(tmp_path, model)
    assert trainer.global_step == 2  # optimizer.step() was called twice
    assert not np.array_equal(before["net.0.weight"], weights(model)["net.0.weight"])
    assert "manual_loss" in trainer.callback_metrics


def test_validate_test_predict(tmp_path):
    model = Classifier()
    trainer = _fit(tmp_path, model, max_epochs=3)
    _, val = loaders(n=32, batch_size=8)
    validated = trainer.validate(model, val, verbose=False)
    assert set(validated[0]) == {"val_loss", "val_acc"}
    tested = trainer.test(dataloaders=val, verbose=False)
    assert 0.0 <= tested[0]["test_acc"] <= 1.0
    predictions = trainer.predict(model, tl.data.DataLoader(make_data(10).tensors[0], batch_size=4))
    assert [tuple(p.shape) for p in predictions] == [(4, 3), (4, 3), (2, 3)]


def test_datamodule_hooks_and_loaders(tmp_path):
    calls = []
    data = RecordingDataModule(calls, batch_size=16)
    trainer = quiet_trainer(tmp_path, max_epochs=1, num_sanity_val_steps=0, enable_checkpointing=True)
    trainer.fit(Classifier(), datamodule=data)
    assert trainer.global_step == 2 and calls == ["prepare_data", "setup:fit"]
    trainer.test(datamodule=data, verbose=False)
    assert calls[-1] == "setup:test"
    checkpoint = tl.load(trainer.checkpoint_callback.best_model_path)
    assert checkpoint["datamodule_hyper_parameters"] == {"batch_size": 16}
