"""Tiny LightningModules and data shared by the lightning tests."""

from __future__ import annotations

import tensorlib as tl
import tensorlib.lightning as L
from tensorlib import nn
from tensorlib.data import DataLoader, TensorDataset

FEATURES, CLASSES = 4, 3


def make_data(n: int = 48, seed: int = 0) -> TensorDataset:
    """Separable 3-class blobs: the class is the argmax of the first three features (plus noise)."""
    gen = tl.Generator().manual_seed(seed)
    x = tl.randn(n, FEATURES, generator=gen)
    y = x[:, :CLASSES].argmax(dim=1)
    return TensorDataset(x, y)


def loaders(n: int = 48, batch_size: int = 8, shuffle: bool = True, generator=None, **kwargs) -> tuple:
    train = DataLoader(make_data(n), batch_size=batch_size, shuffle=shuffle, generator=generator, **kwargs)
    val = DataLoader(make_data(n // 2, seed=1), batch_size=batch_size)
    return train, val


class Classifier(L.LightningModule):
    """An MLP with dropout and a noisy input augmentation, so resume must restore every RNG stream."""

    def __init__(self, lr: float = 0.1, hidden: int = 16, noise: float = 0.0, optimizer: str = "sgd") -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(FEATURES, hidden), nn.ReLU(), nn.Dropout(0.1), nn.Linear(hidden, CLASSES))
        self.losses: list = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        if self.hparams.noise:
            x = x + self.hparams.noise * tl.randn(*x.shape)
        loss = nn.functional.cross_entropy(self(x), y)
        self.losses.append(loss.item())
        self.log("train_loss", loss, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean())

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_acc", (self(x).argmax(dim=1) == y).float().mean())

    def configure_optimizers(self):
        if self.hparams.optimizer == "adam":
            optimizer = tl.optim.Adam(self.parameters(), lr=self.hparams.lr)
            scheduler = tl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
            return {"optimizer": optimizer, "lr_scheduler": scheduler}
        return tl.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)


def quiet_trainer(tmp_path, **kwargs) -> L.Trainer:
    """A Trainer with no progress bar, summary or logger unless asked for."""
    options = dict(default_root_dir=str(tmp_path), enable_progress_bar=False, enable_model_summary=False,
                   logger=False, enable_checkpointing=False)
    options.update(kwargs)
    return L.Trainer(**options)


def weights(module) -> dict:
    return {name: p.detach().numpy().copy() for name, p in module.state_dict().items()}


class Counting(Classifier):
    """Counts steps per stage and remembers the first sample of every training batch."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = {"train": 0, "val": 0, "sanity": 0, "test": 0, "val_runs": 0}
        self.first_samples: list = []

    def training_step(self, batch, batch_idx):
        self.calls["train"] += 1
        self.first_samples.append(batch[0][0].numpy().copy())
        return super().training_step(batch, batch_idx)

    def validation_step(self, batch, batch_idx):
        self.calls["sanity" if self.trainer.sanity_checking else "val"] += 1
        return super().validation_step(batch, batch_idx)

    def on_validation_end(self):
        if not self.trainer.sanity_checking:
            self.calls["val_runs"] += 1

    def test_step(self, batch, batch_idx):
        self.calls["test"] += 1
        return super().test_step(batch, batch_idx)


class RecordingDataModule(L.LightningDataModule):
    """Appends its ``prepare_data``/``setup`` calls to ``calls``; serves the ``loaders`` data."""

    def __init__(self, calls: list, batch_size: int = 8):
        super().__init__()
        self.save_hyperparameters(ignore=["calls"])
        self.calls = calls

    def prepare_data(self):
        self.calls.append("prepare_data")

    def setup(self, stage):
        self.calls.append(f"setup:{stage}")
        self.train, self.val = loaders(n=32, batch_size=self.hparams.batch_size)

    def train_dataloader(self):
        return self.train

    def val_dataloader(self):
        return self.val

    def test_dataloader(self):
        return self.val
