"""ModelCheckpoint bookkeeping, EarlyStopping, LearningRateMonitor, the monitor-key check, interruption."""

from __future__ import annotations

import math
import multiprocessing
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tensorlib as tl
from tensorlib.lightning import MisconfigurationException
from tensorlib.lightning.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint, OnExceptionCheckpoint
from tensorlib.lightning.loggers import CSVLogger

from ._models import Classifier, loaders, quiet_trainer


class Scripted(Classifier):
    """Logs a scripted 'score' per validation run: [5, 3, 4, 1, 2, ...]."""

    def __init__(self, scores=(5.0, 3.0, 4.0, 1.0, 2.0), **kwargs):
        super().__init__(**kwargs)
        self.scores = list(scores)
        self.runs = 0

    def on_validation_epoch_end(self):
        if not self.trainer.sanity_checking:
            self.log("score", self.scores[self.runs])
            self.runs += 1


def _fit(tmp_path, model, callbacks, max_epochs=5, **kwargs):
    train, val = loaders(n=16, batch_size=8)
    trainer = quiet_trainer(tmp_path, max_epochs=max_epochs, callbacks=callbacks, enable_checkpointing=True,
                            num_sanity_val_steps=0, **kwargs)
    trainer.fit(model, train, val)
    return trainer


def test_top_k_keeps_the_k_best_and_deletes_the_rest(tmp_path):
    callback = ModelCheckpoint(dirpath=tmp_path, filename="{epoch}-{score:.1f}", monitor="score", save_top_k=2,
                               save_last=True)
    _fit(tmp_path, Scripted(), [callback])
    assert sorted(os.listdir(tmp_path)) == ["epoch=3-score=1.0.ckpt", "epoch=4-score=2.0.ckpt", "last.ckpt"]
    assert callback.best_model_path == str(tmp_path / "epoch=3-score=1.0.ckpt")
    assert callback.best_model_score == 1.0
    assert callback.kth_best_model_path == str(tmp_path / "epoch=4-score=2.0.ckpt") and callback.kth_value == 2.0
    assert callback.best_k_models == {str(tmp_path / "epoch=3-score=1.0.ckpt"): 1.0,
                                      str(tmp_path / "epoch=4-score=2.0.ckpt"): 2.0}
    assert callback.last_model_path == str(tmp_path / "last.ckpt")
    assert tl.load(callback.best_model_path)["epoch"] == 3


def test_top_k_mode_max_and_keep_all(tmp_path):
    best = ModelCheckpoint(dirpath=tmp_path / "max", monitor="score", mode="max", save_top_k=1)
    keep_all = ModelCheckpoint(dirpath=tmp_path / "all", monitor="score", save_top_k=-1)
    _fit(tmp_path, Scripted(), [best, keep_all])
    assert os.listdir(tmp_path / "max") == ["epoch=0-step=2.ckpt"] and best.best_model_score == 5.0
    assert len(os.listdir(tmp_path / "all")) == 5


def test_every_n_epochs_and_every_n_train_steps(tmp_path):
    epochs = ModelCheckpoint(dirpath=tmp_path / "epochs", every_n_epochs=2, save_top_k=-1)
    steps = ModelCheckpoint(dirpath=tmp_path / "steps", every_n_train_steps=3, save_top_k=-1)
    _fit(tmp_path, Classifier(), [epochs, steps], max_epochs=4)
    assert sorted(os.listdir(tmp_path / "epochs")) == ["epoch=1-step=4.ckpt", "epoch=3-step=8.ckpt"]
    assert sorted(os.listdir(tmp_path / "steps")) == ["epoch=1-step=3.ckpt", "epoch=2-step=6.ckpt"]


def test_format_checkpoint_name_and_version_counter(tmp_path):
    callback = ModelCheckpoint(dirpath=tmp_path, filename="{epoch:02d}-{val/loss:.2f}")
    assert callback.format_checkpoint_name({"epoch": 3, "val/loss": 0.123}) == \
        str(tmp_path / "epoch=03-val_loss=0.12.ckpt")
    plain = ModelCheckpoint(dirpath=tmp_path, filename="{epoch}", auto_insert_metric_name=False)
    assert plain.format_checkpoint_name({"epoch": 3}) == str(tmp_path / "3.ckpt")
    assert plain.format_checkpoint_name({"epoch": 3}, ver=2) == str(tmp_path / "3-v2.ckpt")


