"""Checkpoints hold the full training state and resume bit for bit (issue #15, 'Checkpoints')."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.lightning as L
from tensorlib.lightning.callbacks import ModelCheckpoint

from ._models import Classifier, loaders, quiet_trainer, weights


def _run(tmp_path, max_epochs, ckpt_path=None, workers=0, optimizer="adam", **trainer_kwargs):
    L.seed_everything(7, verbose=False)
    model = Classifier(noise=0.3, optimizer=optimizer)
    generator = tl.Generator().manual_seed(3)
    train, val = loaders(n=40, batch_size=8, generator=generator, num_workers=workers)
    checkpoint = ModelCheckpoint(dirpath=str(tmp_path / "ckpt"), save_last=True, save_top_k=-1,
                                 **trainer_kwargs.pop("checkpoint_kwargs", {}))
    trainer = quiet_trainer(tmp_path, max_epochs=max_epochs, callbacks=[checkpoint], enable_checkpointing=True,
                            num_sanity_val_steps=1, **trainer_kwargs)
    trainer.fit(model, train, val, ckpt_path=ckpt_path)
    return trainer, model


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_from_epoch_end_is_bit_identical(tmp_path, optimizer):
    _, full = _run(tmp_path / "full", 4, optimizer=optimizer)
    _, first = _run(tmp_path / "split", 2, optimizer=optimizer)
    trainer, resumed = _run(tmp_path / "split", 4, ckpt_path="last", optimizer=optimizer)
    assert first.losses + resumed.losses == full.losses  # exact float equality, batch by batch
    for name, value in weights(full).items():
        np.testing.assert_array_equal(weights(resumed)[name], value, err_msg=name)
    assert trainer.current_epoch == 4 and trainer.global_step == 20
    assert trainer.ckpt_path.endswith("last.ckpt")


def test_resume_mid_epoch_with_workers_is_bit_identical(tmp_path):
    """A checkpoint taken every 3 optimizer steps (mid-epoch) replays the epoch's shuffling and per-batch seeds."""
    _, full = _run(tmp_path / "full", 3, workers=2)
    kwargs = dict(checkpoint_kwargs={"every_n_train_steps": 3, "every_n_epochs": 0})
    first_trainer, first = _run(tmp_path / "split", 3, max_steps=8, workers=2, **kwargs)
    assert first_trainer.global_step == 8
    step6 = str(tmp_path / "split" / "ckpt" / "epoch=1-step=6.ckpt")
    assert os.path.exists(step6)
    _, resumed = _run(tmp_path / "resumed", 3, ckpt_path=step6, workers=2, **kwargs)
    assert first.losses[:6] + resumed.losses == full.losses
    for name, value in weights(full).items():
        np.testing.assert_array_equal(weights(resumed)[name], value, err_msg=name)


def test_checkpoint_is_pickle_free_and_complete(tmp_path):
    trainer, model = _run(tmp_path, 1)
    path = trainer.checkpoint_callback.last_model_path
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["structure.json", "tensors.safetensors"]
    checkpoint = tl.load(path)
    for key in ("epoch", "global_step", "state_dict", "optimizer_states", "lr_schedulers", "callbacks", "loops",
                "rng_states", "hyper_parameters", "tensorlib_version", "model_class"):
        assert key in checkpoint, key
    assert set(checkpoint["rng_states"]) == {"tensorlib", "numpy", "python", "generators"}
    assert len(checkpoint["rng_states"]["generators"]) == 1  # the DataLoader's generator
    assert checkpoint["hyper_parameters"] == {"lr": 0.1, "hidden": 16, "noise": 0.3, "optimizer": "adam"}
    assert checkpoint["tensorlib_version"] == tl.__version__
    assert checkpoint["model_class"].endswith("Classifier")
    assert checkpoint["epoch"] == 0 and checkpoint["global_step"] == 5
    assert checkpoint["loops"]["fit_loop"]["epoch_completed"] is True


def test_ckpt_path_last_without_checkpoint_says_where_it_looked(tmp_path):
    model = Classifier()
    train, val = loaders()
    trainer = quiet_trainer(tmp_path, max_epochs=1, callbacks=[ModelCheckpoint(dirpath=str(tmp_path / "nothing"))],
                            enable_checkpointing=True)
    with pytest.raises(FileNotFoundError, match="no last.*ckpt found; looked in .*nothing"):
        trainer.fit(model, train, val, ckpt_path="last")


def test_crash_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    trainer, _ = _run(tmp_path, 1)
    path = trainer.checkpoint_callback.last_model_path
    before = open(path, "rb").read()

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        trainer.save_checkpoint(path)
    assert open(path, "rb").read() == before
    assert [name for name in os.listdir(os.path.dirname(path)) if name.endswith(".tmp")] == []
    tl.load(path)  # still a complete checkpoint
