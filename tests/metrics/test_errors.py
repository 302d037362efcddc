"""Bad input: each error names the metric and the offending value."""

from __future__ import annotations

import pytest

import tensorlib as tl
import tensorlib.metrics as tm
import tensorlib.metrics.functional as F


def test_mismatched_lengths():
    with pytest.raises(RuntimeError, match=r"BinaryAccuracy: .*same shape.*\(5,\).*\(4,\)"):
        tm.BinaryAccuracy().update(tl.rand(5), tl.tensor([0, 1, 0, 1]))
    with pytest.raises(ValueError, match=r"MulticlassF1Score: .*\(6, 3\).*\(5,\)"):
        tm.MulticlassF1Score(num_classes=3).update(tl.rand(6, 3), tl.tensor([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match=r"MulticlassAccuracy: .*same shape.*\(3,\).*\(2,\)"):
        tm.MulticlassAccuracy(num_classes=3).update(tl.tensor([0, 1, 2]), tl.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"MeanSquaredError: .*\(3,\).*\(2,\)"):
        tm.MeanSquaredError().update(tl.rand(3), tl.rand(2))
    with pytest.raises(RuntimeError, match=r"multilabel_accuracy: .*same shape"):
        F.multilabel_accuracy(tl.rand(4, 3), tl.randint(0, 2, (4, 2)), num_labels=3)


def test_class_index_outside_num_classes():
    with pytest.raises(RuntimeError, match=r"MulticlassAccuracy: detected values \[7\] in `target` outside the class "
                                           r"range \[0, 4\] \(num_classes=5\)"):
        tm.Accuracy(task="multiclass", num_classes=5).update(tl.rand(3, 5), tl.tensor([0, 7, 1]))
    with pytest.raises(RuntimeError, match=r"MulticlassConfusionMatrix: detected values \[-1, 3\] in `preds`"):
        tm.MulticlassConfusionMatrix(num_classes=3).update(tl.tensor([-1, 3, 0]), tl.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"BinaryRecall: detected the following values in `target`: \[2\]"):
        tm.BinaryRecall().update(tl.rand(3), tl.tensor([0, 2, 1]))
    with pytest.raises(RuntimeError, match=r"binary_precision: detected the following values in `preds`: \[3\]"):
        F.binary_precision(tl.tensor([0, 3, 1]), tl.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match=r"MulticlassAccuracy: `preds.shape\[1\]` should be the number of classes "
                                         r"\(4\)"):
        tm.MulticlassAccuracy(num_classes=4).update(tl.rand(3, 5), tl.tensor([0, 1, 2]))


def test_missing_num_classes_for_a_multiclass_task():
    with pytest.raises(ValueError, match=r"Accuracy: optional arg `num_classes` must be type `int` when task is "
                                         r"'multiclass'. Got NoneType"):
        tm.Accuracy(task="multiclass")
    with pytest.raises(ValueError, match=r"ConfusionMatrix: optional arg `num_labels`"):
        tm.ConfusionMatrix(task="multilabel")
    with pytest.raises(ValueError, match=r"MulticlassPrecision: expected argument `num_classes` to be an integer "
                                         r"larger than 1, but got None"):
        tm.MulticlassPrecision()
    with pytest.raises(ValueError, match=r"accuracy: optional arg `num_classes`"):
        F.accuracy(tl.rand(3, 4), tl.tensor([0, 1, 2]), task="multiclass")
    with pytest.raises(ValueError, match=r"Accuracy: invalid Classification: expected one of"):
        tm.Accuracy(task="multi-class", num_classes=3)


def test_probabilities_must_be_probabilities_where_they_are_thresholds():
    """Scores outside [0, 1] are logits (sigmoid/softmax applied, as torchmetrics); thresholds must lie in [0, 1]."""
    with pytest.raises(ValueError, match=r"BinaryAccuracy: expected argument `threshold` to be a float in the \[0,1\] "
                                         r"range, but got 1.5"):
        tm.BinaryAccuracy(threshold=1.5)
    with pytest.raises(ValueError, match=r"binary_auroc: expected all `thresholds` to be probabilities in the \[0,1\] "
                                         r"range, but got \[-0.5"):
        F.binary_auroc(tl.rand(4), tl.tensor([0, 1, 0, 1]), thresholds=[-0.5, 0.5])
    with pytest.raises(ValueError, match=r"BinaryAUROC: expected `preds` to be a float tensor"):
        tm.BinaryAUROC().update(tl.tensor([0, 1]), tl.tensor([0, 1]))
    logits = tl.tensor([-3.0, 2.0, 0.2])  # outside [0, 1]: sigmoid first, so 0.2 -> 0.55 -> positive
    assert F.binary_accuracy(logits, tl.tensor([0, 1, 1])).item() == 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="top_k"):
        tm.MulticlassAccuracy(num_classes=3, top_k=4)
    with pytest.raises(ValueError, match="average"):
        tm.MulticlassRecall(num_classes=3, average="samples")
    with pytest.raises(ValueError, match="normalize"):
        tm.MulticlassConfusionMatrix(num_classes=3, normalize="rows")
    with pytest.raises(ValueError, match="beta"):
        tm.MulticlassFBetaScore(beta=-1.0, num_classes=3)
    with pytest.raises(ValueError, match="multidim_average='global'"):
        tm.MulticlassAccuracy(num_classes=3, multidim_average="samplewise")
    with pytest.raises(ValueError, match="top_k=2 needs `preds` of scores"):
        F.multiclass_accuracy(tl.tensor([0, 1]), tl.tensor([0, 1]), num_classes=3, top_k=2)
    with pytest.raises(NotImplementedError, match="task specific metric"):
        tm.classification.stat_scores._ClassificationTaskWrapper().update()
    with pytest.raises(RuntimeError, match="MeanMetric: Encountered `nan`"):
        tm.MeanMetric(nan_strategy="error").update(tl.tensor([1.0, float("nan")]))
