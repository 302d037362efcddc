import pytest

import tensorlib as tl
from tensorlib.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Numbers(Dataset):
    def __init__(self, values):
        self.values = list(values)

    def __len__(self):
        return len(self.values)

    def __getitem__(self, index):
        return self.values[index]


class Count(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_tensor_dataset_slices_every_tensor():
    x = tl.arange(12).reshape(6, 2)
    y = tl.arange(6) * 10
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8, 9] and yi.item() == 40


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(tl.zeros(3, 2), tl.zeros(4))


def test_concat_dataset_indexing_including_negative():
    ds = ConcatDataset([Numbers([0, 1, 2]), Numbers([]), Numbers([10, 11])])
    assert len(ds) == 5
    assert [ds[i] for i in range(5)] == [0, 1, 2, 10, 11]
    assert ds[-1] == 11 and ds[-5] == 0 and ds[-3] == 2
    assert ds.cumulative_sizes == [3, 3, 5]
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-6]
    with pytest.raises(IndexError):
        ds[5]


def test_concat_rejects_iterable_and_empty():
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([Count(0, 2)])
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])


def test_add_operators():
    concat = Numbers([1]) + Numbers([2, 3])
    assert isinstance(concat, ConcatDataset) and concat[2] == 3
    chain = Count(0, 2) + Count(5, 7)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 5, 6] and len(chain) == 4


def test_chain_rejects_map_style():
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Numbers([1])]))


def test_subset_and_batched_getitems():
    ds = Subset(Numbers(range(10, 20)), [5, 1, 9])
    assert len(ds) == 3 and ds[0] == 15 and ds[2] == 19
    assert ds.__getitems__([2, 0]) == [19, 15]


def test_stack_dataset_tuple_and_dict():
    a, b = Numbers([1, 2]), Numbers(["x", "y"])
    assert StackDataset(a, b)[1] == (2, "y")
    assert StackDataset(num=a, name=b)[0] == {"num": 1, "name": "x"}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(a, Numbers([1]))


def test_random_split_lengths_are_disjoint_and_reproducible():
    ds = Numbers(range(10))
    parts = random_split(ds, [3, 7], generator=tl.Generator().manual_seed(1))
    again = random_split(ds, [3, 7], generator=tl.Generator().manual_seed(1))
    values = [[p[i] for i in range(len(p))] for p in parts]
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(values[0] + values[1]) == list(range(10))
    assert values == [[p[i] for i in range(len(p))] for p in again]
    other = random_split(ds, [3, 7], generator=tl.Generator().manual_seed(2))
    assert values != [[p[i] for i in range(len(p))] for p in other]


def test_random_split_fractions_distribute_remainder():
    parts = random_split(Numbers(range(10)), [0.34, 0.33, 0.33], generator=tl.Generator().manual_seed(0))
    # floors are 3, 3, 3; the one left over goes to the first split
    assert [len(p) for p in parts] == [4, 3, 3]
    assert sorted(i for p in parts for i in p.indices) == list(range(10))


def test_random_split_uses_global_generator():
    tl.manual_seed(5)
    first = random_split(Numbers(range(8)), [4, 4])[0].indices
    tl.manual_seed(5)
    assert random_split(Numbers(range(8)), [4, 4])[0].indices == first


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Numbers(range(5)), [2, 2])
    with pytest.raises(ValueError, match="Fraction at index 1"):
        random_split(Numbers(range(5)), [0.5, 1.5, -1.0])


def test_base_dataset_getitem_not_implemented():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
