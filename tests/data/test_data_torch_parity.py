"""Behaviour compared with torch.utils.data (skipped when PyTorch is not installed)."""

import collections

import numpy as np
import pytest
from data_test_helpers import RangeDataset, Stream

import tensorlib as tl
import tensorlib.data as tld

torch = pytest.importorskip("torch")
tud = pytest.importorskip("torch.utils.data")

Pair = collections.namedtuple("Pair", ["a", "b"])

BAD_ARGUMENTS = [
    dict(batch_size=0), dict(num_workers=-1), dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(multiprocessing_context="spawn"),
]


@pytest.mark.parametrize("kwargs", BAD_ARGUMENTS, ids=[str(k) for k in BAD_ARGUMENTS])
def test_bad_arguments_raise_the_same_type_as_torch(kwargs):
    with pytest.raises(Exception) as theirs:
        tud.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(Exception) as ours:
        tld.DataLoader(RangeDataset(4), **kwargs)
    assert type(ours.value) is type(theirs.value)


LENGTH_CASES = [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)]


@pytest.mark.parametrize("kwargs", LENGTH_CASES)
def test_len_matches_torch(kwargs):
    assert len(tld.DataLoader(RangeDataset(10), **kwargs)) == len(tud.DataLoader(list(range(10)), **kwargs))


def test_iterable_len_matches_torch():
    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    for drop_last in (False, True):
        assert len(tld.DataLoader(Stream(7), batch_size=3, drop_last=drop_last)) == len(
            tud.DataLoader(TorchStream(), batch_size=3, drop_last=drop_last))


def _structure(value):
    """Container types and leaf dtypes/shapes, comparable across the two libraries."""
    if isinstance(value, (tl.Tensor, torch.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], tuple(value.shape))
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_structure(v) for v in value])
    return value


def test_default_collate_structure_matches_torch_except_python_floats():
    batch = [
        {"x": np.ones((2, 3), np.float64), "n": 1, "flag": True, "s": "a", "t": (np.int32(4), [1, 2]),
         "p": Pair(np.zeros(2, np.uint8), 3)},
        {"x": np.zeros((2, 3), np.float64), "n": 2, "flag": False, "s": "b", "t": (np.int32(5), [3, 4]),
         "p": Pair(np.ones(2, np.uint8), 4)},
    ]
    assert _structure(tld.default_collate(batch)) == _structure(tud.default_collate(batch))
    assert tld.default_collate([0.5, 1.5]).dtype == tl.float32  # documented difference: torch gives float64
    assert tud.default_collate([0.5, 1.5]).dtype == torch.float64


def test_default_convert_structure_matches_torch():
    sample = {"a": np.arange(3), "b": (np.float32(1.0), "s"), "c": [np.zeros(1)]}
    assert _structure(tld.default_convert(sample)) == _structure(tud.default_convert(sample))


def test_random_split_fraction_lengths_match_torch():
    for fractions in ([0.34, 0.33, 0.33], [0.5, 0.5], [0.1, 0.2, 0.7]):
        ours = [len(s) for s in tld.random_split(RangeDataset(17), fractions)]
        theirs = [len(s) for s in tud.random_split(list(range(17)), fractions)]
        assert ours == theirs
