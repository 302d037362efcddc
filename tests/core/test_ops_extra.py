"""The ops real programs were missing (issue #12): inverse trig/hyperbolic, atan2/hypot/logaddexp, nan_to_num,
addmm family, tensordot, cross, diagonal, trace, cdist, isin, median/nanmedian, scatter with a 0-d index and
the legacy tensor types. Float64 gradchecks need only tensorlib; the PyTorch comparisons skip without torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensorlib as tl
from tensorlib.autograd import gradcheck


def _f64(*shape, low=-1.0, high=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return tl.tensor(rng.uniform(low, high, shape), dtype=tl.float64, requires_grad=True)


# ---------------------------------------------------------------------------------------------- gradients
UNARY_DOMAINS = [("asin", -0.9, 0.9), ("acos", -0.9, 0.9), ("atan", -3, 3), ("sinh", -2, 2), ("cosh", -2, 2),
                 ("asinh", -3, 3), ("acosh", 1.1, 4), ("atanh", -0.9, 0.9), ("deg2rad", -200, 200),
                 ("rad2deg", -3, 3)]


@pytest.mark.parametrize("name,low,high", UNARY_DOMAINS, ids=[u[0] for u in UNARY_DOMAINS])
def test_unary_gradcheck(name, low, high):
    x = _f64(3, 4, low=low, high=high)
    assert gradcheck(getattr(tl, name), (x,))
    assert gradcheck(lambda t: getattr(t, name)(), (x,))


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp"])
def test_binary_gradcheck_with_broadcast(name):
    a, b = _f64(3, 1, seed=1), _f64(1, 4, low=0.2, high=2.0, seed=2)
    assert gradcheck(getattr(tl, name), (a, b))


def test_nan_to_num_gradient_is_zero_where_replaced():
    x = tl.tensor([1.0, float("nan"), float("inf"), -float("inf"), -2.0], dtype=tl.float64, requires_grad=True)
    y = tl.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0)
    assert y.tolist() == [1.0, 0.5, 9.0, -9.0, -2.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]
    assert tl.nan_to_num(tl.tensor([float("inf")])).item() == np.finfo(np.float32).max


def test_addmm_family_gradcheck():
    c, a, b = _f64(1, 5), _f64(3, 4, seed=1), _f64(4, 5, seed=2)
    assert gradcheck(lambda c, a, b: tl.addmm(c, a, b, beta=0.5, alpha=2.0), (c, a, b))
    v, m, w = _f64(3), _f64(3, 4, seed=3), _f64(4, seed=4)
    assert gradcheck(lambda v, m, w: tl.addmv(v, m, w, alpha=-1.5), (v, m, w))
    i, b1, b2 = _f64(2, 3, 5), _f64(2, 3, 4, seed=5), _f64(2, 4, 5, seed=6)
    assert gradcheck(lambda i, b1, b2: tl.baddbmm(i, b1, b2, beta=2.0), (i, b1, b2))
    assert tl.addmm(c, a, b).grad_fn.name() == "AddmmBackward0"


def test_addmm_beta_zero_ignores_nan_input():
    out = tl.addmm(tl.full((2, 2), float("nan")), tl.eye(2), tl.ones(2, 2), beta=0)
    assert out.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_tensordot_cross_diagonal_trace_gradcheck():
    a, b = _f64(2, 3, 4), _f64(4, 3, 5, seed=1)
    assert gradcheck(lambda a, b: tl.tensordot(a, b, dims=([1, 2], [1, 0])), (a, b))
    assert gradcheck(lambda a, b: tl.tensordot(a, b, dims=1), (a, b))
    u, v = _f64(4, 3, seed=2), _f64(1, 3, seed=3)
    assert gradcheck(lambda u, v: tl.linalg.cross(u, v), (u, v))
    x = _f64(3, 4, 5, seed=4)
    for offset, d1, d2 in [(0, 0, 1), (1, 1, 2), (-2, 2, 0), (3, -1, -2)]:
        assert gradcheck(lambda t, o=offset, a=d1, b=d2: t.diagonal(o, a, b), (x,))
    assert gradcheck(tl.trace, (_f64(3, 5, seed=5),))


def test_cdist_gradcheck_and_zero_distance_subgradient():
    x1, x2 = _f64(2, 4, 3), _f64(2, 5, 3, seed=1)
    for p in (1.0, 2.0, 3.0, float("inf")):
        assert gradcheck(lambda a, b, p=p: tl.cdist(a, b, p=p), (x1, x2))
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        assert gradcheck(lambda a, b, mode=mode: tl.cdist(a, b, compute_mode=mode), (x1, x2))
    big1, big2 = _f64(30, 3, seed=2), _f64(2, 1, 3, seed=3)  # > 25 rows: the matrix-product path, broadcast batch
    np.testing.assert_allclose(tl.cdist(big1, big2).detach().numpy(),
                               tl.cdist(big1, big2, compute_mode="donot_use_mm_for_euclid_dist").detach().numpy())
    assert gradcheck(tl.cdist, (big1, big2))
    same = tl.tensor([[1.0, 2.0]], dtype=tl.float64, requires_grad=True)
    tl.cdist(same, same.detach()).sum().backward()
    assert same.grad.tolist() == [[0.0, 0.0]]


def test_median_gradient_goes_to_the_selected_element():
    x = tl.tensor([[3.0, 1.0, 2.0, 5.0], [4.0, 0.0, 9.0, 2.0]], dtype=tl.float64, requires_grad=True)
    values, indices = tl.median(x, dim=1)
    values.sum().backward()
    assert indices.tolist() == [2, 3]
    assert x.grad.tolist() == [[0, 0, 1, 0], [0, 0, 0, 1]]
    assert gradcheck(lambda t: t.median(), (_f64(5, seed=3),))
    assert gradcheck(lambda t: tl.nanmedian(t, 0, keepdim=True).values, (_f64(4, 3, seed=4),))


# ---------------------------------------------------------------------------------------------- behaviour
def test_scatter_with_a_zero_dim_index():
    x = tl.zeros(4)
    assert x.scatter(0, tl.tensor(1), 5.0).tolist() == [0, 5, 0, 0]
    assert x.scatter(0, tl.tensor(2), tl.tensor(7.0)).tolist() == [0, 0, 7, 0]
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        tl.zeros(2, 3).scatter(1, tl.tensor(1), 5.0)


def test_legacy_tensor_types():
    x = tl.zeros(2)
    assert x.type() == "torch.FloatTensor"
    assert tl.zeros(1, dtype=tl.int64).type() == "torch.LongTensor"
    assert tl.zeros(1, dtype=tl.bool).type() == "torch.BoolTensor"
    assert x.type(tl.LongTensor).dtype == tl.int64
    assert x.type("torch.DoubleTensor").dtype == tl.float64
    assert x.type("tensorlib.IntTensor").dtype == tl.int32
    assert x.type(tl.float16).dtype == tl.float16
    assert x.type(tl.FloatTensor) is x
    assert isinstance(x, tl.FloatTensor) and not isinstance(x, tl.LongTensor)
    assert tl.ByteTensor([1, 2]).dtype == tl.uint8 and tl.DoubleTensor(2, 3).shape == (2, 3)
    assert tl.BoolTensor([1, 0]).tolist() == [True, False]
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.float32")
    with pytest.raises(RuntimeError, match="CPU"):
        x.type("torch.cuda.FloatTensor")


@pytest.mark.filterwarnings("error")
def test_outside_the_domain_gives_nan_or_inf_silently_as_pytorch():
    assert math.isnan(tl.asin(tl.tensor([2.0])).item()) and math.isnan(tl.acos(tl.tensor([-3.0])).item())
    assert math.isnan(tl.acosh(tl.tensor([0.0])).item()) and tl.atanh(tl.tensor([1.0])).item() == math.inf


def test_integer_inputs_follow_pytorch_dtype_rules():
    assert tl.asin(tl.tensor([0, 1])).dtype == tl.float32
    assert tl.atan2(tl.tensor([1]), tl.tensor([2])).dtype == tl.float32
    assert tl.deg2rad(tl.tensor([180])).item() == pytest.approx(math.pi)
    assert tl.nan_to_num(tl.tensor([1, 2])).dtype == tl.int64
    assert tl.trace(tl.arange(9).reshape(3, 3)).item() == 12
    with pytest.raises(NotImplementedError, match="Long"):
        tl.hypot(tl.tensor([3]), tl.tensor([4]))


def test_out_writes_into_the_given_tensor():
    out = tl.empty(3)
    result = tl.asin(tl.tensor([0.0, 0.5, 1.0]), out=out)
    assert result is out and out.tolist() == pytest.approx([0.0, math.pi / 6, math.pi / 2])
    values, indices = tl.empty(2), tl.empty(2, dtype=tl.int64)
    tl.median(tl.tensor([[1.0, 3.0, 2.0], [6.0, 5.0, 4.0]]), 1, out=(values, indices))
    assert values.tolist() == [2.0, 5.0] and indices.tolist() == [2, 1]
    found = tl.empty(3, dtype=tl.bool)
    assert tl.isin(tl.tensor([1, 2, 3]), 2, out=found) is found and found.tolist() == [False, True, False]


# ---------------------------------------------------------------------------------------------- against PyTorch
def _pair(arrays):
    torch = pytest.importorskip("torch")
    return torch, [tl.from_numpy(np.array(a)) for a in arrays], [torch.from_numpy(np.array(a)) for a in arrays]


def _differences(ours, theirs) -> list:
    """What differs between a tensorlib result and torch's (dtype, shape, values), element by element."""
    if isinstance(theirs, tuple):
        if len(ours) != len(theirs):
            return [f"{len(ours)} results vs {len(theirs)}"]
        return [d for o, t in zip(ours, theirs) for d in _differences(o, t)]
    found = []
    if str(ours.dtype).split(".")[-1] != str(theirs.dtype).split(".")[-1]:
        found.append(f"dtype {ours.dtype} vs {theirs.dtype}")
    a, b = ours.numpy(), theirs.numpy()
    if a.shape != b.shape or not np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True):
        found.append(f"values {a!r} vs {b!r}")
    return found


