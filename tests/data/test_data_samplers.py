import numpy as np
import pytest

import tensorlib as tl
from tensorlib.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

DATA = list(range(20))


def test_sequential_sampler():
    assert list(SequentialSampler(DATA)) == DATA and len(SequentialSampler(DATA)) == 20


def test_random_sampler_is_a_permutation_that_changes_per_epoch():
    sampler = RandomSampler(DATA, generator=tl.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == DATA and sorted(second) == DATA
    assert first != DATA and first != second


def test_random_sampler_reproducible_with_generator_and_global_seed():
    a = list(RandomSampler(DATA, generator=tl.Generator().manual_seed(3)))
    b = list(RandomSampler(DATA, generator=tl.Generator().manual_seed(3)))
    assert a == b
    tl.manual_seed(7)
    c = list(RandomSampler(DATA))
    tl.manual_seed(7)
    assert list(RandomSampler(DATA)) == c


def test_random_sampler_num_samples_without_replacement_concatenates_permutations():
    drawn = list(RandomSampler(list(range(5)), num_samples=12, generator=tl.Generator().manual_seed(0)))
    assert len(drawn) == 12
    assert sorted(drawn[:5]) == list(range(5)) and sorted(drawn[5:10]) == list(range(5))
    assert len(set(drawn[10:])) == 2


def test_random_sampler_with_replacement_statistics():
    drawn = np.array(list(RandomSampler(list(range(4)), replacement=True, num_samples=8000,
                                        generator=tl.Generator().manual_seed(0))))
    counts = np.bincount(drawn, minlength=4)
    assert drawn.min() >= 0 and drawn.max() <= 3
    assert np.all(np.abs(counts / 8000 - 0.25) < 0.03)
    # with replacement, repeats happen in short draws too
    assert len(set(RandomSampler(DATA, replacement=True, generator=tl.Generator().manual_seed(1)))) < 20


def test_random_sampler_validation():
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(DATA, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(DATA, num_samples=0)
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler([])


def test_subset_random_sampler():
    indices = [3, 7, 11, 19]
    drawn = list(SubsetRandomSampler(indices, generator=tl.Generator().manual_seed(0)))
    assert sorted(drawn) == indices and len(SubsetRandomSampler(indices)) == 4


def test_weighted_random_sampler_frequencies():
    weights = [1.0, 3.0, 0.0, 6.0]
    sampler = WeightedRandomSampler(weights, num_samples=20000, generator=tl.Generator().manual_seed(0))
    counts = np.bincount(np.array(list(sampler)), minlength=4) / 20000
    assert counts[2] == 0
    np.testing.assert_allclose(counts, [0.1, 0.3, 0.0, 0.6], atol=0.02)
    again = WeightedRandomSampler(weights, num_samples=50, generator=tl.Generator().manual_seed(0))
    assert list(again) == list(WeightedRandomSampler(weights, 50, generator=tl.Generator().manual_seed(0)))


def test_weighted_random_sampler_without_replacement_is_unique():
    drawn = list(WeightedRandomSampler([1, 1, 1, 1, 5], 5, replacement=False,
                                       generator=tl.Generator().manual_seed(0)))
    assert sorted(drawn) == [0, 1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="without replacement"):
        list(WeightedRandomSampler([1, 0, 1], 4, replacement=False))


def test_weighted_random_sampler_without_replacement_takes_zero_weights_last_like_torch():
    for seed in range(5):
        drawn = list(WeightedRandomSampler([0, 1, 0, 0, 1, 0], 6, replacement=False,
                                           generator=tl.Generator().manual_seed(seed)))
        assert sorted(drawn[:2]) == [1, 4] and sorted(drawn[2:]) == [0, 2, 3, 5]
    assert len(list(WeightedRandomSampler([0, 1, 0, 1], 3, replacement=False))) == 3


def test_weighted_random_sampler_validation():
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1, 2]], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1, 2], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        WeightedRandomSampler([1, 2], 2, replacement=None)
    with pytest.raises(RuntimeError, match="element < 0"):
        list(WeightedRandomSampler([1, -2], 2))
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        list(WeightedRandomSampler([0, 0], 2))
    assert WeightedRandomSampler(tl.tensor([1.0, 2.0]), 3).weights.dtype == tl.float64


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="positive integer value, but got batch_size=0"):
        BatchSampler(range(7), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(7), 2, 1)
