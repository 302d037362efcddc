"""DistributedSampler: PyTorch's padding/partition rules, exact coverage per epoch, reshuffle with set_epoch."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tensorlib.utils.data.distributed import DistributedSampler


def partitions(n, replicas, **kwargs):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kwargs)) for r in range(replicas)]


@given(st.integers(1, 60), st.integers(1, 9), st.booleans(), st.integers(0, 3))
def test_every_index_once_per_epoch_plus_padding(n, replicas, shuffle, epoch):
    samplers = [DistributedSampler(range(n), num_replicas=replicas, rank=r, shuffle=shuffle, seed=5)
                for r in range(replicas)]
    for s in samplers:
        s.set_epoch(epoch)
    parts = [list(s) for s in samplers]
    merged = sorted(i for part in parts for i in part)
    assert {len(p) for p in parts} == {len(samplers[0])}
    assert set(merged) == set(range(n))  # everything covered ...
    assert len(merged) - n == len(merged) - len(set(merged))  # ... and only the padding repeats


@given(st.integers(1, 60), st.integers(1, 9))
def test_drop_last_never_repeats(n, replicas):
    merged = [i for part in partitions(n, replicas, shuffle=True, drop_last=True) for i in part]
    assert len(merged) == len(set(merged)) == (n // replicas) * replicas


def test_set_epoch_changes_order_and_same_epoch_repeats():
    sampler = DistributedSampler(range(100), num_replicas=2, rank=0, seed=3)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    assert list(sampler) != first


def test_alias_is_the_same_module():
    import tensorlib.data
    import tensorlib.data.distributed

    assert DistributedSampler is tensorlib.data.distributed.DistributedSampler is tensorlib.data.DistributedSampler


def test_more_replicas_than_samples_pads_by_repeating():
    assert partitions(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_invalid_rank_and_missing_group():
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (2, 5, False), (9, 3, False),
                                                  (7, 4, True), (1, 3, False)])
def test_matches_torch_partition_without_shuffle(n, replicas, drop_last):
    torch_sampler = pytest.importorskip("torch.utils.data.distributed").DistributedSampler
    for r in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=r, shuffle=False, drop_last=drop_last)
        theirs = torch_sampler(range(n), num_replicas=replicas, rank=r, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
