"""Every Trainer argument of issue #15 changes what a run does (each test fails if the argument is ignored)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.lightning as L
from tensorlib import nn
from tensorlib.data import DataLoader
from tensorlib.lightning import MisconfigurationException
from tensorlib.lightning.callbacks import Callback, EarlyStopping

from ._models import Classifier, Counting, loaders, make_data, quiet_trainer, weights


def _fit(tmp_path, model=None, n=48, batch_size=8, **kwargs):
    model = model or Counting()
    train, val = loaders(n=n, batch_size=batch_size)
    kwargs.setdefault("num_sanity_val_steps", 0)
    trainer = quiet_trainer(tmp_path, **kwargs)
    trainer.fit(model, train, val)
    return trainer, model


def test_max_epochs(tmp_path):
    trainer, model = _fit(tmp_path, max_epochs=2)
    assert trainer.current_epoch == 2 and trainer.global_step == 12 and model.calls["train"] == 12


def test_max_steps_stops_mid_epoch(tmp_path):
    trainer, model = _fit(tmp_path, max_epochs=5, max_steps=8)
    assert trainer.global_step == 8 and model.calls["train"] == 8


class Constant(Counting):
    def validation_step(self, batch, batch_idx):
        self.log("const", 1.0)


def test_min_epochs_overrides_early_stopping(tmp_path):
    trainer, _ = _fit(tmp_path, model=Constant(), max_epochs=10, callbacks=[EarlyStopping("const", patience=1)])
    assert trainer.current_epoch == 2  # epoch 0 sets the best, epoch 1 does not improve: stop
    trainer, _ = _fit(tmp_path, model=Constant(), max_epochs=10, min_epochs=4,
                      callbacks=[EarlyStopping("const", patience=1)])
    assert trainer.current_epoch == 4


@pytest.mark.parametrize("limit, steps", [(3, 3), (0.5, 3), (1.0, 6)])
def test_limit_train_batches(tmp_path, limit, steps):
    _, model = _fit(tmp_path, max_epochs=1, limit_train_batches=limit)
    assert model.calls["train"] == steps


def test_limit_val_and_test_batches(tmp_path):
    trainer, model = _fit(tmp_path, max_epochs=1, limit_val_batches=2, limit_test_batches=1)
    assert model.calls["val"] == 2
    trainer.test(model, loaders()[1], verbose=False)
    assert model.calls["test"] == 1


@pytest.mark.parametrize("interval, runs", [(0.5, 2), (1.0, 1), (2, 3), (0.25, 6)])
def test_val_check_interval(tmp_path, interval, runs):
    _, model = _fit(tmp_path, max_epochs=1, val_check_interval=interval)
    assert model.calls["val_runs"] == runs


def test_check_val_every_n_epoch(tmp_path):
    _, model = _fit(tmp_path, max_epochs=4, check_val_every_n_epoch=2)
    assert model.calls["val_runs"] == 2


@pytest.mark.parametrize("steps, expected", [(0, 0), (2, 2), (-1, 3)])
def test_num_sanity_val_steps(tmp_path, steps, expected):
    _, model = _fit(tmp_path, max_epochs=1, num_sanity_val_steps=steps)
    assert model.calls["sanity"] == expected  # the val loader has 3 batches


def test_fast_dev_run(tmp_path):
    trainer, model = _fit(tmp_path, max_epochs=5, fast_dev_run=True, enable_checkpointing=True, logger=True)
    assert model.calls["train"] == 1 and model.calls["val"] == 1 and trainer.global_step == 1
    assert not os.path.exists(tmp_path / "lightning_logs") and not os.path.exists(tmp_path / "checkpoints")
    _, model = _fit(tmp_path, fast_dev_run=3)
    assert model.calls["train"] == 3 and model.calls["val"] == 3


def test_overfit_batches_repeats_the_same_unshuffled_batches(tmp_path):
    with pytest.warns(UserWarning, match="shuffling"):
        _, model = _fit(tmp_path, max_epochs=3, overfit_batches=2)
    assert model.calls["train"] == 6
    firsts = model.first_samples
    np.testing.assert_array_equal(firsts[0], make_data(48)[0][0].numpy())  # sequential order
    for epoch in (1, 2):
        np.testing.assert_array_equal(firsts[2 * epoch], firsts[0])
        np.testing.assert_array_equal(firsts[2 * epoch + 1], firsts[1])


class Linear(L.LightningModule):
    """Deterministic (no dropout) linear regression with plain SGD."""

    def __init__(self):
        super().__init__()
        tl.manual_seed(5)
        self.layer = nn.Linear(4, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return ((self.layer(x).squeeze(1) - y.float()) ** 2).mean()

    def configure_optimizers(self):
        return tl.optim.SGD(self.parameters(), lr=0.05)


def test_accumulate_grad_batches_equals_a_four_times_larger_batch(tmp_path):
    data = make_data(32)
    small = Linear()
    trainer = quiet_trainer(tmp_path, max_epochs=2, accumulate_grad_batches=4)
    trainer.fit(small, DataLoader(data, batch_size=4))
    assert trainer.global_step == 4
    large = Linear()
    quiet_trainer(tmp_path, max_epochs=2).fit(large, DataLoader(data, batch_size=16))
    for name, value in weights(large).items():
        np.testing.assert_allclose(weights(small)[name], value, rtol=1e-5, atol=1e-6)
    plain = Linear()
    quiet_trainer(tmp_path, max_epochs=2).fit(plain, DataLoader(data, batch_size=4))
    assert not np.allclose(weights(plain)["layer.weight"], weights(large)["layer.weight"])


class StepSizes(Callback):
    """Records each optimizer step's parameter change."""

    def __init__(self):
        self.changes = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self._before = [p.detach().numpy().copy() for p in pl_module.parameters()]

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        after = [p.detach().numpy() for p in pl_module.parameters()]
        self.changes.append(np.concatenate([(a - b).ravel() for a, b in zip(after, self._before)]))


