"""examples/common.py: evaluate() accuracy over uneven batches and the per-class report from tensorlib.metrics."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.metrics as tm
import tensorlib.nn as nn
from tensorlib.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

from common import evaluate, per_class_metrics  # noqa: E402


def test_evaluate_accuracy_and_per_class_report_over_uneven_batches():
    tl.manual_seed(0)
    model = nn.Linear(5, 3)
    x, y = tl.randn(23, 5), tl.randint(0, 3, (23,))
    report = per_class_metrics(3)
    accuracy, predictions, targets = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=10), report)
    with tl.no_grad():
        expected_pred = model(x).argmax(1).numpy()
    assert predictions == expected_pred.tolist() and targets == y.tolist()
    assert accuracy == pytest.approx((expected_pred == y.numpy()).mean())
    results = report.compute()
    np.testing.assert_array_equal(results["confusion"].numpy().sum(1), np.bincount(y.numpy(), minlength=3))
    text = tm.format_classification_report(results, ["a", "b", "c"])
    assert text.splitlines()[0].split() == ["precision", "recall", "f1", "support"]
    assert text.splitlines()[4].split()[-1] == "23"