def test_checkpoint_state_survives_resume(tmp_path):
    callback = ModelCheckpoint(dirpath=tmp_path, monitor="score", save_top_k=2, save_last=True)
    _fit(tmp_path, Scripted(scores=[5.0, 3.0]), [callback], max_epochs=2)
    resumed = ModelCheckpoint(dirpath=tmp_path, monitor="score", save_top_k=2, save_last=True)
    train, val = loaders(n=16, batch_size=8)
    trainer = quiet_trainer(tmp_path, max_epochs=4, callbacks=[resumed], enable_checkpointing=True,
                            num_sanity_val_steps=0)
    model = Scripted(scores=[4.0, 1.0])
    trainer.fit(model, train, val, ckpt_path="last")
    assert sorted(resumed.best_k_models.values()) == [1.0, 3.0]
    assert sorted(os.listdir(tmp_path)) == ["epoch=1-step=4.ckpt", "epoch=3-step=8.ckpt", "last.ckpt"]


def test_early_stopping_patience_and_min_delta(tmp_path):
    stopper = EarlyStopping("score", patience=2)
    trainer = _fit(tmp_path, Scripted(scores=[5, 3, 4, 3.5, 2, 1]), [stopper], max_epochs=10)
    assert trainer.current_epoch == 4 and stopper.stopped_epoch == 3 and stopper.best_score == 3
    assert "did not improve in the last 2 records" in stopper.stopping_reason_message
    delta = EarlyStopping("score", patience=1, min_delta=0.5)
    trainer = _fit(tmp_path, Scripted(scores=[5, 4.7, 1, 0]), [delta], max_epochs=10)
    assert trainer.current_epoch == 2  # 4.7 is not 0.5 better than 5


def test_early_stopping_mode_max_and_thresholds(tmp_path):
    stopper = EarlyStopping("score", mode="max", patience=5, stopping_threshold=4.5)
    trainer = _fit(tmp_path, Scripted(scores=[1, 2, 5, 6]), [stopper], max_epochs=10)
    assert trainer.current_epoch == 3 and "Stopping threshold reached" in stopper.stopping_reason_message


class NaNLoss(Classifier):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        return loss * math.nan if self.global_step == 3 else loss


def test_nan_loss_stops_with_a_message_naming_the_step(tmp_path):
    stopper = EarlyStopping("val_loss", check_finite=True)
    trainer = _fit(tmp_path, NaNLoss(), [stopper], max_epochs=10)
    assert trainer.should_stop and trainer.global_step == 4
    assert "The training loss is nan at epoch 1, batch 1 (global step 4)" in stopper.stopping_reason_message


def test_nonfinite_monitored_metric_stops(tmp_path):
    stopper = EarlyStopping("score", patience=10)
    trainer = _fit(tmp_path, Scripted(scores=[3, math.inf, 1]), [stopper], max_epochs=10)
    assert trainer.current_epoch == 2 and "is not finite" in stopper.stopping_reason_message


def test_misspelt_monitor_is_reported_at_the_first_validation_with_the_existing_keys(tmp_path):
    class CountingEpochs(Classifier):
        epochs_started = 0

        def on_train_epoch_start(self):
            CountingEpochs.epochs_started += 1

    train, val = loaders(n=48, batch_size=8)
    trainer = quiet_trainer(tmp_path, max_epochs=50, val_check_interval=0.5, enable_checkpointing=True,
                            num_sanity_val_steps=0, callbacks=[ModelCheckpoint(monitor="val_los")])
    with pytest.raises(MisconfigurationException) as info:
        trainer.fit(CountingEpochs(), train, val)
    message = str(info.value)
    assert "val_los" in message and "'val_loss'" in message and "'val_acc'" in message and "'train_loss'" in message
    assert CountingEpochs.epochs_started == 1 and trainer.global_step == 3  # at the first, mid-epoch validation
    with pytest.raises(MisconfigurationException, match="EarlyStopping.*accuracy"):
        quiet_trainer(tmp_path, max_epochs=50, callbacks=[EarlyStopping("accuracy")]).fit(Classifier(), train, val)


def test_misspelt_monitor_is_reported_when_the_sanity_check_ends(tmp_path):
    train, val = loaders(n=48, batch_size=8)
    model = Classifier()
    trainer = quiet_trainer(tmp_path, max_epochs=5, num_sanity_val_steps=1, enable_checkpointing=True,
                            callbacks=[ModelCheckpoint(monitor="val_los")])
    with pytest.raises(MisconfigurationException, match="did you mean 'val_loss'"):
        trainer.fit(model, train, val)
    assert trainer.global_step == 0 and model.losses == []  # before any training step


