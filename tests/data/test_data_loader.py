"""DataLoader in the main process (num_workers=0): batching, samplers, arguments, RNG handling."""

import random

import numpy as np
import pytest
from data_test_helpers import RandomDataset, RangeDataset, ShardedStream, Stream

import tensorlib as tl
from tensorlib.data import BatchSampler, DataLoader, SequentialSampler, TensorDataset


def test_batches_and_len():
    loader = DataLoader(RangeDataset(10), batch_size=4)
    batches = [b.tolist() for b in loader]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(loader) == 3
    dropped = DataLoader(RangeDataset(10), batch_size=4, drop_last=True)
    assert [b.tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dropped) == 2


def test_tensor_dataset_batches():
    x = tl.arange(20, dtype=tl.float32).reshape(10, 2)
    y = tl.arange(10)
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=3)))
    assert tuple(xb.shape) == (3, 2) and xb.dtype == tl.float32 and yb.tolist() == [0, 1, 2]


def test_shuffle_reproducible_with_generator_and_global_seed():
    def epoch(loader):
        return [i for b in loader for i in b.tolist()]

    def seeded(seed):
        generator = tl.Generator().manual_seed(seed)
        return DataLoader(RangeDataset(30), batch_size=4, shuffle=True, generator=generator)

    a, b = epoch(seeded(1)), epoch(seeded(1))
    assert a == b and sorted(a) == list(range(30)) and a != list(range(30))
    tl.manual_seed(3)
    loader = DataLoader(RangeDataset(30), batch_size=4, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert first != second
    tl.manual_seed(3)
    assert epoch(loader) == first


def test_no_auto_batching_converts_samples():
    loader = DataLoader([np.array([1, 2]), np.array([3, 4])], batch_size=None)
    items = list(loader)
    assert all(isinstance(t, tl.Tensor) for t in items) and items[1].tolist() == [3, 4] and len(loader) == 2


def test_batch_sampler_argument():
    loader = DataLoader(RangeDataset(5), batch_sampler=[[4, 0], [2]])
    assert [b.tolist() for b in loader] == [[4, 0], [2]]
    loader = DataLoader(RangeDataset(5), batch_sampler=BatchSampler(SequentialSampler(range(5)), 2, False))
    assert len(loader) == 3


def test_iterable_dataset_in_process():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert [b.tolist() for b in DataLoader(ShardedStream(7), batch_size=3, drop_last=True)] == [[0, 1, 2],
                                                                                               [3, 4, 5]]
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_sampler=[[0]], shuffle=True), "mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "disables auto-batching"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used with multi-process"),
    (dict(num_workers=1, multiprocessing_context="teleport"), "valid start method"),
])
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(RangeDataset(4), **kwargs)


def test_iterable_dataset_rejects_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
        DataLoader(Stream(3), batch_sampler=[[0]])


def test_attributes_frozen_and_pin_memory_accepted():
    loader = DataLoader(RangeDataset(4), pin_memory=True)
    assert [b.tolist() for b in loader] == [[0], [1], [2], [3]]
    with pytest.raises(ValueError, match="batch_size attribute should not be set after"):
        loader.batch_size = 3


def test_in_process_loading_leaves_python_and_numpy_rngs_alone():
    random.seed(11)
    np.random.seed(11)
    expected = (random.random(), np.random.rand())
    random.seed(11)
    np.random.seed(11)
    list(DataLoader(RandomDataset(6), batch_size=2, generator=tl.Generator().manual_seed(0)))
    assert (random.random(), np.random.rand()) == expected


def _training_loop_draws(loader=None):
    """Draws a training loop makes from all three global RNGs between batches (with or without loading)."""
    random.seed(5)
    np.random.seed(5)
    tl.manual_seed(5)
    draws = []
    batches = iter(loader) if loader is not None else None
    for _ in range(3):
        if batches is not None:
            next(batches)
        draws.append((random.random(), float(np.random.rand()), np.random.randn(2).tolist(), tl.rand(1).item()))
    return draws


def test_training_loop_streams_continue_across_in_process_batches():
    """Each batch is seeded for itself, and the loop's own tensorlib/Python/NumPy streams carry on between them
    as if no loading had happened."""
    loader = DataLoader(RandomDataset(6), batch_size=2, generator=tl.Generator().manual_seed(0))
    assert _training_loop_draws(loader) == _training_loop_draws()


def test_streams_restored_when_a_batch_raises():
    class Failing(RandomDataset):
        def __getitem__(self, index):
            super().__getitem__(index)
            raise KeyError("boom")

    random.seed(3)
    np.random.seed(3)
    tl.manual_seed(3)
    expected = (random.random(), float(np.random.rand()), tl.rand(1).item())
    random.seed(3)
    np.random.seed(3)
    tl.manual_seed(3)
    with pytest.raises(KeyError, match="boom"):
        next(iter(DataLoader(Failing(4), batch_size=2, generator=tl.Generator())))
    assert (random.random(), float(np.random.rand()), tl.rand(1).item()) == expected


def test_random_transforms_differ_per_batch_and_per_epoch_and_repeat_with_seed():
    tl.manual_seed(0)
    loader = DataLoader(RandomDataset(8), batch_size=4)
    first = [b[1].tolist() for b in loader]
    second = [b[1].tolist() for b in loader]
    assert first[0] != first[1] and first != second
    tl.manual_seed(0)
    assert [b[1].tolist() for b in loader] == first


def test_numpy_without_bit_generator_swap_gives_the_same_batches_and_streams(monkeypatch):
    """The fallback for NumPy builds without the private seeding hook: serialise and restore the state."""
    from tensorlib.data import _seeding

    def batches():
        loader = DataLoader(RandomDataset(6), batch_size=2, generator=tl.Generator().manual_seed(0))
        return [[t.tolist() for t in batch] for batch in loader]

    swapped = batches()
    monkeypatch.setattr(_seeding, "_CAN_SWAP_NUMPY", False)
    assert batches() == swapped
    loader = DataLoader(RandomDataset(6), batch_size=2, generator=tl.Generator().manual_seed(0))
    assert _training_loop_draws(loader) == _training_loop_draws()