RNG = np.random.default_rng(7)
MATRIX = RNG.standard_normal((3, 4)).astype(np.float32)
TORCH_CASES = [
    ("asin", lambda m, x: m.asin(x), [np.linspace(-0.9, 0.9, 7, dtype=np.float32)]),
    ("acos_int", lambda m, x: m.arccos(x), [np.array([0, 1])]),
    ("atan_sinh_cosh", lambda m, x: m.atan(x) + m.sinh(x) * m.cosh(x), [MATRIX]),
    ("asinh_acosh_atanh", lambda m, x: m.asinh(x) + m.acosh(x.abs() + 1) + m.atanh(x.clamp(-0.5, 0.5)), [MATRIX]),
    ("atan2", lambda m, a, b: m.atan2(a, b), [MATRIX, MATRIX[:1] + 0.5]),
    ("atan2_int", lambda m, a, b: m.arctan2(a, b), [np.array([1, -2]), np.array([3, 4])]),
    ("hypot", lambda m, a, b: m.hypot(a, b), [MATRIX, MATRIX.T[:1].T]),
    ("logaddexp", lambda m, a, b: m.logaddexp(a, b), [MATRIX * 50, MATRIX[::-1] * 50]),
    ("deg2rad_rad2deg", lambda m, x: m.deg2rad(x) + m.rad2deg(x), [MATRIX]),
    ("nan_to_num", lambda m, x: m.nan_to_num(x, nan=1.5, neginf=-7.0),
     [np.array([np.nan, np.inf, -np.inf, 2.0], dtype=np.float32)]),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2), [MATRIX[:, :1], MATRIX, MATRIX.T]),
    ("addmv", lambda m, v, a, w: m.addmv(v, a, w), [MATRIX[:, 0], MATRIX, MATRIX[0]]),
    ("baddbmm", lambda m, i, a, b: m.baddbmm(i, a, b, alpha=3), [MATRIX[None, :, :3], MATRIX[None], MATRIX.T[None]]),
    ("tensordot_int", lambda m, a, b: m.tensordot(a, b, dims=1), [MATRIX, MATRIX.T]),
    ("tensordot_lists", lambda m, a, b: m.tensordot(a, b, dims=([1], [1])), [MATRIX, MATRIX]),
    ("tensordot_zero", lambda m, a, b: m.tensordot(a, b, dims=0), [MATRIX[0], MATRIX[1]]),
    ("cross", lambda m, a, b: m.cross(a, b, dim=0), [MATRIX[:, :2].copy(), MATRIX[:, 2:].copy()]),
    ("cross_int", lambda m, a, b: m.linalg.cross(a, b), [np.array([1, 0, 0]), np.array([0, 1, 0])]),
    ("linalg_cross_broadcast", lambda m, a, b: m.linalg.cross(a, b), [MATRIX[:, :3].copy(), MATRIX[:1, 1:].copy()]),
    ("diagonal", lambda m, x: x.diagonal(1) + m.diagonal(x, -1)[:2].sum(), [MATRIX]),
    ("diagonal_3d", lambda m, x: m.diagonal(x.reshape(2, 2, 3), 1, 2, 0), [MATRIX]),
    ("trace", lambda m, x: m.trace(x), [MATRIX]),
    ("cdist", lambda m, a, b: m.cdist(a, b), [MATRIX, MATRIX[::-1].copy()]),
    ("cdist_p1_batched", lambda m, a, b: m.cdist(a, b, p=1), [MATRIX[None], MATRIX[None, :2]]),
    ("cdist_mm", lambda m, a, b: m.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), [MATRIX, MATRIX[:2] + 1]),
    ("cdist_p_half", lambda m, a, b: m.cdist(a, b, p=0.5), [MATRIX, MATRIX[:1] + 1]),
    ("isin", lambda m, a, b: m.isin(a, b), [np.array([1, 2, 3, 4]), np.array([2, 4, 9])]),
    ("isin_invert_scalar", lambda m, a: m.isin(a, 2, invert=True), [np.array([[1, 2], [2, 3]])]),
    ("median_all", lambda m, x: m.median(x), [MATRIX]),
    ("median_even_int", lambda m, x: m.median(x), [np.array([1, 3, 2, 4])]),
    ("median_dim", lambda m, x: tuple(m.median(x, 1)), [MATRIX]),
    ("median_dim0_keepdim", lambda m, x: tuple(x.median(0, keepdim=True)), [MATRIX]),
    ("median_nan", lambda m, x: tuple(m.median(x, 1)), [np.array([[1.0, np.nan, 0.0], [2.0, 1.0, 3.0]])]),
    ("nanmedian", lambda m, x: tuple(m.nanmedian(x, 1)), [np.array([[1.0, np.nan, 3.0, 2.0], [4.0, 5, 6, 7]])]),
    ("nanmedian_all", lambda m, x: m.nanmedian(x), [np.array([1.0, np.nan, 3.0, 2.0])]),
]


