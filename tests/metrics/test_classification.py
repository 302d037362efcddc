"""Classification metrics against direct NumPy definitions and (when installed) torchmetrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from metrics_reference import (
    binary_hard,
    binary_inputs,
    calibration_l1,
    confusion,
    multiclass_hard,
    multiclass_inputs,
    multiclass_score,
    multilabel_inputs,
    rank_auroc,
    step_average_precision,
    t,
)

import tensorlib as tl
import tensorlib.metrics as tm
import tensorlib.metrics.functional as F

AVERAGES = ["micro", "macro", "weighted", "none"]


def assert_close(value, expected, atol=1e-5):
    np.testing.assert_allclose(np.asarray(value.numpy(), dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               atol=atol, rtol=1e-5)


# ------------------------------------------------------------------------------------------- NumPy
@pytest.mark.parametrize("kind", ["probs", "logits", "labels"])
@pytest.mark.parametrize("name", ["accuracy", "precision", "recall", "f1"])
def test_binary_against_numpy(kind, name):
    preds, target = binary_inputs(np.random.default_rng(1), 97, kind)
    pred = binary_hard(preds)
    tp, fp = ((pred == 1) & (target == 1)).sum(), ((pred == 1) & (target == 0)).sum()
    fn, tn = ((pred == 0) & (target == 1)).sum(), ((pred == 0) & (target == 0)).sum()
    expected = {"accuracy": (tp + tn) / 97, "precision": tp / (tp + fp), "recall": tp / (tp + fn),
                "f1": 2 * tp / (2 * tp + fp + fn)}[name]
    metric = {"accuracy": tm.BinaryAccuracy, "precision": tm.BinaryPrecision, "recall": tm.BinaryRecall,
              "f1": tm.BinaryF1Score}[name]()
    metric.update(t(preds), t(target))
    assert_close(metric.compute(), expected)
    functional = {"accuracy": F.binary_accuracy, "precision": F.binary_precision, "recall": F.binary_recall,
                  "f1": F.binary_f1_score}[name]
    assert_close(functional(t(preds), t(target)), expected)


@pytest.mark.parametrize("kind", ["probs", "logits", "labels"])
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("name", ["accuracy", "precision", "recall", "f1"])
def test_multiclass_against_numpy_with_absent_classes(kind, average, name):
    """Class 3 never occurs in the target (and, for label preds, never predicted): macro leaves it out."""
    c = 5
    preds, target = multiclass_inputs(np.random.default_rng(2), 120, c, kind, absent=(3,))
    expected = multiclass_score(name, multiclass_hard(preds), target, c, average)
    cls = {"accuracy": tm.MulticlassAccuracy, "precision": tm.MulticlassPrecision,
           "recall": tm.MulticlassRecall, "f1": tm.MulticlassF1Score}[name]
    metric = cls(num_classes=c, average=average)
    metric.update(t(preds), t(target))
    assert_close(metric.compute(), expected)


def test_macro_average_ignores_classes_absent_everywhere_but_counts_mispredicted_ones():
    target = np.array([0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 3])  # class 3 only predicted (recall 0 counted), class 4 nowhere (left out)
    recall = tm.MulticlassRecall(num_classes=5, average="macro")
    recall.update(t(pred), t(target))
    assert_close(recall.compute(), np.mean([0.5, 1.0, 0.0, 0.0]))
    per_class = F.multiclass_recall(t(pred), t(target), num_classes=5, average="none")
    assert_close(per_class, [0.5, 1.0, 0.0, 0.0, 0.0])
    weighted = F.multiclass_precision(t(pred), t(target), num_classes=5, average="weighted")
    assert_close(weighted, (2 * 1.0 + 2 * (2 / 3) + 1 * 0.0) / 5)


def test_fbeta_against_numpy():
    preds, target = multiclass_inputs(np.random.default_rng(3), 80, 4, "probs")
    for beta in (0.5, 2.0):
        for average in AVERAGES:
            expected = multiclass_score("f", preds.argmax(1), target, 4, average, beta)
            actual = F.multiclass_fbeta_score(t(preds), t(target), beta=beta, num_classes=4, average=average)
            assert_close(actual, expected)
            actual = tm.FBetaScore(task="multiclass", beta=beta, num_classes=4, average=average)(t(preds), t(target))
            assert_close(actual, expected)


def test_top_k_accuracy_counts_a_hit_in_the_k_best_scores():
    rng = np.random.default_rng(4)
    preds, target = multiclass_inputs(rng, 200, 10, "logits")
    top5 = np.argsort(-preds, axis=1)[:, :5]
    hit = (top5 == target[:, None]).any(1)
    metric = tm.Accuracy(task="multiclass", num_classes=10, top_k=5)
    metric.update(t(preds), t(target))
    assert_close(metric.compute(), hit.mean())
    # per-class (macro) top-k accuracy: recall of each class with hits as correct predictions
    per_class = [hit[target == k].mean() for k in range(10)]
    actual = F.multiclass_accuracy(t(preds), t(target), num_classes=10, top_k=5, average="macro")
    assert_close(actual, np.mean(per_class))


def test_ignore_index_drops_those_samples():
    preds, target = multiclass_inputs(np.random.default_rng(5), 60, 4, "probs")
    target = target.copy()
    target[::4] = -100
    keep = target != -100
    expected = multiclass_score("accuracy", preds[keep].argmax(1), target[keep], 4, "macro")
    assert_close(F.multiclass_accuracy(t(preds), t(target), num_classes=4, ignore_index=-100), expected)
    target = np.where(target == -100, 2, target)  # an ignore_index inside the class range
    keep = target != 2
    assert_close(F.multiclass_recall(t(preds), t(target), num_classes=4, average="micro", ignore_index=2),
                 (preds[keep].argmax(1) == target[keep]).mean())


def test_multiclass_extra_dimensions_are_flattened():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(4, 3, 5, 6)).astype(np.float32)
    target = rng.integers(0, 3, (4, 5, 6))
    pred = logits.argmax(1).reshape(-1)
    assert_close(F.multiclass_accuracy(t(logits), t(target), num_classes=3, average="micro"),
                 (pred == target.reshape(-1)).mean())
    actual = F.multiclass_confusion_matrix(t(logits), t(target), num_classes=3)
    assert_close(actual, confusion(pred, target.reshape(-1), 3))


@pytest.mark.parametrize("kind", ["probs", "logits", "labels"])
@pytest.mark.parametrize("average", AVERAGES)
def test_multilabel_against_numpy(kind, average):
    preds, target = multilabel_inputs(np.random.default_rng(7), 50, 4, kind)
    pred = binary_hard(preds)
    tp = ((pred == 1) & (target == 1)).sum(0)
    fp = ((pred == 1) & (target == 0)).sum(0)
    fn = ((pred == 0) & (target == 1)).sum(0)
    tn = ((pred == 0) & (target == 0)).sum(0)
    if average == "micro":
        expected_acc = (tp + tn).sum() / (tp + tn + fp + fn).sum()
        expected_prec = tp.sum() / (tp + fp).sum()
    else:
        acc, prec = (tp + tn) / 50, tp / np.maximum(tp + fp, 1)
        weights = {"macro": np.ones(4), "weighted": (tp + fn).astype(float), "none": None}[average]
        expected_acc = acc if weights is None else (acc * weights).sum() / weights.sum()
        expected_prec = prec if weights is None else (prec * weights).sum() / weights.sum()
    assert_close(tm.MultilabelAccuracy(num_labels=4, average=average)(t(preds), t(target)), expected_acc)
    assert_close(F.multilabel_precision(t(preds), t(target), num_labels=4, average=average), expected_prec)


def test_confusion_matrices_and_normalisation():
    preds, target = multiclass_inputs(np.random.default_rng(8), 90, 4, "probs", absent=(2,))
    counts = confusion(preds.argmax(1), target, 4)
    metric = tm.ConfusionMatrix(task="multiclass", num_classes=4)
    metric.update(t(preds), t(target))
    result = metric.compute()
    assert result.dtype == tl.int64
    np.testing.assert_array_equal(result.numpy(), counts)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        true_norm = F.multiclass_confusion_matrix(t(preds), t(target), num_classes=4, normalize="true")
    assert any("NaN values found in confusion matrix" in str(w.message) for w in caught)  # row 2 is empty
    rows = counts.sum(1, keepdims=True)
    assert_close(true_norm, np.where(rows == 0, 0, counts / np.maximum(rows, 1)))
    assert_close(F.multiclass_confusion_matrix(t(preds), t(target), num_classes=4, normalize="pred"),
                 counts / counts.sum(0, keepdims=True))
    actual = F.multiclass_confusion_matrix(t(preds), t(target), num_classes=4, normalize="all")
    assert_close(actual, counts / counts.sum())

    bpreds, btarget = binary_inputs(np.random.default_rng(9), 40, "probs")
    np.testing.assert_array_equal(F.binary_confusion_matrix(t(bpreds), t(btarget)).numpy(),
                                  confusion(binary_hard(bpreds), btarget, 2))
    mpreds, mtarget = multilabel_inputs(np.random.default_rng(10), 30, 3, "labels")
    ml = F.multilabel_confusion_matrix(t(mpreds), t(mtarget), num_labels=3).numpy()
    assert ml.shape == (3, 2, 2)
    for label in range(3):
        np.testing.assert_array_equal(ml[label], confusion(mpreds[:, label], mtarget[:, label], 2))


def test_binary_auroc_and_average_precision_against_rank_statistics():
    preds, target = binary_inputs(np.random.default_rng(11), 150, "probs")
    preds = np.round(preds, 2)  # ties
    assert_close(F.binary_auroc(t(preds), t(target)), rank_auroc(preds.astype(np.float64), target))
    assert_close(F.binary_average_precision(t(preds), t(target)), step_average_precision(preds, target))
    logits = np.log(preds + 1e-3) - np.log1p(1e-3 - preds)
    assert_close(F.binary_auroc(t(logits.astype(np.float32)), t(target)), rank_auroc(preds.astype(np.float64), target),
                 atol=1e-4)


@pytest.mark.parametrize("average", ["macro", "weighted", "none"])
def test_multiclass_auroc_and_ap_one_vs_rest(average):
    c = 4
    preds, target = multiclass_inputs(np.random.default_rng(12), 120, c, "probs")
    auc = np.array([rank_auroc(preds[:, k].astype(np.float64), (target == k).astype(int)) for k in range(c)])
    ap = np.array([step_average_precision(preds[:, k], (target == k).astype(int)) for k in range(c)])
    support = np.bincount(target, minlength=c)
    reduce = {"macro": lambda s: s.mean(), "weighted": lambda s: (s * support).sum() / support.sum(),
              "none": lambda s: s}[average]
    assert_close(tm.AUROC(task="multiclass", num_classes=c, average=average)(t(preds), t(target)), reduce(auc))
    actual = tm.AveragePrecision(task="multiclass", num_classes=c, average=average)(t(preds), t(target))
    assert_close(actual, reduce(ap))


def test_multilabel_auroc_macro_and_micro():
    preds, target = multilabel_inputs(np.random.default_rng(13), 80, 3, "probs")
    per_label = [rank_auroc(preds[:, k].astype(np.float64), target[:, k]) for k in range(3)]
    assert_close(F.multilabel_auroc(t(preds), t(target), num_labels=3), np.mean(per_label))
    assert_close(F.multilabel_auroc(t(preds), t(target), num_labels=3, average="micro"),
                 rank_auroc(preds.reshape(-1).astype(np.float64), target.reshape(-1)))


def test_binned_auroc_approaches_exact_with_many_thresholds():
    preds, target = binary_inputs(np.random.default_rng(14), 300, "probs")
    exact = F.binary_auroc(t(preds), t(target)).item()
    binned = tm.BinaryAUROC(thresholds=1001)
    binned.update(t(preds[:100]), t(target[:100]))
    binned.update(t(preds[100:]), t(target[100:]))
    assert abs(binned.compute().item() - exact) < 2e-3
    assert binned.confmat.shape == (1001, 2, 2)


def test_partial_auroc_is_standardised():
    preds, target = binary_inputs(np.random.default_rng(15), 200, "probs")
    perfect = F.binary_auroc(t(target.astype(np.float32)), t(target), max_fpr=0.2)
    assert_close(perfect, 1.0)
    value = F.binary_auroc(t(preds), t(target), max_fpr=0.3).item()
    assert 0.5 <= value <= 1.0


def test_calibration_error_against_binning_loop():
    preds, target = multiclass_inputs(np.random.default_rng(16), 200, 5, "probs")
    confidence, correct = preds.max(1).astype(np.float64), (preds.argmax(1) == target).astype(float)
    assert_close(F.multiclass_calibration_error(t(preds), t(target), num_classes=5, n_bins=10),
                 calibration_l1(confidence, correct, 10))
    bpreds, btarget = binary_inputs(np.random.default_rng(17), 150, "probs")
    metric = tm.CalibrationError(task="binary", n_bins=15)
    metric.update(t(bpreds), t(btarget))
    assert_close(metric.compute(), calibration_l1(bpreds.astype(np.float64), btarget.astype(float), 15))
    assert F.binary_calibration_error(t(bpreds), t(btarget), norm="max").item() >= metric.compute().item()


# ------------------------------------------------------------------------------------- torchmetrics
def _torch_pair(preds, target):
    torch = pytest.importorskip("torch")
    return torch.from_numpy(np.ascontiguousarray(preds)), torch.from_numpy(np.ascontiguousarray(target))


CLASS_CASES = [
    ("Accuracy", {}), ("Precision", {}), ("Recall", {}), ("F1Score", {}), ("FBetaScore", {"beta": 0.5}),
    ("ConfusionMatrix", {}), ("ConfusionMatrix", {"normalize": "true"}), ("AUROC", {}), ("AveragePrecision", {}),
    ("StatScores", {}),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,extra", CLASS_CASES)
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_task_classes_match_torchmetrics(name, extra, task):
    torchmetrics = pytest.importorskip("torchmetrics")
    rng = np.random.default_rng(hash((name, task)) % 2**32)
    averages = [None] if name in ("ConfusionMatrix",) or task == "binary" else (
        ["macro", "weighted", "none"] if name in ("AUROC", "AveragePrecision") else AVERAGES)
    kinds = ["probs", "logits"] if name in ("AUROC", "AveragePrecision") else ["probs", "logits", "labels"]
    for kind in kinds:
        if task == "binary":
            preds, target = binary_inputs(rng, 64, kind)
        elif task == "multiclass":
            preds, target = multiclass_inputs(rng, 64, 5, kind, absent=(4,))
        else:
            preds, target = multilabel_inputs(rng, 64, 3, kind)
        for average in averages:
            kwargs = dict(extra, task=task, num_classes=5, num_labels=3)
            if average is not None:
                kwargs["average"] = average
            ours = getattr(tm, name)(**kwargs)
            theirs = getattr(torchmetrics, name)(**kwargs)
            tp, tt = _torch_pair(preds, target)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for chunk in (slice(0, 20), slice(20, 64)):
                    batch_ours = ours(t(preds[chunk]), t(target[chunk]))
                    batch_theirs = theirs(tp[chunk], tt[chunk])
                    assert_close(batch_ours, batch_theirs.double().numpy(), atol=1e-5)
                assert_close(ours.compute(), theirs.compute().double().numpy(), atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("top_k", [2, 3])
@pytest.mark.parametrize("average", AVERAGES)
def test_top_k_and_ignore_index_match_torchmetrics(top_k, average):
    torchmetrics = pytest.importorskip("torchmetrics")
    preds, target = multiclass_inputs(np.random.default_rng(top_k), 100, 6, "logits", absent=(5,))
    target = target.copy()
    target[::7] = -1
    tp, tt = _torch_pair(preds, target)
    for name in ("multiclass_accuracy", "multiclass_precision", "multiclass_recall", "multiclass_f1_score"):
        ours = getattr(F, name)(t(preds), t(target), num_classes=6, top_k=top_k, average=average, ignore_index=-1)
        theirs = getattr(torchmetrics.functional.classification, name)(tp, tt, num_classes=6, top_k=top_k,
                                                                        average=average, ignore_index=-1)
        assert_close(ours, theirs.double().numpy())


@pytest.mark.torch
def test_ranking_and_calibration_functionals_match_torchmetrics():
    torchmetrics = pytest.importorskip("torchmetrics")
    tf = torchmetrics.functional.classification
    rng = np.random.default_rng(21)
    preds, target = binary_inputs(rng, 120, "probs")
    tp, tt = _torch_pair(preds, target)
    for thresholds in (None, 11, [0.1, 0.5, 0.9]):
        assert_close(F.binary_auroc(t(preds), t(target), thresholds=thresholds),
                     tf.binary_auroc(tp, tt, thresholds=thresholds))
        assert_close(F.binary_average_precision(t(preds), t(target), thresholds=thresholds),
                     tf.binary_average_precision(tp, tt, thresholds=thresholds))
    assert_close(F.binary_auroc(t(preds), t(target), max_fpr=0.4), tf.binary_auroc(tp, tt, max_fpr=0.4))
    mpreds, mtarget = multiclass_inputs(rng, 120, 4, "logits")
    mp, mt = _torch_pair(mpreds, mtarget)
    for thresholds in (None, 21):
        for average in ("macro", "weighted", "none"):
            assert_close(F.multiclass_auroc(t(mpreds), t(mtarget), 4, average=average, thresholds=thresholds),
                         tf.multiclass_auroc(mp, mt, 4, average=average, thresholds=thresholds))
            actual = F.multiclass_average_precision(t(mpreds), t(mtarget), 4, average=average, thresholds=thresholds)
            assert_close(actual, tf.multiclass_average_precision(mp, mt, 4, average=average, thresholds=thresholds))
    lpreds, ltarget = multilabel_inputs(rng, 60, 3, "probs")
    ltarget[::5, 1] = -1
    lp, lt = _torch_pair(lpreds, ltarget)
    for average in ("micro", "macro", "weighted", "none"):
        assert_close(F.multilabel_auroc(t(lpreds), t(ltarget), 3, average=average, ignore_index=-1),
                     tf.multilabel_auroc(lp, lt, 3, average=average, ignore_index=-1))
        assert_close(F.multilabel_average_precision(t(lpreds), t(ltarget), 3, average=average, ignore_index=-1),
                     tf.multilabel_average_precision(lp, lt, 3, average=average, ignore_index=-1))
    for norm in ("l1", "l2", "max"):
        assert_close(F.multiclass_calibration_error(t(mpreds), t(mtarget), 4, n_bins=10, norm=norm),
                     tf.multiclass_calibration_error(mp, mt, 4, n_bins=10, norm=norm))
        assert_close(F.binary_calibration_error(t(preds), t(target), n_bins=7, norm=norm),
                     tf.binary_calibration_error(tp, tt, n_bins=7, norm=norm))


@pytest.mark.torch
def test_ignore_index_zero_division_and_extra_dims_match_torchmetrics():
    torchmetrics = pytest.importorskip("torchmetrics")
    tf = torchmetrics.functional.classification
    rng = np.random.default_rng(22)
    preds, target = binary_inputs(rng, 60, "probs")
    preds, target = preds.reshape(6, 10), target.reshape(6, 10).copy()
    target[:, ::4] = -1
    tp, tt = _torch_pair(preds, target)
    for name in ("binary_accuracy", "binary_precision", "binary_recall", "binary_f1_score"):
        assert_close(getattr(F, name)(t(preds), t(target), ignore_index=-1), getattr(tf, name)(tp, tt, ignore_index=-1))
    assert_close(F.binary_confusion_matrix(t(preds), t(target), ignore_index=-1),
                 tf.binary_confusion_matrix(tp, tt, ignore_index=-1))
    lpreds, ltarget = multilabel_inputs(rng, 40, 4, "logits")
    ltarget[::3, 2] = -1
    lp, lt = _torch_pair(lpreds, ltarget)
    for name in ("multilabel_accuracy", "multilabel_precision", "multilabel_recall", "multilabel_f1_score"):
        for average in AVERAGES:
            assert_close(getattr(F, name)(t(lpreds), t(ltarget), 4, average=average, ignore_index=-1),
                         getattr(tf, name)(lp, lt, 4, average=average, ignore_index=-1))
    assert_close(F.multilabel_confusion_matrix(t(lpreds), t(ltarget), 4, ignore_index=-1),
                 tf.multilabel_confusion_matrix(lp, lt, 4, ignore_index=-1))
    never = np.zeros(10, dtype=np.int64)  # no positive predictions or targets: 0/0 -> zero_division
    for zero_division in (0, 1):
        assert_close(F.binary_precision(t(never), t(never), zero_division=zero_division),
                     tf.binary_precision(torch_tensor(never), torch_tensor(never), zero_division=zero_division))
        mpreds, mtarget = multiclass_inputs(rng, 30, 5, "labels", absent=(3, 4))
        mp, mt = _torch_pair(mpreds, mtarget)
        for average in AVERAGES:
            assert_close(F.multiclass_precision(t(mpreds), t(mtarget), 5, average=average, zero_division=zero_division),
                         tf.multiclass_precision(mp, mt, 5, average=average, zero_division=zero_division))


def torch_tensor(array):
    return pytest.importorskip("torch").from_numpy(np.ascontiguousarray(array))
