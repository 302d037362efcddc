"""The text classifier of ``train_text_classifier.py`` trained by the Trainer (``tensorlib.lightning``).

    python examples/lightning_text_classifier.py --download                       # AG_NEWS, EmbeddingBag
    python examples/lightning_text_classifier.py --csv train.csv --model lstm      # your own labelled CSV

Same arguments, data pipeline and models as ``train_text_classifier.py`` (whose functions it reuses); the loop
is a LightningModule: gradient clipping by ``Trainer(gradient_clip_val=...)``, the learning-rate cut on a
validation drop in ``on_validation_end``, the best checkpoint by ``ModelCheckpoint``, logs
by ``CSVLogger`` (OUT_DIR/lightning_logs/version_N with metrics.csv and metrics.png).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import train_text_classifier as base  # noqa: E402
from common import fail  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.lightning as L  # noqa: E402
from tensorlib.lightning.callbacks import ModelCheckpoint  # noqa: E402
from tensorlib.lightning.loggers import CSVLogger  # noqa: E402
from tensorlib.nn import functional as F  # noqa: E402


class LitTextClassifier(L.LightningModule):
    """Wraps ``train_text_classifier.build_model(hparams)``; batches are ``(inputs tuple, labels)``."""

    def __init__(self, hparams: dict, lr: float | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = base.build_model(hparams)

    def forward(self, *inputs):
        return self.model(*inputs)

    def _step(self, batch, stage: str):
        inputs, labels = batch
        logits = self(*inputs)
        loss = F.cross_entropy(logits, labels)
        self.log(f"{stage}_loss", loss, on_epoch=True, on_step=False, prog_bar=stage != "train")
        self.log(f"{stage}_acc", (logits.argmax(1) == labels).float().mean(), on_epoch=True, on_step=False,
                 prog_bar=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "valid")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        if self.hparams.hparams["model"] == "bag":
            optimizer = tl.optim.SGD(self.parameters(), lr=self.hparams.lr or 5.0)
            # the tutorial's rule, applied in on_validation_end (so not handed to the Trainer to step)
            self.lr_cut = tl.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.1)
            self.best_valid = None
            return optimizer
        return tl.optim.Adam(self.parameters(), lr=self.hparams.lr or 2e-3)

    def on_validation_end(self):
        """Cut the learning rate tenfold when validation accuracy drops (not on a tie), as the tutorial does."""
        accuracy = self.trainer.callback_metrics.get("valid_acc")
        if getattr(self, "lr_cut", None) is None or accuracy is None or self.trainer.sanity_checking:
            return
        if self.best_valid is not None and float(accuracy) < self.best_valid:
            self.lr_cut.step()
        else:
            self.best_valid = float(accuracy)


def main(argv=None) -> dict:
    args = base.parse_args(argv)
    if args.predict is not None:
        fail("--predict: use train_text_classifier.py --predict TEXT --checkpoint PATH")
    L.seed_everything(args.seed, verbose=False)
    train_labels, train_texts, test_labels, test_texts, labels, class_names = base.load_texts(args)
    label_to_index = {label: i for i, label in enumerate(labels)}
    encoder = base.TextEncoder.fit(train_texts, args.tokenizer, min_freq=args.min_freq,
                                   bpe_vocab_size=args.bpe_vocab_size, max_tokens=args.max_vocab)
    train_loader, valid_loader, test_loader = base.make_loaders(
        args, encoder, train_texts, [label_to_index[x] for x in train_labels], test_texts,
        [label_to_index[x] for x in test_labels])
    hparams = {"model": args.model, "vocab_size": len(encoder.vocab), "embed_dim": args.embed_dim,
               "num_class": len(class_names), "hidden_size": args.hidden_size, "num_layers": args.num_layers,
               "dropout": args.dropout, "padding_idx": encoder.pad_index, "max_length": args.max_length}
    module = LitTextClassifier(hparams, args.lr)
    checkpoint = ModelCheckpoint(dirpath=os.path.join(args.out_dir, "checkpoints"), monitor="valid_acc",
                                 mode="max", save_last=True)
    trainer = L.Trainer(max_epochs=args.epochs, default_root_dir=args.out_dir, logger=CSVLogger(args.out_dir),
                        callbacks=[checkpoint], gradient_clip_val=0.1 if args.model == "bag" else 5.0,
                        limit_train_batches=args.limit_train_batches, enable_progress_bar=args.progress,
                        enable_model_summary=False, num_sanity_val_steps=0 if valid_loader is None else 2)
    trainer.fit(module, train_loader, valid_loader)
    results = trainer.test(module, test_loader)  # the final weights, as train_text_classifier.py reports
    print(f"test accuracy {results[0]['test_acc']:.2%} (checkpoint {checkpoint.best_model_path or 'none'})")
    return {"test_acc": results[0]["test_acc"], "best": checkpoint.best_model_path, "log_dir": trainer.log_dir,
            "classes": class_names}


if __name__ == "__main__":
    main()