@pytest.mark.parametrize("name,fn,arrays", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_matches_torch(name, fn, arrays):
    torch, ours, theirs = _pair(arrays)
    assert not _differences(fn(tl, *ours), fn(torch, *theirs))


GRAD_CASES = [
    ("trig", lambda m, x: (m.asin(x * 0.5) * m.acos(x * 0.5) + m.atan(x) + m.sinh(x) + m.cosh(x) + m.asinh(x)
                           + m.acosh(x.abs() + 1.5) + m.atanh(x * 0.5)).sum()),
    ("binary", lambda m, x: (m.atan2(x, x.T[:1].T + 2) + m.hypot(x, x * 2 + 1) + m.logaddexp(x, x.flip(0))).sum()),
    ("linalg_ops", lambda m, x: (m.addmm(x[:, :1], x, x.T) ** 2).sum() + m.tensordot(x, x, dims=([0], [0])).sum()
     + m.trace(x[:, :3] @ x[:, :3]) + x.diagonal(1).pow(2).sum() + m.cdist(x, x + 0.3).sum()
     + m.linalg.cross(x[:, :3], x[:, 1:]).pow(2).sum()),
    ("median", lambda m, x: m.median(x, 1).values.sum() * 2 + m.median(x) + m.nan_to_num(x).sum()),
]


@pytest.mark.parametrize("name,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_match_torch(name, fn):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(3).uniform(-1, 1, (3, 4))
    ours = tl.tensor(data, dtype=tl.float64, requires_grad=True)
    theirs = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    out_ours, out_theirs = fn(tl, ours), fn(torch, theirs)
    np.testing.assert_allclose(out_ours.item(), out_theirs.item(), rtol=1e-10)
    out_ours.backward()
    out_theirs.backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-10)


ERROR_CASES = [
    ("cross_no_size_3", lambda m: m.cross(m.ones(2, 4), m.ones(2, 4))),
    ("linalg_cross_wrong_size", lambda m: m.linalg.cross(m.ones(2, 4), m.ones(2, 4))),
    ("cross_dtypes", lambda m: m.linalg.cross(m.ones(3), m.ones(3, dtype=m.float64))),
    ("cross_ndim", lambda m: m.linalg.cross(m.ones(2, 3), m.ones(3))),
    ("trace_3d", lambda m: m.trace(m.ones(2, 3, 3))),
    ("addmm_shapes", lambda m: m.addmm(m.ones(2, 2), m.ones(2, 3), m.ones(2, 3))),
    ("addmm_dtype", lambda m: m.addmm(m.ones(2, 2, dtype=m.float64), m.ones(2, 2), m.ones(2, 2))),
    ("tensordot_sizes", lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 5), dims=1)),
    ("diagonal_same_dims", lambda m: m.ones(2, 2).diagonal(0, 1, 1)),
    ("cdist_columns", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 4))),
    ("cdist_int", lambda m: m.cdist(m.ones(2, 3, dtype=m.int64), m.ones(2, 3, dtype=m.int64))),
    ("cdist_mode", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3), compute_mode="fast")),
    ("cdist_dtypes", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3, dtype=m.float64))),
    ("median_empty_dim", lambda m: m.median(m.ones(2, 0), 1)),
    ("median_dim_range", lambda m: m.median(m.ones(2, 3), 2)),
    ("hypot_int", lambda m: m.hypot(m.tensor([1]), m.tensor([2]))),
    ("logaddexp_int", lambda m: m.logaddexp(m.tensor([1]), m.tensor([2]))),
    ("scatter_0d_index_2d_input", lambda m: m.zeros(2, 3).scatter(1, m.tensor(1), 5.0)),
    ("type_bad_name", lambda m: m.zeros(2).type("Foo")),
]


