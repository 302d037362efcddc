"""compute() reduces states across ranks through ``tensorlib.distributed`` (torch.distributed's names).

A fake 2-rank world: two threads, each with its own metric, and an ``all_gather`` that really exchanges the
tensors through a barrier, installed as ``tensorlib.distributed`` by monkeypatching ``sys.modules``. (The real MPI
backend: test_distributed_mpi.py.)
"""

from __future__ import annotations

import sys
import threading
import types
import warnings

import numpy as np
import pytest
from metrics_reference import binary_inputs, multiclass_inputs, t

import tensorlib as tl
import tensorlib.metrics as tm
import tensorlib.metrics.functional as F


class FakeWorld:
    def __init__(self, size: int = 2, initialized: bool = True) -> None:
        self.size = size
        self.initialized = initialized
        self.barrier = threading.Barrier(size, timeout=30)
        self.slots: list = [None] * size
        self.local = threading.local()
        self.gathers = 0

    def module(self) -> types.ModuleType:
        module = types.ModuleType("tensorlib.distributed")
        module.is_available = lambda: True
        module.is_initialized = lambda: self.initialized
        module.get_world_size = lambda group=None: self.size
        module.get_rank = lambda group=None: self.local.rank
        module.all_gather = self.all_gather
        return module

    def all_gather(self, tensor_list, tensor, group=None, async_op=False):
        rank = self.local.rank
        self.slots[rank] = tensor.numpy().copy()
        self.barrier.wait()
        for out, value in zip(tensor_list, self.slots):
            assert tuple(out.shape) == value.shape, "all_gather needs equal shapes on every rank"
            assert out.numpy().dtype == value.dtype, "all_gather needs equal dtypes on every rank"
            out.copy_(tl.from_numpy(value.copy()))
        self.gathers += rank == 0
        self.barrier.wait()

    def run(self, fn):
        """``fn(rank)`` on every rank in its own thread; the results by rank."""
        results, errors = [None] * self.size, []

        def target(rank):
            self.local.rank = rank
            try:
                results[rank] = fn(rank)
            except BaseException as error:  # surfaced in the main thread
                errors.append(error)
                self.barrier.abort()

        threads = [threading.Thread(target=target, args=(rank,)) for rank in range(self.size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results


@pytest.fixture
def world(monkeypatch):
    fake = FakeWorld()
    monkeypatch.setitem(sys.modules, "tensorlib.distributed", fake.module())
    return fake


def _shards(preds, target, sizes=(37, 63)):
    return [(preds[: sizes[0]], target[: sizes[0]]), (preds[sizes[0]:], target[sizes[0]:])]


@pytest.mark.parametrize("factory,functional,make", [
    (lambda: tm.MulticlassAccuracy(4), lambda p, y: F.multiclass_accuracy(p, y, 4),
     lambda r: multiclass_inputs(r, 100, 4, "logits")),
    (lambda: tm.MulticlassConfusionMatrix(4), lambda p, y: F.multiclass_confusion_matrix(p, y, 4),
     lambda r: multiclass_inputs(r, 100, 4, "probs")),
    (lambda: tm.BinaryAUROC(), F.binary_auroc, lambda r: binary_inputs(r, 100, "probs")),  # cat states, 37 vs 63
    (lambda: tm.MulticlassAveragePrecision(4), lambda p, y: F.multiclass_average_precision(p, y, 4),
     lambda r: multiclass_inputs(r, 100, 4, "probs")),  # 2-D cat states of different lengths
    (lambda: tm.MeanSquaredError(), F.mean_squared_error,
     lambda r: (r.normal(size=100).astype(np.float32), r.normal(size=100).astype(np.float32))),
])
def test_compute_reduces_states_over_two_ranks(world, factory, functional, make):
    preds, target = make(np.random.default_rng(0))
    shards = _shards(preds, target)

    def rank_main(rank):
        metric = factory()
        metric.update(t(shards[rank][0]), t(shards[rank][1]))
        synced = metric.compute().numpy()
        local_state = {name: value for name, value in metric.metric_state.items()}
        return synced, local_state

    results = world.run(rank_main)
    expected = functional(t(preds), t(target)).numpy()
    for synced, _ in results:
        np.testing.assert_allclose(synced, expected, rtol=1e-5, atol=1e-6)
    assert world.gathers > 0
    # after compute the local states are back (accumulation continues per rank): rank 0 holds its 37 samples
    for value in results[0][1].values():
        if isinstance(value, list):
            assert sum(v.shape[0] for v in value) == 37
        elif value.ndim == 2:  # the confusion matrix
            assert value.sum().item() == 37


def test_every_dist_reduce_fx(world):
    class AllReductions(tm.Metric):
        def __init__(self):
            super().__init__()
            self.add_state("total", tl.tensor(0.0), dist_reduce_fx="sum")
            self.add_state("average", tl.tensor(0.0), dist_reduce_fx="mean")
            self.add_state("largest", tl.tensor(float("-inf")), dist_reduce_fx="max")
            self.add_state("smallest", tl.tensor(float("inf")), dist_reduce_fx="min")
            self.add_state("values", [], dist_reduce_fx="cat")
            self.add_state("product", tl.tensor(1.0), dist_reduce_fx=lambda stacked: stacked.prod(0))
            self.add_state("stacked", tl.tensor(0.0), dist_reduce_fx=None)

        def update(self, x):
            self.total = self.total + x.sum()
            self.average = x.mean()
            self.largest = tl.maximum(self.largest, x.max())
            self.smallest = tl.minimum(self.smallest, x.min())
            self.values.append(x)
            self.product = self.product * x.prod()
            self.stacked = x.sum()

        def compute(self):
            return {name: getattr(self, name) for name in self._defaults}

    data = [tl.tensor([1.0, 2.0]), tl.tensor([3.0, 4.0, 5.0])]

    def rank_main(rank):
        metric = AllReductions()
        metric.update(data[rank])
        return {name: value.tolist() for name, value in metric.compute().items()}

    for result in world.run(rank_main):
        assert result["total"] == 15.0 and result["average"] == pytest.approx((1.5 + 4.0) / 2)
        assert result["largest"] == 5.0 and result["smallest"] == 1.0
        assert result["values"] == [1.0, 2.0, 3.0, 4.0, 5.0] and result["product"] == 120.0
        assert result["stacked"] == [3.0, 12.0]


def test_a_rank_without_samples_contributes_an_empty_cat_state(world):
    def rank_main(rank):
        metric = tm.CatMetric()
        if rank == 0:
            metric.update(tl.tensor([[1.0, 2.0], [3.0, 4.0]]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return metric.compute().tolist()

    assert world.run(rank_main) == [[1.0, 2.0, 3.0, 4.0]] * 2


def test_forward_does_not_sync_and_sync_on_compute_false_stays_local(world):
    def rank_main(rank):
        metric = tm.SumMetric()
        batch = metric(tl.tensor([float(rank + 1)]))  # forward: the local batch value, no collective
        local_only = tm.SumMetric(sync_on_compute=False)
        local_only.update(tl.tensor([float(rank + 1)]))
        return batch.item(), local_only.compute().item(), metric.compute().item()

    assert world.run(rank_main) == [(1.0, 1.0, 3.0), (2.0, 2.0, 3.0)]


def test_no_sync_when_the_process_group_is_not_initialised(monkeypatch):
    fake = FakeWorld(initialized=False)
    monkeypatch.setitem(sys.modules, "tensorlib.distributed", fake.module())
    metric = tm.SumMetric()
    metric.update(tl.tensor([2.0]))
    assert metric.compute().item() == 2.0 and fake.gathers == 0


def test_no_sync_without_a_distributed_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorlib.distributed", None)  # import raises ImportError
    metric = tm.MeanMetric()
    metric.update(tl.tensor([2.0, 4.0]))
    assert metric.compute().item() == 3.0
