"""The Metric base: add_state, custom metrics, caching, merge_state, kwargs, to()/device, module behaviour."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.metrics as tm
import tensorlib.nn as nn


class RunningMean(tm.Metric):
    """The torchmetrics README's custom-metric example, as a user would port it."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=tl.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("count", default=tl.tensor(0), dist_reduce_fx="sum")

    def update(self, values):
        self.total += values.sum()
        self.count += values.numel()

    def compute(self):
        return self.total / self.count


class ShiftedMean(RunningMean):
    def update(self, values):
        super().update(values + 1)


def test_custom_metric_with_in_place_state_updates():
    metric = RunningMean()
    assert metric(tl.tensor([1.0, 2.0, 3.0])).item() == pytest.approx(2.0)
    assert metric(tl.tensor([10.0])).item() == pytest.approx(10.0)
    assert metric.compute().item() == pytest.approx(4.0)
    metric.reset()
    assert metric.total.item() == 0 and metric.count.item() == 0 and metric.count.shape == ()
    metric.update(tl.tensor([5.0]))
    assert metric.compute().item() == 5.0


def test_subclass_calling_super_update_counts_one_update():
    metric = ShiftedMean()
    metric.update(tl.tensor([1.0, 3.0]))
    assert metric.update_count == 1 and metric.compute().item() == 3.0


def test_compute_is_cached_until_the_next_update():
    metric = RunningMean()
    metric.update(tl.tensor([2.0]))
    first = metric.compute()
    assert metric.compute() is first
    metric.update(tl.tensor([4.0]))
    assert metric.compute().item() == 3.0
    uncached = RunningMean(compute_with_cache=False)
    uncached.update(tl.tensor([2.0]))
    assert uncached.compute() is not uncached.compute()


def test_add_state_validates_default_and_reduction():
    metric = RunningMean()
    with pytest.raises(ValueError, match="state variable must be a tensor or any empty list"):
        metric.add_state("bad", default=3.0)
    with pytest.raises(ValueError, match="state variable must be a tensor or any empty list"):
        metric.add_state("bad", default=[tl.tensor(1.0)])
    with pytest.raises(ValueError, match="dist_reduce_fx"):
        metric.add_state("bad", default=tl.tensor(0.0), dist_reduce_fx="median")
    metric.add_state("custom", default=tl.tensor(0.0), dist_reduce_fx=lambda stacked: stacked.sum(0))
    assert callable(metric._reductions["custom"])


def test_unknown_keyword_arguments_are_rejected():
    with pytest.raises(ValueError, match="Unexpected keyword arguments: `devices`"):
        tm.MeanMetric(devices="cpu")
    with pytest.raises(ValueError, match="compute_with_cache"):
        tm.MeanMetric(compute_with_cache="yes")


def test_merge_state_combines_two_accumulations():
    left, right, both = tm.MulticlassAccuracy(3), tm.MulticlassAccuracy(3), tm.MulticlassAccuracy(3)
    a, b = (tl.tensor([0, 1, 2, 2]), tl.tensor([0, 1, 1, 2])), (tl.tensor([1, 1]), tl.tensor([0, 1]))
    left.update(*a)
    right.update(*b)
    both.update(*a)
    both.update(*b)
    left.merge_state(right)
    assert left.compute().item() == pytest.approx(both.compute().item())
    with pytest.raises(ValueError, match="MulticlassAccuracy"):
        left.merge_state(tm.MeanMetric())


def test_states_are_not_in_state_dict_unless_persistent():
    metric = tm.MulticlassConfusionMatrix(3)
    metric.update(tl.tensor([0, 1]), tl.tensor([0, 2]))
    assert metric.state_dict() == {}
    metric.persistent(True)
    assert set(metric.state_dict()) == {"confmat"}


