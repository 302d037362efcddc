"""A Lightning-style script (its own LightningModule, DataModule and Trainer calls, in Lightning's idiom with
the imports changed: ``torch`` -> ``tensorlib``, ``lightning`` -> ``tensorlib.lightning``) trains to at least 90%
test accuracy on generated bar digits, then tests and predicts from the best checkpoint."""

from __future__ import annotations

import tensorlib.lightning as L
from tensorlib.lightning.callbacks import ModelCheckpoint

from ._ported_example import BarDataModule, LitClassifier


def test_ported_lightning_example_reaches_90_percent(tmp_path):
    L.seed_everything(1234, verbose=False)
    model, datamodule = LitClassifier(), BarDataModule()
    trainer = L.Trainer(max_epochs=4, default_root_dir=tmp_path, enable_progress_bar=False,
                        logger=L.loggers.CSVLogger(tmp_path),
                        callbacks=[ModelCheckpoint(monitor="valid_acc", mode="max")])
    trainer.fit(model, datamodule=datamodule)
    result = trainer.test(ckpt_path="best", datamodule=datamodule, verbose=False)
    assert result[0]["test_acc"] >= 0.9
    predictions = trainer.predict(ckpt_path="best", datamodule=datamodule)
    assert len(predictions) == 4 and predictions[0].shape == (32,)
    assert trainer.checkpoint_callback.best_model_score >= 0.9
