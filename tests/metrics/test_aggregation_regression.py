"""Aggregation and regression metrics against NumPy (and torchmetrics when installed)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from metrics_reference import t

import tensorlib as tl
import tensorlib.metrics as tm
import tensorlib.metrics.functional as F


def test_aggregators_against_numpy():
    values = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    weights = np.random.default_rng(1).random((7, 3)).astype(np.float32)
    mean = tm.MeanMetric()
    mean.update(t(values[:4]), t(weights[:4]))
    mean.update(t(values[4:]), t(weights[4:]))
    assert mean.compute().item() == pytest.approx((values * weights).sum() / weights.sum(), rel=1e-5)
    scalar_mean = tm.MeanMetric()
    for loss, batch in ((0.5, 64), (0.25, 16)):  # the usual "average loss over uneven batches"
        scalar_mean.update(loss, weight=batch)
    assert scalar_mean.compute().item() == pytest.approx((0.5 * 64 + 0.25 * 16) / 80)
    for cls, fn in ((tm.SumMetric, np.sum), (tm.MaxMetric, np.max), (tm.MinMetric, np.min)):
        metric = cls()
        metric.update(t(values[:2]))
        metric.update(t(values[2:]))
        assert metric.compute().item() == pytest.approx(fn(values), rel=1e-5)
    cat = tm.CatMetric()
    cat.update(t(values[:2]))
    cat.update(3.0)
    np.testing.assert_allclose(cat.compute().numpy(), np.append(values[:2].reshape(-1), 3.0))


def test_nan_strategies():
    data = tl.tensor([1.0, float("nan"), 3.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warned = tm.MeanMetric()
        warned.update(data)
    assert warned.compute().item() == 2.0 and any("nan" in str(w.message) for w in caught)
    ignored = tm.SumMetric(nan_strategy="ignore")
    ignored.update(data)
    assert ignored.compute().item() == 4.0
    replaced = tm.SumMetric(nan_strategy=10.0)
    replaced.update(data)
    assert replaced.compute().item() == 14.0
    kept = tm.MaxMetric(nan_strategy="disable")
    kept.update(tl.tensor([1.0, 2.0]))
    assert kept.compute().item() == 2.0
    with pytest.raises(ValueError, match="nan_strategy"):
        tm.MeanMetric(nan_strategy="drop")


def test_regression_against_numpy():
    rng = np.random.default_rng(2)
    target = rng.normal(size=(40, 2)).astype(np.float32)
    preds = (target + 0.3 * rng.normal(size=(40, 2))).astype(np.float32)
    err = preds.astype(np.float64) - target
    assert F.mean_squared_error(t(preds[:, 0]), t(target[:, 0])).item() == pytest.approx((err[:, 0] ** 2).mean(),
                                                                                        rel=1e-5)
    assert F.mean_squared_error(t(preds[:, 0]), t(target[:, 0]), squared=False).item() == pytest.approx(
        np.sqrt((err[:, 0] ** 2).mean()), rel=1e-5)
    assert F.mean_absolute_error(t(preds), t(target)).item() == pytest.approx(np.abs(err).mean(), rel=1e-5)
    per_output = F.mean_squared_error(t(preds), t(target), num_outputs=2).numpy()
    np.testing.assert_allclose(per_output, (err ** 2).mean(0), rtol=1e-5)
    tss = ((target - target.mean(0)) ** 2).sum(0)
    r2 = 1 - (err ** 2).sum(0) / tss
    assert F.r2_score(t(preds), t(target)).item() == pytest.approx(r2.mean(), rel=1e-5)
    np.testing.assert_allclose(F.r2_score(t(preds), t(target), multioutput="raw_values").numpy(), r2, rtol=1e-5)
    metric = tm.R2Score(num_outputs=2, multioutput="variance_weighted")
    metric.update(t(preds[:13]), t(target[:13]))
    metric.update(t(preds[13:]), t(target[13:]))
    assert metric.compute().item() == pytest.approx((r2 * tss).sum() / tss.sum(), rel=1e-5)
    adjusted = F.r2_score(t(preds[:, 0]), t(target[:, 0]), adjusted=3).item()
    assert adjusted == pytest.approx(1 - (1 - r2[0]) * 39 / 36, rel=1e-5)


@pytest.mark.torch
def test_regression_and_aggregation_match_torchmetrics():
    torch = pytest.importorskip("torch")
    torchmetrics = pytest.importorskip("torchmetrics")
    rng = np.random.default_rng(3)
    target = rng.normal(size=30).astype(np.float32)
    preds = (target + rng.normal(size=30)).astype(np.float32)
    tp, tt = torch.from_numpy(preds), torch.from_numpy(target)
    for name, kwargs in (("MeanSquaredError", {}), ("MeanSquaredError", {"squared": False}),
                         ("MeanAbsoluteError", {}), ("R2Score", {}), ("R2Score", {"adjusted": 2})):
        ours, theirs = getattr(tm, name)(**kwargs), getattr(torchmetrics, name)(**kwargs)
        for chunk in (slice(0, 11), slice(11, 30)):
            assert ours(t(preds[chunk]), t(target[chunk])).item() == pytest.approx(
                theirs(tp[chunk], tt[chunk]).item(), rel=1e-5)
        assert ours.compute().item() == pytest.approx(theirs.compute().item(), rel=1e-5)
    for name in ("MeanMetric", "SumMetric", "MaxMetric", "MinMetric"):
        ours, theirs = getattr(tm, name)(), getattr(torchmetrics, name)()
        for chunk in (slice(0, 4), slice(4, 30)):
            assert ours(t(preds[chunk])).item() == pytest.approx(theirs(tp[chunk]).item(), rel=1e-5)
        assert ours.compute().item() == pytest.approx(theirs.compute().item(), rel=1e-5)
