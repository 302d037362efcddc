"""``out=``: written into the given tensor (never silently ignored), with PyTorch's rules."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl

BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "remainder", "fmod", "floor_divide", "eq", "lt"]
UNARY = ["exp", "log", "sqrt", "abs", "neg", "sin", "cos", "tanh", "sigmoid", "floor", "ceil", "reciprocal"]


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_write_into_out(name):
    a, b = tl.rand(3, 4) + 0.5, tl.rand(3, 4) + 0.5
    expected = getattr(tl, name)(a, b)
    out = tl.empty(3, 4, dtype=expected.dtype)
    result = getattr(tl, name)(a, b, out=out)
    assert result is out
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_write_into_out(name):
    a = tl.rand(5) + 0.5
    out = tl.zeros(5)
    assert getattr(tl, name)(a, out=out) is out
    np.testing.assert_array_equal(out.numpy(), getattr(tl, name)(a).numpy())


def test_out_is_written_in_place_so_views_see_it():
    out = tl.zeros(2, 3)
    view = out[0]
    tl.add(tl.ones(2, 3), 1, out=out)
    np.testing.assert_array_equal(view.numpy(), [2, 2, 2])


@pytest.mark.parametrize("call", [
    lambda o: tl.matmul(tl.ones(2, 3), tl.ones(3, 4), out=o),
    lambda o: tl.mm(tl.ones(2, 3), tl.ones(3, 4), out=o),
    lambda o: tl.cat([tl.ones(2, 2), tl.zeros(2, 2)], dim=1, out=o),
    lambda o: tl.stack([tl.ones(4), tl.zeros(4)], out=o),
    lambda o: tl.sum(tl.ones(2, 4, 3), dim=2, out=o),
    lambda o: tl.zeros(2, 4, out=o),
    lambda o: tl.full((2, 4), 7.0, out=o),
])
def test_matmul_reductions_cat_and_creation_take_out(call):
    out = tl.empty(2, 4)
    assert call(out) is out
    assert out.shape == (2, 4)


def test_tuple_out_for_values_and_indices():
    x = tl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = tl.empty(0), tl.empty(0, dtype=tl.int64)
    result = tl.max(x, 1, out=(values, indices))
    assert result.values is values and result.indices is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]


def test_creation_takes_outs_dtype():
    out = tl.empty(3, dtype=tl.int64)
    tl.ones(3, out=out)
    assert out.dtype == tl.int64 and out.tolist() == [1, 1, 1]


def test_resizing_a_nonempty_out_warns_and_an_empty_one_does_not():
    with pytest.warns(UserWarning, match="resized"):
        tl.add(tl.ones(2, 2), 1, out=tl.empty(3))
    out = tl.empty(0)
    tl.add(tl.ones(2, 2), 1, out=out)
    assert out.shape == (2, 2)


def test_out_refuses_a_lossy_cast():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        tl.add(tl.ones(2), 0.5, out=tl.empty(2, dtype=tl.int64))


def test_out_refuses_autograd_inputs():
    a = tl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tl.mul(a, 2, out=tl.empty(2))
    with tl.no_grad():
        tl.mul(a, 2, out=tl.empty(2))


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
        tl.add(tl.ones(2), 1, out=np.zeros(2))


def test_out_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    ours, theirs = tl.empty(2, 3), torch.empty(2, 3)
    tl.mul(tl.tensor(a), tl.tensor(a), out=ours)
    torch.mul(torch.tensor(a), torch.tensor(a), out=theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
