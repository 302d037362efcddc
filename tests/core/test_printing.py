"""Tensor printing: ``repr`` strings equal PyTorch's character for character (dtype prefix ``tensorlib.``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlib as tl

_RNG = np.random.default_rng(0)
_NAN, _INF = float("nan"), float("inf")

# (data, dtype name or None): ints, floats, negatives, bools, 0-d, non-finite, scientific, summarised
TABLE = [
    ([1, 2, 3], None), ([-1, 20, 300], None), ([[1, -2], [30, 4]], None), ([True, False, True], None),
    ([[True], [False]], None), ([1.0, 2.5], None), ([-1.5, 2.25, 100.0], None), ([0.0, 0.0], None),
    ([1e-5, 1.0], None), ([1e9, 1.0], None), ([1.0, 2.0, -3.0], None), ([1e10, 2e10], None),
    ([_NAN, 1.0], None), ([_INF, -1.0, 2.0], None), ([_NAN, 1.5], None), ([0.1, 0.2, 0.3], None),
    ([123456.789, 0.5], None), (3.0, None), (-2.5, None), (7, None), (True, None), (1e-8, None), (0.0, None),
    (_RNG.standard_normal((4, 5)).tolist(), None), (_RNG.standard_normal((2, 3, 4)).tolist(), None),
    (_RNG.standard_normal(2000).tolist(), None), (_RNG.standard_normal((40, 40)).tolist(), None),
    (_RNG.integers(-100, 100, (30, 40)).tolist(), None), ((_RNG.random((50, 50)) > 0.5).tolist(), None),
    (_RNG.standard_normal((3, 5, 100)).tolist(), None), (_RNG.standard_normal(30).tolist(), None),
    ((_RNG.standard_normal(30) * 1e5).tolist(), None), (list(range(50)), None),
    ([1.0, 2.0], "float64"), ([[1, 2], [3, 4]], "int32"), ([0.5, 1.25], "float16"), ([1, 2], "uint8"),
    ([-3, 2], "int8"), ([], "float64"), ([], "int64"), ([], None),
]


def _torch_repr(torch, text: str) -> str:
    return text.replace("torch.", "tensorlib.")


@pytest.mark.parametrize("data, dtype", TABLE, ids=[str(i) for i in range(len(TABLE))])
def test_repr_matches_pytorch(data, dtype):
    torch = pytest.importorskip("torch")
    ours = tl.tensor(data, dtype=getattr(tl, dtype) if dtype else None)
    theirs = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None)
    assert repr(ours) == _torch_repr(torch, repr(theirs))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 1)])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_empty_repr_matches_pytorch(shape, dtype):
    torch = pytest.importorskip("torch")
    assert repr(tl.zeros(shape, dtype=getattr(tl, dtype))) == _torch_repr(
        torch, repr(torch.zeros(shape, dtype=getattr(torch, dtype))))


def test_autograd_suffixes_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = tl.tensor([1.0, 2.0], requires_grad=True)
    theirs = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(ours) == repr(theirs) == "tensor([1., 2.], requires_grad=True)"
    assert repr(ours * 2) == repr(theirs * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(ours.sum()) == repr(theirs.sum())
    # a long last line moves the suffix onto its own line
    ours_big, theirs_big = tl.ones(40, 40, requires_grad=True), torch.ones(40, 40, requires_grad=True)
    assert repr(ours_big * 3) == repr(theirs_big * 3)
    wide = np.linspace(-1000.5, 1000.5, 9).tolist()
    assert repr(tl.tensor(wide, requires_grad=True)) == repr(torch.tensor(wide, requires_grad=True))


def test_layout_without_pytorch():
    assert repr(tl.tensor([1.0, -2.5])) == "tensor([ 1.0000, -2.5000])"
    assert repr(tl.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tl.tensor([[1, -20], [300, 4]])) == "tensor([[  1, -20],\n        [300,   4]])"
    assert repr(tl.tensor(1e-8)) == "tensor(1.0000e-08)"
    assert repr(tl.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tl.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"


@pytest.fixture
def restore_printoptions():
    yield
    tl.set_printoptions(profile="default")


@pytest.mark.parametrize("options", [dict(precision=2), dict(sci_mode=True), dict(sci_mode=False),
                                     dict(threshold=5, edgeitems=1), dict(linewidth=30), dict(profile="short"),
                                     dict(profile="full"), dict(profile="full", precision=6)])
def test_set_printoptions_matches_pytorch(options, restore_printoptions):
    torch = pytest.importorskip("torch")
    data = (_RNG.standard_normal((12, 12)) * 100).tolist()
    tl.set_printoptions(**options)
    torch.set_printoptions(**options)
    try:
        for values in (data, [1e-6, 1.0, 3.5], list(range(20))):
            assert repr(tl.tensor(values)) == repr(torch.tensor(values))
    finally:
        torch.set_printoptions(profile="default")


def test_set_printoptions_rejects_an_unknown_profile(restore_printoptions):
    with pytest.raises(ValueError, match="profile"):
        tl.set_printoptions(profile="verbose")


_SCALES = [1e-6, 1e-3, 1.0, 7.5, 1e3, 1e6, 1e9]


@given(shape=st.lists(st.integers(0, 6), min_size=0, max_size=3), scale=st.sampled_from(_SCALES),
       kind=st.sampled_from(["float32", "float64", "int64", "bool", "int_valued_float"]), seed=st.integers(0, 2**16))
@settings(max_examples=60, deadline=None)
def test_repr_matches_pytorch_for_random_tensors(shape, scale, kind, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    values = np.asarray(rng.standard_normal(shape) * scale)
    if kind == "int64":
        values = np.round(values).astype(np.int64)
    elif kind == "bool":
        values = values > 0
    elif kind == "int_valued_float":
        values = np.round(values).astype(np.float32)
    else:
        values = values.astype(kind)
    values = np.asarray(values)
    assert repr(tl.from_numpy(values)) == _torch_repr(torch, repr(torch.from_numpy(values)))
