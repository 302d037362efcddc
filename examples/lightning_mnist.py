"""Train an MNIST MLP with the Lightning API (``tensorlib.lightning``): LightningModule + LightningDataModule +
ModelCheckpoint + EarlyStopping + CSVLogger, then test the best checkpoint.

    python examples/lightning_mnist.py --download
    TENSORLIB_DATASETS_MIRROR=/path/to/mnist python examples/lightning_mnist.py --download   # local copy
    python examples/lightning_mnist.py --download --resume      # continue from OUT_DIR/checkpoints/last.ckpt

Writes OUT_DIR/lightning_logs/version_N/{metrics.csv,hparams.yaml,metrics.png} and checkpoints under
OUT_DIR/checkpoints (best by validation accuracy, and last.ckpt).
"""

from __future__ import annotations

import argparse
import os
import sys

import tensorlib as tl
import tensorlib.lightning as L
from tensorlib import nn
from tensorlib.data import DataLoader, random_split
from tensorlib.datasets import MNIST
from tensorlib.lightning.callbacks import EarlyStopping, ModelCheckpoint
from tensorlib.lightning.loggers import CSVLogger
from tensorlib.nn import functional as F
from tensorlib.vision import transforms


class LitMLP(L.LightningModule):
    """784 -> hidden -> hidden/2 -> 10 with ReLU, Adam, accuracy logged per epoch."""

    def __init__(self, hidden: int = 128, lr: float = 1e-3) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Linear(hidden // 2, 10))

    def forward(self, x):
        return self.net(x)

    def _shared(self, batch, stage: str):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.log(f"{stage}_loss", loss, prog_bar=stage != "train", on_epoch=True, on_step=stage == "train")
        self.log(f"{stage}_acc", (logits.argmax(dim=1) == y).float().mean(), prog_bar=True,
                 on_epoch=True, on_step=False)
        return loss

    def training_step(self, batch, batch_idx):
        return self._shared(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._shared(batch, "val")

    def test_step(self, batch, batch_idx):
        self._shared(batch, "test")

    def configure_optimizers(self):
        return tl.optim.Adam(self.parameters(), lr=self.hparams.lr)


class MNISTDataModule(L.LightningDataModule):
    """MNIST train (minus a seeded validation split) and test sets, normalised."""

    def __init__(self, data_dir: str = "data", batch_size: int = 64, val_size: int = 5000, num_workers: int = 0,
                 download: bool = False, seed: int = 0) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["data_dir", "download", "num_workers"])
        self.data_dir, self.download, self.num_workers = data_dir, download, num_workers
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])

    def prepare_data(self) -> None:
        MNIST(self.data_dir, train=True, download=self.download)
        MNIST(self.data_dir, train=False, download=self.download)

    def setup(self, stage: str) -> None:
        full = MNIST(self.data_dir, train=True, transform=self.transform)
        val_size = min(self.hparams.val_size, len(full) // 5)
        generator = tl.Generator().manual_seed(self.hparams.seed)
        self.train_set, self.val_set = random_split(full, [len(full) - val_size, val_size], generator=generator)
        self.test_set = MNIST(self.data_dir, train=False, transform=self.transform)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True,
                          num_workers=self.num_workers, generator=tl.Generator().manual_seed(self.hparams.seed))

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=1000, num_workers=self.num_workers)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=1000, num_workers=self.num_workers)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="data", help="dataset root (files in DATA_DIR/MNIST/raw)")
    parser.add_argument("--download", action="store_true", help="download (or copy from a mirror) if missing")
    parser.add_argument("--epochs", type=int, default=5, help="max_epochs (early stopping may end sooner)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--patience", type=int, default=2, help="EarlyStopping patience on val_loss")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--limit-train-batches", type=float, default=1.0, help="fraction or count (quick runs)")
    parser.add_argument("--out-dir", default="runs/lightning_mnist")
    parser.add_argument("--resume", action="store_true", help='fit(ckpt_path="last"): continue the last run')
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.limit_train_batches > 1:
        args.limit_train_batches = int(args.limit_train_batches)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    datamodule = MNISTDataModule(args.data_dir, args.batch_size, num_workers=args.num_workers,
                                 download=args.download, seed=args.seed)
    try:
        datamodule.prepare_data()
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        hint = "" if args.download else (" (pass --download, or set TENSORLIB_DATASETS_MIRROR to a folder of the "
                                         ".gz files)")
        print(f"error: MNIST is not available under {args.data_dir!r}: {first}{hint}", file=sys.stderr)
        raise SystemExit(2) from None
    L.seed_everything(args.seed, workers=True)
    checkpoint = ModelCheckpoint(dirpath=os.path.join(args.out_dir, "checkpoints"),
                                 filename="{epoch}-{val_acc:.4f}", monitor="val_acc", mode="max", save_last=True)
    trainer = L.Trainer(max_epochs=args.epochs, default_root_dir=args.out_dir,
                        logger=CSVLogger(args.out_dir), limit_train_batches=args.limit_train_batches,
                        callbacks=[checkpoint, EarlyStopping(monitor="val_loss", patience=args.patience)],
                        enable_progress_bar=not args.no_progress)
    trainer.fit(LitMLP(args.hidden, args.lr), datamodule=datamodule, ckpt_path="last" if args.resume else None)
    if trainer.interrupted:
        return {"interrupted": True, "last": checkpoint.last_model_path}
    results = trainer.test(ckpt_path="best", datamodule=datamodule)
    print(f"best checkpoint: {checkpoint.best_model_path} (val_acc {checkpoint.best_model_score:.4f}); "
          f"test accuracy: {100 * results[0]['test_acc']:.2f}%")
    return {"test_acc": results[0]["test_acc"], "best": checkpoint.best_model_path,
            "last": checkpoint.last_model_path, "log_dir": trainer.log_dir, "epochs": trainer.current_epoch}


if __name__ == "__main__":
    main()