class BigSteps(Linear):
    def configure_optimizers(self):
        return tl.optim.SGD(self.parameters(), lr=1.0)


@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_gradient_clipping_bounds_the_update(tmp_path, algorithm):
    data = DataLoader(make_data(32), batch_size=8)
    recorder = StepSizes()
    quiet_trainer(tmp_path, max_epochs=1, gradient_clip_val=0.01, gradient_clip_algorithm=algorithm,
                  callbacks=[recorder]).fit(BigSteps(), data)
    for change in recorder.changes:  # lr=1: the update is the clipped gradient
        if algorithm == "norm":
            assert np.linalg.norm(change) <= 0.01 + 1e-6
        else:
            assert np.abs(change).max() <= 0.01 + 1e-7
    unclipped = StepSizes()
    quiet_trainer(tmp_path, max_epochs=1, callbacks=[unclipped]).fit(BigSteps(), data)
    assert max(np.linalg.norm(c) for c in unclipped.changes) > 0.1


def test_deterministic_runs_repeat_and_bad_values_are_refused(tmp_path):
    results = []
    for _ in range(2):
        L.seed_everything(3, verbose=False)
        _, model = _fit(tmp_path, max_epochs=2, deterministic=True)
        results.append(model.losses)
    assert results[0] == results[1]
    with pytest.raises(ValueError, match="deterministic"):
        L.Trainer(deterministic="sometimes")


def test_callbacks_hook_order(tmp_path):
    calls = []

    class Recorder(Callback):
        pass

    for name in ("setup", "on_fit_start", "on_sanity_check_start", "on_sanity_check_end", "on_train_start",
                 "on_train_epoch_start", "on_train_batch_start", "on_before_backward", "on_after_backward",
                 "on_before_optimizer_step", "on_train_batch_end", "on_validation_start", "on_validation_end",
                 "on_train_epoch_end", "on_train_end", "on_fit_end", "teardown"):
        setattr(Recorder, name, lambda self, *args, _name=name: calls.append(_name))
    _fit(tmp_path, max_epochs=1, limit_train_batches=1, limit_val_batches=1, num_sanity_val_steps=1,
         callbacks=[Recorder()])
    assert calls == ["setup", "on_fit_start", "on_sanity_check_start", "on_validation_start", "on_validation_end",
                     "on_sanity_check_end", "on_train_start", "on_train_epoch_start", "on_train_batch_start",
                     "on_before_backward", "on_after_backward", "on_before_optimizer_step", "on_train_batch_end",
                     "on_validation_start", "on_validation_end", "on_train_epoch_end", "on_train_end",
                     "on_fit_end", "teardown"]


def test_logger_argument(tmp_path):
    from tensorlib.lightning.loggers import CSVLogger, JSONLLogger

    trainer, _ = _fit(tmp_path / "none", max_epochs=1, logger=False)
    assert trainer.loggers == [] and not os.path.exists(tmp_path / "none" / "lightning_logs")
    trainer, _ = _fit(tmp_path / "two", max_epochs=1,
                      logger=[CSVLogger(tmp_path / "two"), JSONLLogger(tmp_path / "two", name="jsonl")])
    assert os.path.exists(tmp_path / "two" / "lightning_logs" / "version_0" / "metrics.csv")
    assert os.path.exists(tmp_path / "two" / "jsonl" / "version_0" / "metrics.jsonl")