@pytest.mark.parametrize("name,fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_input_raises_torchs_error_type(name, fn):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(type(theirs.value)):
            fn(tl)


def test_cross_without_dim_warns_as_torch():
    with pytest.warns(UserWarning, match="without specifying the dim"):
        out = tl.cross(tl.tensor([[1.0, 0, 0]]), tl.tensor([[0.0, 1, 0]]))
    assert out.tolist() == [[0.0, 0.0, 1.0]]


# ---------------------------------------------------------------------------------------------- properties
@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), data=st.data())
def test_median_over_any_dim_is_the_lower_middle_of_the_sorted_values(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(len(shape)).permutation(np.prod(shape)).reshape(shape).astype(np.float64)
    values, indices = tl.median(tl.from_numpy(x), dim)
    expected = np.take(np.sort(x, axis=dim), (x.shape[dim] - 1) // 2, axis=dim)
    np.testing.assert_array_equal(values.numpy(), expected)
    np.testing.assert_array_equal(np.take_along_axis(x, np.expand_dims(indices.numpy(), dim), dim).squeeze(dim),
                                  expected)


@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=4), data=st.data())
def test_diagonal_and_its_gradient_for_any_planes(shape, data):
    ndim = len(shape)
    dim1, dim2 = data.draw(st.lists(st.integers(0, ndim - 1), min_size=2, max_size=2, unique=True))
    offset = data.draw(st.integers(-4, 4))
    x = np.random.default_rng(0).standard_normal(shape)
    t = tl.tensor(x, dtype=tl.float64, requires_grad=True)
    np.testing.assert_array_equal(t.diagonal(offset, dim1, dim2).detach().numpy(),
                                  np.diagonal(x, offset, dim1, dim2))
    assert gradcheck(lambda a: a.diagonal(offset, dim1, dim2), (t,))


def test_diagonal_is_a_writable_view_as_in_pytorch():
    x = tl.zeros(2, 3, 4)
    x.diagonal(1, 2, 1).fill_(5.0)
    expected = np.zeros((2, 3, 4))
    expected[:, [1, 2], [0, 1]] = 5.0
    np.testing.assert_array_equal(x.numpy(), expected)
    eye = tl.zeros(3, 3)
    eye.diagonal().fill_(1.0)
    assert eye.tolist() == tl.eye(3).tolist()