def test_train_metric_monitor_is_accepted(tmp_path):
    callback = ModelCheckpoint(dirpath=tmp_path, monitor="train_loss", save_top_k=1)
    _fit(tmp_path, Classifier(), [callback], max_epochs=2)
    assert callback.best_model_score is not None


def test_learning_rate_monitor_logs_the_schedule(tmp_path):
    logger = CSVLogger(tmp_path)
    monitor = LearningRateMonitor()
    _fit(tmp_path, Classifier(optimizer="adam"), [monitor], max_epochs=3, logger=logger)
    assert [round(lr, 6) for lr in monitor.lrs["lr-Adam"]] == [0.1, 0.07, 0.049]
    assert [round(m["lr-Adam"], 6) for _, m in logger.history if "lr-Adam" in m] == [0.1, 0.07, 0.049]


class Interrupting(Classifier):
    def training_step(self, batch, batch_idx):
        if self.global_step == 4:
            raise KeyboardInterrupt
        return super().training_step(batch, batch_idx)


def test_keyboard_interrupt_ends_cleanly(tmp_path):
    train, val = loaders(n=48, batch_size=8, num_workers=2, persistent_workers=True)
    saver = OnExceptionCheckpoint(tmp_path)
    trainer = quiet_trainer(tmp_path, max_epochs=5, callbacks=[saver], num_sanity_val_steps=0)
    trainer.fit(Interrupting(), train, val)  # no exception escapes
    assert trainer.interrupted and trainer.state.status == "interrupted"
    assert multiprocessing.active_children() == []  # DataLoader workers are gone
    assert tl.load(saver.ckpt_path)["global_step"] == 4


def test_progress_bar_on_a_terminal_uses_tqdm_and_closes_it(tmp_path, monkeypatch, capsys):
    from tensorlib.lightning.callbacks import TQDMProgressBar

    monkeypatch.setattr(TQDMProgressBar, "_interactive", staticmethod(lambda: True))
    bar = TQDMProgressBar(refresh_interval=0.0)
    _fit(tmp_path, Classifier(), [bar], max_epochs=2, enable_progress_bar=True)
    out = capsys.readouterr().out
    assert "Epoch 0" in out and "Epoch 1" in out and "2/2" in out and "val_loss=" in out
    assert bar._bar is None  # closed at epoch end


def test_progress_bar_refresh_rate_zero_disables_it(tmp_path, capsys):
    from tensorlib.lightning.callbacks import TQDMProgressBar

    _fit(tmp_path, Classifier(), [TQDMProgressBar(refresh_rate=0)], max_epochs=1, enable_progress_bar=True)
    assert capsys.readouterr().out == ""


def test_learning_rate_monitor_per_step_with_param_groups(tmp_path):
    class TwoGroups(Classifier):
        def configure_optimizers(self):
            optimizer = tl.optim.SGD([{"params": self.net[0].parameters()},
                                      {"params": self.net[3].parameters(), "lr": 0.5}], lr=1.0, momentum=0.9)
            return {"optimizer": optimizer, "lr_scheduler": {
                "scheduler": tl.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5), "interval": "step"}}

    monitor = LearningRateMonitor(logging_interval="step", log_momentum=True)
    _fit(tmp_path, TwoGroups(), [monitor], max_epochs=1, logger=CSVLogger(tmp_path), log_every_n_steps=1)
    assert monitor.lrs["lr-SGD/pg1"] == [1.0, 0.5] and monitor.lrs["lr-SGD/pg2"] == [0.5, 0.25]
    assert monitor.lrs["momentum-SGD/pg1"] == [0.9, 0.9]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scores=st.lists(st.integers(0, 5).map(float), min_size=1, max_size=6), k=st.integers(1, 3),
       mode=st.sampled_from(["min", "max"]))
def test_top_k_property_keeps_the_k_best_scores_on_disk(tmp_path_factory, scores, k, mode):
    folder = tmp_path_factory.mktemp("topk")
    callback = ModelCheckpoint(dirpath=folder, monitor="score", mode=mode, save_top_k=k)
    _fit(folder, Scripted(scores=scores), [callback], max_epochs=len(scores))
    ranked = sorted(scores, reverse=mode == "max")
    assert sorted(callback.best_k_models.values(), reverse=mode == "max") == ranked[:k]
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(p) for p in callback.best_k_models)
    assert callback.best_model_score == ranked[0]
