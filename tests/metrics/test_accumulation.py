"""Every metric class: uneven batches accumulate to the one-shot value, forward returns the batch value,
reset really resets, and compute() before update() warns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_reference import binary_inputs, multiclass_inputs, multilabel_inputs, t

import tensorlib.metrics as tm
import tensorlib.metrics.functional as F


def _regression(rng, n):
    target = rng.normal(size=n).astype(np.float32)
    return (target + 0.5 * rng.normal(size=n)).astype(np.float32), target


# (metric factory, functional one-shot equivalent, input generator)
CASES = {
    "binary_accuracy": (lambda: tm.BinaryAccuracy(), F.binary_accuracy, lambda r, n: binary_inputs(r, n, "labels")),
    "binary_f1": (lambda: tm.BinaryF1Score(), F.binary_f1_score, lambda r, n: binary_inputs(r, n, "probs")),
    "multiclass_accuracy_macro": (lambda: tm.MulticlassAccuracy(5), lambda p, y: F.multiclass_accuracy(p, y, 5),
                                  lambda r, n: multiclass_inputs(r, n, 5, "logits")),
    "multiclass_top2_micro": (lambda: tm.MulticlassAccuracy(5, top_k=2, average="micro"),
                              lambda p, y: F.multiclass_accuracy(p, y, 5, average="micro", top_k=2),
                              lambda r, n: multiclass_inputs(r, n, 5, "probs")),
    "multiclass_precision_weighted": (lambda: tm.MulticlassPrecision(5, average="weighted"),
                                      lambda p, y: F.multiclass_precision(p, y, 5, average="weighted"),
                                      lambda r, n: multiclass_inputs(r, n, 5, "labels")),
    "multiclass_recall_none": (lambda: tm.MulticlassRecall(5, average=None),
                               lambda p, y: F.multiclass_recall(p, y, 5, average=None),
                               lambda r, n: multiclass_inputs(r, n, 5, "probs")),
    "multiclass_f1_macro": (lambda: tm.MulticlassF1Score(5), lambda p, y: F.multiclass_f1_score(p, y, 5),
                            lambda r, n: multiclass_inputs(r, n, 5, "logits")),
    "multiclass_fbeta": (lambda: tm.MulticlassFBetaScore(2.0, 5), lambda p, y: F.multiclass_fbeta_score(p, y, 2.0, 5),
                         lambda r, n: multiclass_inputs(r, n, 5, "logits")),
    "multilabel_accuracy": (lambda: tm.MultilabelAccuracy(3), lambda p, y: F.multilabel_accuracy(p, y, 3),
                            lambda r, n: multilabel_inputs(r, n, 3, "probs")),
    "multiclass_confmat": (lambda: tm.MulticlassConfusionMatrix(5, normalize="true"),
                           lambda p, y: F.multiclass_confusion_matrix(p, y, 5, normalize="true"),
                           lambda r, n: multiclass_inputs(r, n, 5, "probs")),
    "binary_auroc": (lambda: tm.BinaryAUROC(), F.binary_auroc, lambda r, n: binary_inputs(r, n, "probs")),
    "binary_auroc_binned": (lambda: tm.BinaryAUROC(thresholds=50), lambda p, y: F.binary_auroc(p, y, thresholds=50),
                            lambda r, n: binary_inputs(r, n, "probs")),
    "multiclass_auroc": (lambda: tm.MulticlassAUROC(5), lambda p, y: F.multiclass_auroc(p, y, 5),
                         lambda r, n: multiclass_inputs(r, n, 5, "probs")),
    "multiclass_ap": (lambda: tm.MulticlassAveragePrecision(5), lambda p, y: F.multiclass_average_precision(p, y, 5),
                      lambda r, n: multiclass_inputs(r, n, 5, "probs")),
    "multilabel_ap_binned": (lambda: tm.MultilabelAveragePrecision(3, thresholds=20),
                             lambda p, y: F.multilabel_average_precision(p, y, 3, thresholds=20),
                             lambda r, n: multilabel_inputs(r, n, 3, "probs")),
    "calibration": (lambda: tm.MulticlassCalibrationError(5), lambda p, y: F.multiclass_calibration_error(p, y, 5),
                    lambda r, n: multiclass_inputs(r, n, 5, "probs")),
    "mse": (lambda: tm.MeanSquaredError(), F.mean_squared_error, _regression),
    "rmse": (lambda: tm.MeanSquaredError(squared=False), lambda p, y: F.mean_squared_error(p, y, squared=False),
             _regression),
    "mae": (lambda: tm.MeanAbsoluteError(), F.mean_absolute_error, _regression),
    "r2": (lambda: tm.R2Score(), F.r2_score, _regression),
}
SPLITS = [0, 7, 8, 30, 64, 65, 100]  # uneven batches, one of size 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_uneven_batches_accumulate_to_the_one_shot_value(case):
    factory, functional, make = CASES[case]
    preds, target = make(np.random.default_rng(0), 100)
    metric = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one-vs-rest classes without positives in a batch
        for lo, hi in zip(SPLITS, SPLITS[1:]):
            metric.update(t(preds[lo:hi]), t(target[lo:hi]))
        expected = functional(t(preds), t(target)).numpy()
        np.testing.assert_allclose(metric.compute().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_returns_the_batch_value_and_accumulates(case):
    factory, functional, make = CASES[case]
    preds, target = make(np.random.default_rng(1), 90)
    metric = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lo, hi in ((0, 40), (40, 90)):
            batch = metric(t(preds[lo:hi]), t(target[lo:hi]))
            np.testing.assert_allclose(batch.numpy(), functional(t(preds[lo:hi]), t(target[lo:hi])).numpy(),
                                       rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(metric.compute().numpy(), functional(t(preds), t(target)).numpy(), rtol=1e-5,
                                   atol=1e-6)
    assert metric.update_count == 2


@pytest.mark.parametrize("case", sorted(CASES))
def test_reset_really_resets(case):
    factory, functional, make = CASES[case]
    rng = np.random.default_rng(2)
    old, new = make(rng, 60), make(rng, 50)
    metric = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metric.update(t(old[0]), t(old[1]))
        metric.compute()
        metric.reset()
        assert metric.update_count == 0
        for name, default in metric._defaults.items():
            value = getattr(metric, name)
            if isinstance(default, list):
                assert value == []
            else:
                np.testing.assert_array_equal(value.numpy(), default.numpy())
        metric.update(t(new[0]), t(new[1]))
        np.testing.assert_allclose(metric.compute().numpy(), functional(t(new[0]), t(new[1])).numpy(), rtol=1e-5,
                                   atol=1e-6)


def _compute_warns(metric):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = metric.compute()
        except ValueError as error:
            value = error
    assert any("was called before the ``update`` method" in str(w.message) for w in caught)
    return value


def test_compute_before_update_warns_and_returns_what_torchmetrics_returns():
    assert _compute_warns(tm.Accuracy(task="multiclass", num_classes=3)).item() == 0.0
    assert _compute_warns(tm.BinaryF1Score()).item() == 0.0
    assert _compute_warns(tm.MulticlassConfusionMatrix(3)).tolist() == [[0] * 3] * 3
    assert np.isnan(_compute_warns(tm.MeanMetric()).item())
    assert _compute_warns(tm.SumMetric()).item() == 0.0
    assert _compute_warns(tm.MaxMetric()).item() == float("-inf")
    assert _compute_warns(tm.MinMetric()).item() == float("inf")
    assert _compute_warns(tm.CatMetric()) == []
    assert np.isnan(_compute_warns(tm.MeanSquaredError()).item())
    assert np.isnan(_compute_warns(tm.MeanAbsoluteError()).item())
    assert "at least two samples" in str(_compute_warns(tm.R2Score()))
    assert "No samples to concatenate" in str(_compute_warns(tm.BinaryAUROC()))
    assert _compute_warns(tm.BinaryAUROC(thresholds=5)).item() == 0.0


@pytest.mark.torch
def test_compute_before_update_values_match_torchmetrics():
    torchmetrics = pytest.importorskip("torchmetrics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kwargs in [("MulticlassAccuracy", {"num_classes": 3}), ("MeanMetric", {}), ("MaxMetric", {}),
                             ("MeanSquaredError", {}), ("BinaryAveragePrecision", {"thresholds": 5}),
                             ("MulticlassConfusionMatrix", {"num_classes": 3})]:
            ours = getattr(tm, name)(**kwargs).compute().numpy()
            module = torchmetrics if hasattr(torchmetrics, name) else torchmetrics.classification
            theirs = getattr(module, name)(**kwargs).compute().numpy()
            np.testing.assert_array_equal(ours, theirs)


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(0, 60), max_size=6), seed=st.integers(0, 2**16),
       average=st.sampled_from(["micro", "macro", "weighted", "none"]))
def test_any_split_into_batches_gives_the_one_shot_value(cuts, seed, average):
    preds, target = multiclass_inputs(np.random.default_rng(seed), 60, 4, "logits")
    bounds = [0, *sorted(cuts), 60]
    metric = tm.MulticlassF1Score(4, average=average)
    for lo, hi in zip(bounds, bounds[1:]):
        if hi > lo:
            metric.update(t(preds[lo:hi]), t(target[lo:hi]))
    expected = F.multiclass_f1_score(t(preds), t(target), 4, average=average).numpy()
    np.testing.assert_allclose(metric.compute().numpy(), expected, rtol=1e-6)
