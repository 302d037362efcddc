"""Shared pieces of the example scripts: progress bars, evaluation, pickle-free checkpoints, clean errors."""

from __future__ import annotations

import os
import sys
import time

import tensorlib as tl
import tensorlib.metrics as tm


def progress(iterable, description: str, total: int | None = None, enabled: bool = True):
    """A tqdm bar on a terminal; a quiet pass-through otherwise (logs stay readable)."""
    if not enabled or not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, leave=False, dynamic_ncols=True)


def evaluate(model, loader, metrics: tm.MetricCollection | None = None) -> tuple[float, list, list]:
    """Accuracy of ``model`` on ``loader`` (a tensorlib.metrics Accuracy over all batches, uneven last batch
    included); also returns all predictions and targets. ``metrics`` (see ``per_class_metrics``) are updated with
    every batch's logits too."""
    model.eval()
    accuracy, predictions, targets = None, [], []
    with tl.no_grad():
        for images, labels in loader:
            outputs = model(images)
            if accuracy is None:
                # one process sees the whole loader here: no reduction across data-parallel ranks
                accuracy = tm.Accuracy(task="multiclass", num_classes=outputs.shape[1], sync_on_compute=False)
            accuracy.update(outputs, labels)
            if metrics is not None:
                metrics.update(outputs, labels)
            predictions += outputs.argmax(1).tolist()
            targets += labels.tolist()
    model.train()
    return (accuracy.compute().item() if accuracy is not None else 0.0), predictions, targets


def per_class_metrics(num_classes: int) -> tm.MetricCollection:
    """Per-class precision, recall and F1 and the confusion matrix, for ``tm.format_classification_report``."""
    return tm.MetricCollection({"precision": tm.MulticlassPrecision(num_classes, average=None),
                                "recall": tm.MulticlassRecall(num_classes, average=None),
                                "f1": tm.MulticlassF1Score(num_classes, average=None),
                                "confusion": tm.MulticlassConfusionMatrix(num_classes)})


def save_checkpoint(path: str, **state) -> None:
    """Write a pickle-free checkpoint (tensorlib.save writes atomically)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tl.save(state, path)


def fail(message: str) -> None:
    """Exit with one clear line instead of a traceback."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
