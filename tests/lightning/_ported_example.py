"""The LightningModule and DataModule of a Lightning-style script, in Lightning's idiom with the imports changed
(``torch`` -> ``tensorlib``, ``lightning`` -> ``tensorlib.lightning``); ``test_ported_example.py`` runs it."""

from __future__ import annotations

import tensorlib as torch
import tensorlib.lightning as L
from tensorlib.nn import functional as F
from tensorlib.utils.data import DataLoader, TensorDataset, random_split

from .bar_digits import bar_digits


class Backbone(torch.nn.Module):
    def __init__(self, hidden_dim=64):
        super().__init__()
        self.l1 = torch.nn.Linear(28 * 28, hidden_dim)
        self.l2 = torch.nn.Linear(hidden_dim, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.l2(torch.relu(self.l1(x)))


class LitClassifier(L.LightningModule):
    def __init__(self, backbone=None, learning_rate: float = 3e-3):
        super().__init__()
        self.save_hyperparameters(ignore=["backbone"])
        self.backbone = backbone if backbone is not None else Backbone()

    def forward(self, x):
        return self.backbone(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        y_hat = self(x)
        self.log("valid_loss", F.cross_entropy(y_hat, y), on_step=True)
        self.log("valid_acc", (y_hat.argmax(dim=1) == y).float().mean(), prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_acc", (self(x).argmax(dim=1) == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=None):
        x, _ = batch
        return self(x).argmax(dim=1)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)


class BarDataModule(L.LightningDataModule):
    def __init__(self, batch_size: int = 32):
        super().__init__()
        self.batch_size = batch_size

    def setup(self, stage):
        images, labels = bar_digits(600, seed=1)
        dataset = TensorDataset(torch.tensor(images).float().div(255).unsqueeze(1), torch.tensor(labels).long())
        self.train_set, self.val_set, self.test_set = random_split(
            dataset, [400, 100, 100], generator=torch.Generator().manual_seed(42))

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=self.batch_size)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=self.batch_size)

    def predict_dataloader(self):
        return DataLoader(self.test_set, batch_size=self.batch_size)
