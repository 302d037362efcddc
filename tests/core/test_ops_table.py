"""Declarative op table: forward values against NumPy, dtype preservation, float64 gradchecks.

Every entry runs on a matrix of broadcast shapes (including 0-d tensors); inputs are drawn inside each op's
domain and away from kinks (|x| >= 0.1 for abs/relu/clamp bounds, positive for log/sqrt).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.autograd import gradcheck

UNARY_SHAPES = [(), (3,), (2, 3), (2, 1, 3)]
BINARY_SHAPES = [((), ()), ((3,), ()), ((), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((2, 1, 3), (4, 1)),
                 ((2, 3), (2, 3))]


def _erf(x):
    return np.vectorize(math.erf)(x)


def _sample(shape, domain, rng):
    x = rng.uniform(-2, 2, size=shape)
    if domain == "positive":
        x = rng.uniform(0.2, 2, size=shape)
    elif domain == "unit":
        x = rng.uniform(-0.8, 0.8, size=shape)
    if domain in ("nonzero", "positive", "kink"):
        x = np.where(np.abs(x) < 0.1, 0.3, x)
    return np.asarray(x, dtype=np.float64)


# name, tensorlib function, numpy reference, domain
UNARY = [
    ("neg", lambda x: -x, np.negative, None),
    ("exp", tl.exp, np.exp, None),
    ("log", tl.log, np.log, "positive"),
    ("log1p", tl.log1p, np.log1p, "positive"),
    ("expm1", tl.expm1, np.expm1, None),
    ("sqrt", tl.sqrt, np.sqrt, "positive"),
    ("rsqrt", tl.rsqrt, lambda x: 1 / np.sqrt(x), "positive"),
    ("abs", tl.abs, np.abs, "kink"),
    ("reciprocal", tl.reciprocal, lambda x: 1 / x, "nonzero"),
    ("sin", tl.sin, np.sin, None),
    ("cos", tl.cos, np.cos, None),
    ("tan", tl.tan, np.tan, "unit"),
    ("tanh", tl.tanh, np.tanh, None),
    ("sigmoid", tl.sigmoid, lambda x: 1 / (1 + np.exp(-x)), None),
    ("relu", tl.relu, lambda x: np.maximum(x, 0), "kink"),
    ("erf", tl.erf, _erf, None),
    ("square", tl.square, np.square, None),
    ("pow_scalar", lambda x: x ** 3, lambda x: x ** 3, None),
    ("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, None),
    ("pow_fractional", lambda x: x ** 0.5, np.sqrt, "positive"),
    ("clamp", lambda x: tl.clamp(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), "clampkink"),
    ("scalar_ops", lambda x: (x * 2 + 1 - 3) / 4, lambda x: (x * 2 + 1 - 3) / 4, None),
    ("rsub_rdiv", lambda x: 1 - 2 / x, lambda x: 1 - 2 / x, "nonzero"),
    ("sum", lambda x: x.sum(), np.sum, None),
    ("mean", lambda x: x.mean(), np.mean, None),
    ("prod", lambda x: x.prod(), np.prod, "nonzero"),
    ("max_all", lambda x: x.max(), np.max, None),
    ("min_all", lambda x: x.min(), np.min, None),
    ("amax_all", lambda x: x.amax(), np.max, None),
    ("norm", lambda x: x.norm(), lambda x: np.sqrt((x * x).sum()), "nonzero"),
    ("norm1", lambda x: x.norm(p=1), lambda x: np.abs(x).sum(), "kink"),
    ("norm3", lambda x: x.norm(p=3), lambda x: (np.abs(x) ** 3).sum() ** (1 / 3), "kink"),
    ("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), None),
    ("clone", lambda x: x.clone(), lambda x: x.copy(), None),
    ("mul_self", lambda x: x * x, lambda x: x * x, None),
    ("where", lambda x: tl.where(x > 0, x, x * 2), lambda x: np.where(x > 0, x, 2 * x), "kink"),
    ("lerp", lambda x: tl.lerp(x, x * 2, 0.3), lambda x: x + 0.3 * x, None),
]

BINARY = [
    ("add", lambda a, b: a + b, np.add, None),
    ("sub", lambda a, b: a - b, np.subtract, None),
    ("mul", lambda a, b: a * b, np.multiply, None),
    ("div", lambda a, b: a / b, np.divide, "nonzero"),
    ("pow", lambda a, b: a ** b, np.power, "positive"),
    ("maximum", tl.maximum, np.maximum, "distinct"),
    ("minimum", tl.minimum, np.minimum, "distinct"),
    ("add_alpha", lambda a, b: tl.add(a, b, alpha=2), lambda a, b: a + 2 * b, None),
    ("lerp_tensor_weight", lambda a, b: tl.lerp(a, b, b), lambda a, b: a + b * (b - a), None),
]

# name, function, numpy reference, input shape (reductions and shape ops with arguments)
WITH_DIMS = [
    ("sum_dim", lambda x: x.sum(1), lambda x: x.sum(1), (2, 3, 4)),
    ("sum_dims_keep", lambda x: x.sum((0, 2), keepdim=True), lambda x: x.sum((0, 2), keepdims=True), (2, 3, 4)),
    ("mean_dim", lambda x: x.mean(-1), lambda x: x.mean(-1), (2, 3, 4)),
    ("var", lambda x: x.var(1), lambda x: x.var(1, ddof=1), (2, 3, 4)),
    ("var_correction0", lambda x: x.var(1, correction=0), lambda x: x.var(1), (2, 3, 4)),
    ("std_keep", lambda x: x.std(0, keepdim=True), lambda x: x.std(0, ddof=1, keepdims=True), (3, 4)),
    ("std_all", lambda x: x.std(), lambda x: x.std(ddof=1), (3, 4)),
    ("prod_dim", lambda x: x.prod(1), lambda x: x.prod(1), (2, 3, 4)),
    ("max_dim", lambda x: x.max(1).values, lambda x: x.max(1), (2, 3, 4)),
    ("min_dim_keep", lambda x: x.min(0, keepdim=True)[0], lambda x: x.min(0, keepdims=True), (3, 4)),
    ("amax_dims", lambda x: x.amax((0, 2)), lambda x: x.max((0, 2)), (2, 3, 4)),
    ("amin_dim", lambda x: x.amin(1), lambda x: x.min(1), (2, 3, 4)),
    ("logsumexp", lambda x: x.logsumexp(1), lambda x: np.log(np.exp(x).sum(1)), (2, 3, 4)),
    ("cumsum", lambda x: x.cumsum(1), lambda x: x.cumsum(1), (2, 3, 4)),
    ("cumprod", lambda x: x.cumprod(2), lambda x: x.cumprod(2), (2, 3, 4)),
    ("norm_dim", lambda x: x.norm(dim=1), lambda x: np.sqrt((x * x).sum(1)), (2, 3, 4)),
    ("softmax", lambda x: x.softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True), (2, 3, 4)),
    ("log_softmax", lambda x: x.log_softmax(-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
     (2, 3, 4)),
    ("reshape", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1), (2, 3, 4)),
    ("view", lambda x: x.view(6, 4), lambda x: x.reshape(6, 4), (2, 3, 4)),
    ("unflatten", lambda x: x.unflatten(2, (2, 2)), lambda x: x.reshape(2, 3, 2, 2), (2, 3, 4)),
    ("squeeze", lambda x: x.squeeze(1), lambda x: x.squeeze(1), (2, 1, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(-1), lambda x: x[..., None], (2, 3)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), (2, 3, 4)),
    ("transpose", lambda x: x.transpose(0, 2), lambda x: x.swapaxes(0, 2), (2, 3, 4)),
    ("T", lambda x: x.T, lambda x: x.T, (2, 3)),
    ("mT", lambda x: x.mT, lambda x: x.swapaxes(-1, -2), (2, 3, 4)),
    ("expand", lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), (3, 1)),
    ("repeat", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), (3, 2)),
    ("tile", lambda x: x.tile((2,)), lambda x: np.tile(x, (1, 2)), (3, 2)),
    ("flip", lambda x: x.flip((0, 2)), lambda x: np.flip(x, (0, 2)), (2, 3, 4)),
    ("roll", lambda x: x.roll(1, 1), lambda x: np.roll(x, 1, 1), (2, 3, 4)),
    ("roll_flat", lambda x: x.roll(2), lambda x: np.roll(x, 2), (2, 3)),
    ("narrow", lambda x: x.narrow(1, 1, 2), lambda x: x[:, 1:3], (2, 3, 4)),
    ("chunk", lambda x: x.chunk(2, 2)[1], lambda x: x[:, :, 2:], (2, 3, 4)),
    ("split", lambda x: x.split([1, 2], 1)[1], lambda x: x[:, 1:], (2, 3, 4)),
    ("unbind", lambda x: x.unbind(1)[2], lambda x: x[:, 2], (2, 3, 4)),
    ("getitem_basic", lambda x: x[1, :, None, ::2], lambda x: x[1, :, None, ::2], (2, 3, 4)),
    ("getitem_ellipsis", lambda x: x[..., 1], lambda x: x[..., 1], (2, 3, 4)),
    ("getitem_repeat_index", lambda x: x[tl.tensor([0, 0, 1])], lambda x: x[[0, 0, 1]], (2, 3, 4)),
    ("getitem_bool", lambda x: x[tl.tensor(np.array([True, False, True]))], lambda x: x[[True, False, True]],
     (3, 4)),
    ("getitem_mixed", lambda x: x[:, tl.tensor([2, 0, 2])], lambda x: x[:, [2, 0, 2]], (2, 3, 4)),
    ("gather", lambda x: x.gather(1, tl.tensor([[0, 2], [1, 1]])), lambda x: np.take_along_axis(
        x, np.array([[0, 2], [1, 1]]), 1), (2, 3)),
    ("take_along_dim", lambda x: tl.take_along_dim(x, tl.tensor([[0], [2]]), 1), lambda x: np.take_along_axis(
        x, np.array([[0], [2]]), 1), (2, 3)),
    ("index_select", lambda x: x.index_select(1, tl.tensor([2, 0, 2])), lambda x: x[:, [2, 0, 2]], (2, 3, 4)),
    ("masked_fill", lambda x: x.masked_fill(tl.tensor(np.array([True, False, True])), 0.5),
     lambda x: np.where([True, False, True], 0.5, x), (2, 3)),
    ("topk", lambda x: x.topk(2, dim=1).values, lambda x: -np.sort(-x, 1)[:, :2], (3, 5)),
    ("sort", lambda x: x.sort(1, descending=True).values, lambda x: -np.sort(-x, 1), (3, 5)),
    ("cat", lambda x: tl.cat([x, x * 2], 1), lambda x: np.concatenate([x, 2 * x], 1), (2, 3)),
    ("stack", lambda x: tl.stack([x, x * 2], 1), lambda x: np.stack([x, 2 * x], 1), (2, 3)),
    ("matmul_2d", lambda x: x @ x.T, lambda x: x @ x.T, (3, 4)),
    ("matmul_batched_broadcast", lambda x: x @ x[0].T, lambda x: x @ x[0].T, (2, 3, 4)),
    ("matmul_1d_2d", lambda x: x[0] @ x.T, lambda x: x[0] @ x.T, (3, 4)),
    ("matmul_2d_1d", lambda x: x @ x[0], lambda x: x @ x[0], (3, 4)),
    ("matmul_1d_1d", lambda x: x[0] @ x[1], lambda x: x[0] @ x[1], (3, 4)),
    ("matmul_batched_1d", lambda x: x @ x[0, 0], lambda x: x @ x[0, 0], (2, 3, 4)),
    ("einsum", lambda x: tl.einsum("bij,bkj->bik", x, x), lambda x: np.einsum("bij,bkj->bik", x, x), (2, 3, 4)),
    ("scatter_add", lambda x: x.scatter_add(1, tl.tensor([[0, 0], [2, 1]]), x[:, :2]),
     lambda x: _scatter_add_ref(x), (2, 3)),
    ("setitem_clone", lambda x: _setitem(x), lambda x: _setitem_ref(x), (2, 3)),
]


def _scatter_add_ref(x):
    out = x.copy()
    src = x[:, :2]
    for i, row in enumerate([[0, 0], [2, 1]]):
        for j, col in enumerate(row):
            out[i, col] += src[i, j]
    return out


def _setitem(x):
    y = x * 1
    y[0, 1:] = x[1, :2] * 3
    return y


def _setitem_ref(x):
    y = x.copy()
    y[0, 1:] = x[1, :2] * 3
    return y


def _input(shape, domain, seed=0):
    rng = np.random.default_rng(seed)
    if domain == "distinct":
        return _sample(shape, None, rng) + 0.01 * rng.standard_normal(shape)
    if domain == "clampkink":
        x = _sample(shape, None, rng)
        return np.where(np.abs(np.abs(x) - 0.5) < 0.05, 0.3, x)
    return _sample(shape, domain, rng)


def _check(fn, ref, arrays):
    # forward in float32 against NumPy in float64
    t32 = [tl.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    out = fn(*t32)
    expected = ref(*arrays)
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-5, atol=2e-5)
    assert out.dtype == tl.float32
    out.sum().backward() if out.ndim else out.backward()
    for t in t32:
        assert t.grad is not None and t.grad.dtype == tl.float32 and t.grad.shape == t.shape
    # gradients in float64 against central differences, with a random upstream gradient
    t64 = [tl.tensor(a, dtype=tl.float64, requires_grad=True) for a in arrays]
    assert gradcheck(fn, t64)


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, fn, ref, domain, shape):
    _check(fn, ref, [_input(shape, domain)])


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref,domain", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, fn, ref, domain, shapes):
    a = _input(shapes[0], domain, seed=1)
    b = _input(shapes[1], domain, seed=2)
    if domain == "distinct":
        b = b + 0.05
    _check(fn, ref, [a, b])


@pytest.mark.parametrize("name,fn,ref,shape", WITH_DIMS, ids=[w[0] for w in WITH_DIMS])
def test_with_dims(name, fn, ref, shape):
    x = _input(shape, "nonzero" if name.startswith(("prod", "cumprod")) else "distinct")
    _check(fn, ref, [x])


def test_rounding_ops_forward_and_zero_grad():
    x = tl.tensor([-1.5, -0.5, 0.4, 1.5, 2.5], requires_grad=True)
    for fn, ref in [(tl.floor, np.floor), (tl.ceil, np.ceil), (tl.round, np.round), (tl.trunc, np.trunc),
                    (tl.sign, np.sign)]:
        out = fn(x)
        np.testing.assert_array_equal(out.numpy(), ref(x.numpy()))
        out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(5))


def test_comparisons_and_logic_give_bool():
    a, b = tl.tensor([1.0, 2.0, 3.0]), tl.tensor([3.0, 2.0, 1.0])
    for fn, ref in [(tl.eq, np.equal), (tl.ne, np.not_equal), (tl.lt, np.less), (tl.le, np.less_equal),
                    (tl.gt, np.greater), (tl.ge, np.greater_equal)]:
        out = fn(a, b)
        assert out.dtype == tl.bool
        np.testing.assert_array_equal(out.numpy(), ref(a.numpy(), b.numpy()))
    assert (a == 2).tolist() == [False, True, False]
    assert tl.logical_and(a > 1, b > 1).tolist() == [False, True, False]
    assert tl.logical_or(a > 2, b > 2).tolist() == [True, False, True]
    assert tl.logical_not(a > 1).tolist() == [True, False, False]
    nan = tl.tensor([1.0, float("nan"), float("inf")])
    assert tl.isnan(nan).tolist() == [False, True, False]
    assert tl.isinf(nan).tolist() == [False, False, True]
    assert tl.isfinite(nan).tolist() == [True, False, False]
    assert tl.allclose(a, a + 1e-7) and not tl.allclose(a, b)
    assert tl.isclose(a, b).tolist() == [False, True, False]
    assert (a > 0).all().item() and not (a > 1).all().item() and (a > 2).any().item()


def test_argmax_argmin_sort_unique():
    x = tl.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    assert x.argmax().item() == 4
    assert x.argmax(1).tolist() == [0, 1]
    assert x.argmin(1, keepdim=True).tolist() == [[1], [0]]
    values, indices = x.max(1)
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [0, 1]
    assert x.argsort(1).tolist() == [[1, 2, 0], [0, 1, 2]]
    assert x.sort(1, descending=True).indices.tolist() == [[0, 2, 1], [1, 2, 0]]
    top = x.topk(2, dim=1)
    assert top.values.tolist() == [[3.0, 2.0], [5.0, 5.0]]
    u, inverse, counts = tl.unique(tl.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3] and inverse.tolist() == [2, 0, 2, 1] and counts.tolist() == [1, 1, 2]
    assert tl.max(x, 1)[0].tolist() == [3.0, 5.0]  # torch.max(outputs.data, 1) idiom


def test_max_dim_gradient_goes_to_returned_index_and_amax_splits_ties():
    x = tl.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.max(1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0]]
    y = tl.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    y.amax(1).sum().backward()
    assert y.grad.tolist() == [[0.0, 0.5, 0.5]]


def test_advanced_index_gradient_accumulates_repeats():
    x = tl.zeros(3, requires_grad=True)
    x[tl.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_scatter_and_setitem_values():
    x = tl.zeros(2, 3)
    out = x.scatter(1, tl.tensor([[2], [0]]), tl.tensor([[5.0], [7.0]]))
    assert out.tolist() == [[0, 0, 5], [7, 0, 0]]
    x[0, 1] = 4.0
    x[1] = tl.tensor([1.0, 2.0, 3.0])
    x[x > 2] = -1.0
    assert x.tolist() == [[0, -1, 0], [1, 2, -1]]


def test_cumprod_gradient_with_zero():
    x = tl.tensor([2.0, 0.0, 3.0, 4.0], dtype=tl.float64, requires_grad=True)
    assert gradcheck(lambda t: t.cumprod(0), (x,))
    y = tl.tensor([[2.0, 0.0, 3.0]], dtype=tl.float64, requires_grad=True)
    assert gradcheck(lambda t: t.prod(1), (y,))


def test_matmul_shapes():
    a, b = tl.randn(5, 2, 3, 4), tl.randn(2, 4, 6)
    assert (a @ b).shape == (5, 2, 3, 6)
    assert (tl.randn(4) @ tl.randn(4, 6)).shape == (6,)
    assert (tl.randn(3, 4) @ tl.randn(4)).shape == (3,)
    assert (tl.randn(4) @ tl.randn(4)).shape == ()
