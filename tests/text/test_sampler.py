import pytest

import tensorlib as tl
from tensorlib.text import BucketBatchSampler


def _lengths(n=1000, seed=0):
    g = tl.Generator().manual_seed(seed)
    return g.np_rng.integers(1, 200, size=n).tolist()


def test_every_index_exactly_once_and_len():
    lengths = _lengths(1003)
    sampler = BucketBatchSampler(lengths, batch_size=16, bucket_size_multiplier=10,
                                 generator=tl.Generator().manual_seed(1))
    batches = list(sampler)
    assert len(batches) == len(sampler) == 63
    assert sorted(i for b in batches for i in b) == list(range(1003))
    assert all(isinstance(i, int) for b in batches for i in b)


def test_batches_group_similar_lengths():
    lengths = _lengths(2000)
    sampler = BucketBatchSampler(lengths, batch_size=20, bucket_size_multiplier=100,
                                 generator=tl.Generator().manual_seed(0))
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in sampler]
    # Random batches would spread ~190; one bucket of 2000 sorted by length spreads ~2 per batch.
    assert sum(spread) / len(spread) < 10


def test_no_shuffle_is_sorted_and_deterministic():
    lengths = [5, 1, 4, 2, 3]
    sampler = BucketBatchSampler(lengths, batch_size=2, shuffle=False)
    assert list(sampler) == [[1, 3], [4, 2], [0]] == list(sampler)


def test_drop_last_and_len():
    lengths = list(range(25))
    sampler = BucketBatchSampler(lengths, batch_size=4, bucket_size_multiplier=2, drop_last=True,
                                 generator=tl.Generator().manual_seed(0))
    batches = list(sampler)
    assert len(batches) == len(sampler) == 6
    assert all(len(b) == 4 for b in batches)


def test_generator_controls_order():
    lengths = _lengths(500)
    make = lambda seed: list(BucketBatchSampler(lengths, 8, 5, generator=tl.Generator().manual_seed(seed)))
    assert make(3) == make(3)
    assert make(3) != make(4)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        BucketBatchSampler([1, 2], batch_size=0)


def test_works_as_dataloader_batch_sampler():
    from tensorlib.data import DataLoader

    data = [list(range(n)) for n in [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]]
    sampler = BucketBatchSampler([len(d) for d in data], batch_size=3, generator=tl.Generator().manual_seed(0))
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=lambda batch: [len(x) for x in batch])
    batches = list(loader)
    assert len(loader) == len(batches) == 4
    assert sorted(n for b in batches for n in b) == sorted(len(d) for d in data)
    assert all(b == sorted(b) for b in batches)  # each batch comes from one length-sorted bucket
