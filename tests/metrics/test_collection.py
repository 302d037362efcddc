"""MetricCollection: naming, prefix/postfix, clone, forward/update/compute/reset."""

from __future__ import annotations

import pytest

import tensorlib as tl
import tensorlib.metrics as tm


def _batch():
    return tl.tensor([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]), tl.tensor([0, 1, 1, 0])


def test_list_input_names_by_class_and_prefix_postfix_decorate_keys():
    collection = tm.MetricCollection([tm.MulticlassAccuracy(3), tm.MulticlassF1Score(3)], prefix="val_",
                                     postfix="_epoch")
    assert list(collection.keys()) == ["val_MulticlassAccuracy_epoch", "val_MulticlassF1Score_epoch"]
    assert list(collection.keys(keep_base=True)) == ["MulticlassAccuracy", "MulticlassF1Score"]
    batch = collection(*_batch())
    assert set(batch) == set(collection.keys())
    assert batch["val_MulticlassAccuracy_epoch"].item() == pytest.approx(tm.functional.multiclass_accuracy(
        *_batch(), num_classes=3).item())
    assert collection["val_MulticlassAccuracy_epoch"] is collection["MulticlassAccuracy"]


def test_dict_input_update_compute_reset_and_clone():
    collection = tm.MetricCollection({"acc": tm.Accuracy(task="multiclass", num_classes=3),
                                      "cm": tm.ConfusionMatrix(task="multiclass", num_classes=3)})
    collection.update(*_batch())
    result = collection.compute()
    assert result["acc"].item() == 0.75 and result["cm"].tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]
    test = collection.clone(prefix="test_")
    assert list(test.keys()) == ["test_acc", "test_cm"]
    test.update(tl.tensor([2]), tl.tensor([2]))
    assert collection.compute()["cm"].tolist()[2] == [0, 0, 0]  # the clone has its own states
    assert test.compute()["test_cm"].tolist()[2] == [0, 0, 1]
    collection.reset()
    assert all(metric.update_count == 0 for metric in collection.values())


def test_positional_metrics_nested_collections_and_errors():
    collection = tm.MetricCollection(tm.MeanMetric(), tm.MaxMetric())
    collection.update(tl.tensor([1.0, 3.0]))
    assert {k: v.item() for k, v in collection.compute().items()} == {"MeanMetric": 2.0, "MaxMetric": 3.0}
    nested = tm.MetricCollection({"train": tm.MetricCollection([tm.SumMetric()])})
    assert list(nested.keys()) == ["train_SumMetric"]
    with pytest.raises(ValueError, match="two metrics both named MeanMetric"):
        tm.MetricCollection([tm.MeanMetric(), tm.MeanMetric()])
    with pytest.raises(ValueError, match="not a instance"):
        tm.MetricCollection([tm.MeanMetric(), "accuracy"])
    with pytest.raises(ValueError, match="prefix"):
        tm.MetricCollection([tm.MeanMetric()], prefix=3)