def test_default_logger_and_root_dir(tmp_path):
    trainer, _ = _fit(tmp_path, max_epochs=1, logger=True, enable_checkpointing=True)
    log_dir = tmp_path / "lightning_logs" / "version_0"
    assert trainer.log_dir == str(log_dir)
    assert os.listdir(log_dir / "checkpoints") == ["epoch=0-step=6.ckpt"]


def test_enable_checkpointing(tmp_path):
    _fit(tmp_path / "off", max_epochs=1, enable_checkpointing=False)
    assert not os.path.exists(tmp_path / "off" / "checkpoints")
    trainer, _ = _fit(tmp_path / "on", max_epochs=2, enable_checkpointing=True)
    assert os.listdir(tmp_path / "on" / "checkpoints") == ["epoch=1-step=12.ckpt"]  # the newest replaces the old
    assert trainer.checkpoint_callback.best_model_path.endswith("epoch=1-step=12.ckpt")


def test_enable_progress_bar(tmp_path, capsys):
    _fit(tmp_path, max_epochs=2, enable_progress_bar=False)
    assert capsys.readouterr().out == ""
    _fit(tmp_path, max_epochs=2, enable_progress_bar=True)
    lines = capsys.readouterr().out.splitlines()  # stdout is captured: not a terminal, one line per epoch
    assert len(lines) == 2 and lines[0].startswith("Epoch 0: 6 batches") and "val_loss=" in lines[0]


def test_log_every_n_steps(tmp_path):
    from tensorlib.lightning.loggers import CSVLogger

    logger = CSVLogger(tmp_path)
    _fit(tmp_path, max_epochs=1, log_every_n_steps=2, logger=logger)
    steps = [step for step, metrics in logger.history if "train_loss_step" in metrics]
    assert steps == [1, 3, 5]


def test_accelerator_and_devices(tmp_path):
    trainer, _ = _fit(tmp_path, max_epochs=1, accelerator="cpu", devices=1)
    assert trainer.global_step == 6 and trainer.world_size == 1
    with pytest.raises(MisconfigurationException, match="accelerator='gpu'"):
        L.Trainer(accelerator="gpu")
    from tensorlib.lightning.strategies import DDPStrategy

    assert isinstance(L.Trainer(devices=2, enable_progress_bar=False).strategy, DDPStrategy)
    with pytest.raises(MisconfigurationException, match="devices"):
        L.Trainer(devices=0)


def test_invalid_arguments_are_refused():
    with pytest.raises(MisconfigurationException, match="gradient_clip_algorithm"):
        L.Trainer(gradient_clip_algorithm="max")
    with pytest.raises(MisconfigurationException, match="accumulate_grad_batches"):
        L.Trainer(accumulate_grad_batches=0)
    with pytest.raises(MisconfigurationException, match="limit_train_batches"):
        L.Trainer(limit_train_batches=1.5)
    with pytest.raises(MisconfigurationException, match="val_check_interval"):
        L.Trainer(val_check_interval=1.5)
    with pytest.raises(MisconfigurationException, match="profiler='simple'.*not supported"):
        L.Trainer(profiler="simple")


def test_max_time_stops_training(tmp_path):
    import time

    class Slow(Counting):
        def on_train_epoch_end(self):
            time.sleep(1.1)

    trainer, _ = _fit(tmp_path, model=Slow(), max_epochs=100, max_time={"seconds": 1})
    assert trainer.current_epoch == 1


def test_iterable_dataset_without_length_validates_at_epoch_end(tmp_path):
    from tensorlib.data import IterableDataset

    class Stream(IterableDataset):
        def __iter__(self):
            data = make_data(24)
            return iter([data[i] for i in range(len(data))])

    model = Counting()
    trainer = quiet_trainer(tmp_path, max_epochs=2, num_sanity_val_steps=0)
    trainer.fit(model, DataLoader(Stream(), batch_size=8), loaders()[1])
    assert model.calls["train"] == 6 and model.calls["val_runs"] == 2 and trainer.global_step == 6


def test_several_validation_dataloaders_get_suffixed_keys(tmp_path):
    class TwoLoaders(Classifier):
        def validation_step(self, batch, batch_idx, dataloader_idx=0):
            x, y = batch
            self.log("val_acc", (self(x).argmax(dim=1) == y).float().mean())

    train, val = loaders()
    trainer = quiet_trainer(tmp_path, max_epochs=1, num_sanity_val_steps=0)
    trainer.fit(TwoLoaders(), train, [val, val])
    assert {"val_acc/dataloader_idx_0", "val_acc/dataloader_idx_1"} <= set(trainer.callback_metrics)
    results = trainer.validate(dataloaders=[val, val], verbose=False)
    assert len(results) == 2 and results[0]["val_acc/dataloader_idx_0"] == results[1]["val_acc/dataloader_idx_1"]
