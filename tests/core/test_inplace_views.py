"""In-place ops on views and bases share memory and gradients as in PyTorch (CopySlices semantics).

Each pattern is a function of a library module (``tensorlib`` or ``torch``) and an input; it returns the
tensors whose values are compared, and the gradient of ``x`` is compared after ``backward``. Without torch
the patterns still run and are checked against float64 gradchecks and hand-computed expectations.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.autograd import gradcheck

X = np.arange(1.0, 13.0).reshape(3, 4)


def slice_mul(lib, x):
    y = x * 1
    v = y[:2]
    v.mul_(3)
    return y, v


def select_add(lib, x):
    y = x * 2
    y.select(1, 2).add_(10)
    return (y,)


def view_then_inplace(lib, x):
    y = x * 1
    v = y.view(12)
    v[3:5].mul_(x.reshape(12)[:2])
    return y, v


def transpose_inplace(lib, x):
    y = x * x
    y.t()[1].mul_(2)
    return (y,)


def narrow_sub(lib, x):
    y = x * 1
    y.narrow(1, 1, 2).sub_(x[:, :2] ** 2)
    return (y,)


def chained_views(lib, x):
    y = x * 1
    v = y[1:].t()[1:3]
    v.mul_(x[:2, :2])
    return y, v


def base_then_view(lib, x):
    y = x * 1
    v = y[:, 1]
    y.mul_(2)
    return y, v * 1  # v sees the write and its gradient goes through the base's new node


def view_then_other_view(lib, x):
    y = x * 1
    a = y[0]
    b = y[:, 0]
    a.mul_(5)
    return (b * 1,)


def setitem_on_view(lib, x):
    y = x * 1
    y[1:, 2] = x[0, :2] * 7
    return (y,)


def unary_on_view(lib, x):
    y = x * 0.1
    y[0].exp_()
    z = x * 0.2
    z[:, 1].tanh_()
    return y, z


def zero_on_view(lib, x):
    y = x * 1
    y[1].zero_()
    return (y,)


def copy_into_view(lib, x):
    y = x * 1
    y[:, 3].copy_(x[:, 0] * 2)
    return (y,)


def inplace_with_self_operand(lib, x):
    y = x * 2
    y.mul_(y)  # PyTorch refuses this one (MulBackward saved y); tensorlib reads its operands from a snapshot
    return (y,)


def buffer_filled_row_by_row(lib, x):
    out = lib.zeros(3, 4, dtype=x.dtype)  # a plain buffer that joins the graph through the writes
    h = x[0]
    for t in range(3):
        h = (h * x[t]).tanh()
        out[t] = h
    out[1:, 1].mul_(x[0, :2])
    return (out,)


PATTERNS = [buffer_filled_row_by_row, slice_mul, select_add, view_then_inplace, transpose_inplace, narrow_sub,
            chained_views, base_then_view, view_then_other_view, setitem_on_view, unary_on_view, zero_on_view,
            copy_into_view]


def _run(lib, pattern, dtype):
    x = lib.tensor(X, dtype=dtype, requires_grad=True)
    outs = pattern(lib, x)
    total = sum((o * (i + 1) * lib.arange(o.numel(), dtype=dtype).reshape(o.shape)).sum()
                for i, o in enumerate(outs))
    total.backward()
    return [o.detach().numpy().copy() for o in outs], x.grad.numpy().copy()


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.__name__)
def test_pattern_matches_torch(pattern):
    torch = pytest.importorskip("torch")
    ours, our_grad = _run(tl, pattern, tl.float64)
    theirs, their_grad = _run(torch, pattern, torch.float64)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("pattern", [*PATTERNS, inplace_with_self_operand], ids=lambda p: p.__name__)
def test_pattern_gradcheck(pattern):
    x = tl.tensor(X / 10, dtype=tl.float64, requires_grad=True)
    assert gradcheck(lambda t: pattern(tl, t), (x,))


def test_issue_example_values_and_gradient():
    x = tl.ones(4, requires_grad=True)
    y = x * 1
    v = y[:2]
    v.mul_(3)
    assert y.tolist() == [3.0, 3.0, 1.0, 1.0]
    assert y.grad_fn.name() == "CopySlices" and v._base is y
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 1.0, 1.0]


def test_base_write_is_seen_by_existing_views_without_grad():
    y = tl.arange(6.0).reshape(2, 3)
    v = y[1]
    t = y.t()
    y.mul_(2)
    assert v.tolist() == [6.0, 8.0, 10.0] and t[2, 1].item() == 10.0
    v.add_(1)
    assert y[1].tolist() == [7.0, 9.0, 11.0]
    y[0, 0] = 100
    assert t[0, 0].item() == 100
    s = y[0, 1]  # a 0-d view, not a copy
    s.fill_(-1)
    assert y[0, 1].item() == -1


def test_view_taken_before_its_base_joined_a_graph_follows_the_base():
    z = tl.zeros(4)
    v = z[:2]
    w = tl.ones(4, requires_grad=True)
    z.add_(w * 2)  # z joins the graph after v was taken
    (v * 3).sum().backward()
    assert w.grad.tolist() == [6.0, 6.0, 0.0, 0.0]
    y = w * 1
    rows = [y[i] for i in range(4)]  # many live views: none is rebuilt until it is used
    rows[0].mul_(5)
    sum(r * 1 for r in rows).backward()
    assert w.grad.tolist() == [11.0, 7.0, 1.0, 1.0]


def test_views_share_the_version_counter():
    x = tl.ones(3, requires_grad=True)
    y = x.exp()
    v = y[1:]
    assert v._version is y._version
    v.mul_(2)  # exp saved its output: the write through the view must be detected
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_leaf_and_view_of_leaf_raise():
    x = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation.$"):
        x[:2].mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with tl.no_grad():  # allowed without grad mode (an optimizer step), and visible through the leaf
        x[:2].mul_(2)
    assert x.tolist() == [2.0, 2.0, 1.0]


def test_overlapping_view_write_raises_pytorch_error():
    e = tl.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single"):
        e.add_(1)


def test_inplace_without_grad_writes_into_the_same_array():
    y = tl.ones(4)
    data = y.numpy()
    y.mul_(3).add_(1)
    assert y.numpy() is data and data.tolist() == [4.0] * 4


def test_retain_grad_survives_inplace():
    x = tl.ones(3, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    y.sum().backward()
    assert y.grad.tolist() == [1.0, 1.0, 1.0] and x.grad.tolist() == [6.0, 6.0, 6.0]


# ----------------------------------------------------------------------------- requires_grad on non-float tensors
FACTORY_MESSAGE = "Only Tensors of floating point and complex dtype can require gradients"


@pytest.mark.parametrize("make", [
    lambda: tl.tensor([1, 2], requires_grad=True),
    lambda: tl.arange(3, requires_grad=True),
    lambda: tl.zeros(2, dtype=tl.int64, requires_grad=True),
    lambda: tl.full((2,), True, requires_grad=True),
    lambda: tl.zeros_like(tl.tensor([1]), requires_grad=True),
    lambda: tl.randint(0, 3, (2,), requires_grad=True),
    lambda: tl.randperm(3, requires_grad=True),
    lambda: tl.nn.Parameter(tl.tensor([1, 2])),
], ids=["tensor", "arange", "zeros", "full_bool", "zeros_like", "randint", "randperm", "Parameter"])
def test_factories_refuse_requires_grad_on_non_float(make):
    with pytest.raises(RuntimeError, match=FACTORY_MESSAGE):
        make()


def test_requires_grad_setter_and_method_refuse_non_float():
    t = tl.tensor([1, 2])
    with pytest.raises(RuntimeError, match="^only Tensors of floating point and complex dtype can require"):
        t.requires_grad = True
    with pytest.raises(RuntimeError, match="^only Tensors of floating point dtype can require gradients$"):
        t.requires_grad_()
    assert not t.requires_grad
    t.requires_grad = False  # switching off is always allowed
    assert tl.nn.Parameter(tl.tensor([1, 2]), requires_grad=False).dtype == tl.int64
    f = tl.ones(2)
    f.requires_grad = True
    assert f.requires_grad and f.is_leaf


def test_requires_grad_errors_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (tl, torch):
        with pytest.raises(RuntimeError) as ours:
            lib.tensor([1, 2], requires_grad=True)
        assert str(ours.value).startswith(FACTORY_MESSAGE)


# ----------------------------------------------------------------------------- the in-place twins
def _f(shape=(3, 4), low=0.1):
    return np.random.default_rng(0).uniform(low, 0.9, shape)


def _t(lib, array):
    """A float64 tensor of float data (tensorlib.tensor of a float64 array would give float32)."""
    return lib.tensor(array, dtype=lib.float64 if array.dtype.kind == "f" else None)


INDEX = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
TWINS = {
    **{f"{n}_": ((), {}) for n in ["exp", "log", "sqrt", "abs", "neg", "relu", "sigmoid", "tanh", "floor", "ceil",
                                   "round", "sign", "square", "reciprocal", "cos", "sin", "tan", "erf", "expm1",
                                   "log2", "log10", "log1p", "rsqrt", "trunc", "frac", "fix", "absolute",
                                   "negative"]},
    **{f"{n}_": ((lambda lib: _t(lib, _f() + 0.5 * (_f() > 0.5)),), {})
       for n in ["add", "sub", "mul", "div", "floor_divide", "fmod", "remainder", "eq", "ne", "lt", "le", "gt", "ge",
                 "greater", "greater_equal", "less", "less_equal", "not_equal", "subtract", "multiply", "divide",
                 "true_divide", "logical_and", "logical_or", "logical_xor", "pow"]},
    "add_scalar": ("add_", (2.5,), {"alpha": 2}),
    "mul_scalar": ("mul_", (3,), {}),
    "clamp_": ((0.3, 0.6), {}),
    "clamp_min_": ((0.4,), {}),
    "clamp_max_": ((0.4,), {}),
    "cumsum_": ((1,), {}),
    "cumprod_": ((0,), {}),
    "tril_": ((), {"diagonal": 1}),
    "triu_": ((-1,), {}),
    "scatter_": ((0, lambda lib: lib.tensor(INDEX), lambda lib: _t(lib, _f((2, 4)))), {}),
    "scatter_value": ("scatter_", (1, lambda lib: lib.tensor(INDEX[:, :2])), {"value": 7.0}),
    "scatter_add_": ((0, lambda lib: lib.tensor(INDEX), lambda lib: _t(lib, _f((2, 4)))), {}),
    "index_add_": ((1, lambda lib: lib.tensor([3, 0, 3]), lambda lib: _t(lib, _f((3, 3)))), {"alpha": 2}),
    "index_fill_": ((1, lambda lib: lib.tensor([1, 3]), -1.0), {}),
    "index_copy_": ((0, lambda lib: lib.tensor([2, 0]), lambda lib: _t(lib, _f((2, 4)))), {}),
    "masked_fill_": ((lambda lib: lib.tensor(_f() > 0.5), 2.0), {}),
    "masked_scatter_": ((lambda lib: _t(lib, _f((1, 4)) > 0.4), lambda lib: _t(lib, _f((5, 4)))), {}),
    "lerp_": ((lambda lib: _t(lib, _f()), 0.25), {}),
    "fill_diagonal_": ((5.0,), {}),
    "fill_": ((1.5,), {}),
    "zero_": ((), {}),
    "copy_": ((lambda lib: _t(lib, _f((1, 4))),), {}),
    "addmm_": ((lambda lib: _t(lib, _f((3, 2))), lambda lib: _t(lib, _f((2, 4)))), {"beta": 0.5, "alpha": 2}),
    "t_": ((), {}),
    "transpose_": ((0, 1), {}),
    "swapaxes_": ((1, 0), {}),
    "unsqueeze_": ((1,), {}),
    "squeeze_": ((), {}),
    "resize_": ((2, 5), {}),
}


def _call(lib, key, spec, dtype):
    name, args, kwargs = spec if len(spec) == 3 else (key, *spec)
    target = lib.tensor(_f(), dtype=dtype)
    if name == "squeeze_":
        target = target.reshape(3, 1, 4)
    args = [a(lib) if callable(a) else a for a in args]
    kwargs = {k: v(lib) if callable(v) else v for k, v in kwargs.items()}
    result = getattr(target, name)(*args, **kwargs)
    assert result is target
    return target.numpy()


@pytest.mark.parametrize("key", sorted(TWINS))
def test_inplace_twin_matches_torch(key):
    torch = pytest.importorskip("torch")
    ours = _call(tl, key, TWINS[key], tl.float64)
    theirs = _call(torch, key, TWINS[key], torch.float64)
    assert ours.shape == theirs.shape
    if key == "resize_":
        ours, theirs = ours.reshape(-1)[:12], theirs.reshape(-1)[:12]  # PyTorch leaves the new tail uninitialised
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_every_torch_inplace_method_with_an_out_of_place_twin_exists():
    torch = pytest.importorskip("torch")
    names = {n for n in dir(torch.Tensor) if n.endswith("_") and not n.startswith("_")}
    missing = sorted(n for n in names if not hasattr(tl.Tensor, n) and (hasattr(tl.Tensor, n[:-1])
                                                                          or hasattr(tl, n[:-1])))
    assert missing == []


def test_inplace_twin_on_view_reaches_base_and_grad():
    x = tl.tensor(_f(), dtype=tl.float64, requires_grad=True)
    assert gradcheck(lambda t: (lambda y: (y[1].cos_(), y)[1])(t * 1), (x,))
    assert gradcheck(lambda t: (lambda y: (y[:, 1:3].clamp_min_(0.5), y)[1])(t * 1), (x,))
    assert gradcheck(lambda t: (lambda y: (y.index_add_(1, tl.tensor([0, 0]), t[:, :2] ** 2), y)[1])(t * 1), (x,))
    assert gradcheck(lambda t: (lambda y: (y.t_()[1].mul_(2), y)[1])(t * 1), (x,))


def test_view_inplace_ops_change_shape_in_place():
    y = tl.arange(6.0).reshape(2, 3)
    data = y.numpy()
    y.t_()
    assert y.shape == (3, 2) and np.shares_memory(y.numpy(), data)
    y.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
    assert y.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    x = tl.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.t_()
    z = (x * 2).t_()
    z.sum().backward()
    assert z.shape == (3, 2) and x.grad.tolist() == [[2.0] * 3] * 2


# ----------------------------------------------------------------------------- property: any basic view, any write
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def _view_chain(draw):
    """A sequence of view steps on a (4, 5) array: slices with steps, integer selects and transposes."""
    steps, shape = [], [4, 5]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["slice", "select", "t"] if shape else ["t"]))
        if kind == "t":
            steps.append(("t",))
            shape.reverse()
        elif kind == "select":
            steps.append(("select", draw(st.integers(0, shape[0] - 1))))
            shape.pop(0)
        else:
            start, step = draw(st.integers(0, shape[0] - 1)), draw(st.integers(1, 2))
            steps.append(("slice", start, step))
            shape[0] = len(range(start, shape[0], step))
    return steps


def _apply_chain(t, steps):
    for step in steps:
        if step[0] == "t":
            t = t.T
        elif step[0] == "select":
            t = t[step[1], ...]  # a 0-d view, not a scalar, at the end of a NumPy chain
        else:
            t = t[step[1]::step[2]]
    return t


@hypothesis.settings(max_examples=40, deadline=None)
@hypothesis.given(steps=_view_chain(), scale=st.floats(-3, 3, allow_nan=False))
def test_any_view_chain_writes_through_to_the_base(steps, scale):
    reference = np.arange(20.0).reshape(4, 5)
    _apply_chain(reference, steps)[...] *= scale  # NumPy's views are the oracle for which elements change
    base = tl.tensor(np.arange(20.0).reshape(4, 5), dtype=tl.float64)
    view = _apply_chain(base, steps)
    view.mul_(scale)
    np.testing.assert_array_equal(base.numpy(), reference)
    x = tl.tensor(np.arange(20.0).reshape(4, 5), dtype=tl.float64, requires_grad=True)
    y = x * 1
    _apply_chain(y, steps).mul_(scale)
    y.sum().backward()
    expected = np.ones((4, 5))
    _apply_chain(expected, steps)[...] *= scale
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("name", ["bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_not_", "floor_divide_",
                                  "remainder_", "logical_not_", "eq_"])
def test_integer_inplace_twins_match_torch(name):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tl, torch):
        target = lib.tensor([[5, -3, 12], [7, 0, -8]])
        args = () if name in ("bitwise_not_", "logical_not_") else (lib.tensor([[3, 6, 5], [2, 9, 3]]),)
        getattr(target, name)(*args)
        results.append(target.numpy())
    assert results[0].dtype == results[1].dtype
    np.testing.assert_array_equal(*results)