def test_persistent_states_round_trip_through_a_checkpoint(tmp_path):
    metric = tm.MulticlassAccuracy(3)
    metric.persistent(True)
    metric.update(tl.tensor([0, 1, 2, 1]), tl.tensor([0, 1, 1, 1]))
    tl.save(metric.state_dict(), tmp_path / "metric.pt")
    restored = tm.MulticlassAccuracy(3)
    restored.persistent(True)
    restored.load_state_dict(tl.load(tmp_path / "metric.pt"))
    assert restored.tp.tolist() == metric.tp.tolist() and restored.fn.tolist() == metric.fn.tolist()
    restored.update(tl.tensor([2]), tl.tensor([2]))
    assert restored.compute().item() == pytest.approx(tm.functional.multiclass_accuracy(
        tl.tensor([0, 1, 2, 1, 2]), tl.tensor([0, 1, 1, 1, 2]), num_classes=3).item())


def test_a_metric_is_a_module_child_and_accepts_device_moves():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.val_acc = tm.Accuracy(task="multiclass", num_classes=3)

    model = Model()
    assert "val_acc" in dict(model.named_children())
    assert "(val_acc): MulticlassAccuracy()" in repr(model)
    assert set(model.state_dict()) == {"fc.weight", "fc.bias"}  # metric states stay out of checkpoints
    metric = model.val_acc.to("cpu")
    assert metric is model.val_acc and metric.device == tl.device("cpu")
    model.to(tl.device("cpu"))
    metric.update(tl.tensor([0, 2]), tl.tensor([0, 1]))
    assert metric.compute().item() == 0.5


def test_deepcopy_gives_independent_states():
    metric = tm.MeanMetric()
    metric.update(tl.tensor([1.0, 2.0]))
    twin = copy.deepcopy(metric)
    twin.update(tl.tensor([30.0]))
    assert metric.compute().item() == 1.5 and twin.compute().item() == 11.0


def test_forward_of_a_full_state_metric_returns_the_batch_value():
    metric = tm.MaxMetric()
    assert metric(tl.tensor([1.0, 5.0])).item() == 5.0
    assert metric(tl.tensor([2.0])).item() == 2.0
    assert metric.compute().item() == 5.0


def test_a_failing_update_in_forward_keeps_the_accumulated_state():
    metric = tm.MulticlassAccuracy(3)
    metric(tl.tensor([0, 1]), tl.tensor([0, 1]))
    with pytest.raises(RuntimeError):
        metric(tl.tensor([0, 1]), tl.tensor([0, 7]))
    assert metric.update_count == 1 and metric.tp.sum().item() == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metric.compute().item() == 1.0


def test_results_are_float32_scalars_and_int64_counts():
    acc = tm.functional.multiclass_accuracy(tl.tensor([0, 1]), tl.tensor([0, 1]), num_classes=2)
    assert acc.dtype == tl.float32 and acc.shape == ()
    cm = tm.functional.multiclass_confusion_matrix(tl.tensor([0, 1]), tl.tensor([0, 1]), num_classes=2)
    assert cm.dtype == tl.int64
    np.testing.assert_array_equal(cm.numpy(), np.eye(2))


def test_torchmetrics_import_style():
    import tensorlib.metrics as torchmetrics
    from tensorlib.metrics.classification import MulticlassAccuracy

    assert isinstance(torchmetrics.Accuracy(task="multiclass", num_classes=10), MulticlassAccuracy)
    assert isinstance(torchmetrics.F1Score(task="binary"), torchmetrics.BinaryF1Score)
    assert isinstance(torchmetrics.AUROC(task="multilabel", num_labels=3), torchmetrics.MultilabelAUROC)
    assert isinstance(torchmetrics.CalibrationError(task="binary"), torchmetrics.BinaryCalibrationError)
    assert torchmetrics.functional.accuracy is not None


def test_custom_cat_metric_with_utilities():
    from tensorlib.metrics.utilities import dim_zero_cat

    class Largest(tm.Metric):
        def __init__(self):
            super().__init__()
            self.add_state("values", default=[], dist_reduce_fx="cat")

        def update(self, x):
            self.values.append(x)

        def compute(self):
            return dim_zero_cat(self.values).max()

    metric = Largest()
    metric.update(tl.tensor([5.0, 1.0]))
    metric.update(tl.tensor([3.0]))
    assert metric.compute().item() == 5.0
