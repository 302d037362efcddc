"""``_blas.axpy_``: ``y += alpha * x`` in place with one rounding through NumPy's BLAS, the NumPy expression
wherever the BLAS cannot take the arrays, and PyTorch's ``add_(x, alpha=...)`` bits when torch is installed."""

import numpy as np
import pytest

from tensorlib._blas import axpy_, has_fused_axpy

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 5, 17, 1000, 40_001])
def test_axpy_updates_in_place_within_rounding_of_the_exact_result(dtype, n):
    y, x = RNG.standard_normal(n).astype(dtype), RNG.standard_normal(n).astype(dtype)
    alpha = dtype(-0.1)
    exact = y.astype(np.longdouble) + np.longdouble(alpha) * x.astype(np.longdouble)
    bound = 2 * np.finfo(dtype).eps * (np.abs(y) + np.abs(alpha * x)).astype(np.longdouble)
    target = y
    axpy_(y, float(alpha), x)
    assert y is target and y.dtype == dtype
    assert np.all(np.abs(y.astype(np.longdouble) - exact) <= bound)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_single_rounding_is_never_further_from_exact_than_numpy(dtype):
    """The fused update is the exact result correctly rounded: never worse than NumPy's two roundings, and (with
    a BLAS) better somewhere on a large random sample."""
    y, x = RNG.standard_normal(20_000).astype(dtype), RNG.standard_normal(20_000).astype(dtype)
    alpha = dtype(0.3)
    exact = y.astype(np.longdouble) + np.longdouble(alpha) * x.astype(np.longdouble)
    two_roundings = y + alpha * x
    fused = y.copy()
    axpy_(fused, float(alpha), x)
    fused_error = np.abs(fused.astype(np.longdouble) - exact)
    numpy_error = np.abs(two_roundings.astype(np.longdouble) - exact)
    assert np.all(fused_error <= numpy_error)
    if has_fused_axpy(dtype) and np.finfo(np.longdouble).nmant > np.finfo(dtype).nmant * 2 + 1:
        assert np.any(fused_error < numpy_error)


@pytest.mark.parametrize("case", ["strided_y", "fortran_y", "float16", "readonly_x", "overlap", "empty",
                                  "broadcast_x"])
def test_axpy_falls_back_to_numpy_for_arrays_the_blas_cannot_take(case):
    base = RNG.standard_normal((6, 8)).astype(np.float32)
    x = RNG.standard_normal((6, 8)).astype(np.float32)
    if case == "strided_y":
        y, x = base[:, ::2], x[:, ::2]
    elif case == "fortran_y":
        y = np.asfortranarray(base)
    elif case == "float16":
        y, x = base.astype(np.float16), x.astype(np.float16)
    elif case == "readonly_x":
        x.flags.writeable = False
        y = base.copy()
    elif case == "overlap":
        y, x = base[1:], base[:-1]
    elif case == "empty":
        y, x = base[:0], x[:0]
    else:
        y, x = base.copy(), np.broadcast_to(x[0], base.shape)
    expected = y.astype(np.float64) + float(np.float32(0.25)) * np.array(x, dtype=np.float64)
    axpy_(y, 0.25, x)
    np.testing.assert_allclose(y, expected, rtol=2e-3 if case == "float16" else 1e-6, atol=1e-3)


def test_axpy_with_a_transposed_x_rounds_like_a_contiguous_one():
    y = RNG.standard_normal((5, 7)).astype(np.float32)
    x = RNG.standard_normal((7, 5)).astype(np.float32)
    a, b = y.copy(), y.copy()
    axpy_(a, -0.01, x.T)
    axpy_(b, -0.01, np.ascontiguousarray(x.T))
    np.testing.assert_array_equal(a, b)


def test_axpy_x_is_y():
    y = RNG.standard_normal(100).astype(np.float32)
    expected = y + np.float32(0.5) * y
    axpy_(y, 0.5, y)
    np.testing.assert_array_equal(y, expected)  # 1.5 * y: the product by 0.5 is exact, so one rounding either way


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_matches_torch_add_with_alpha_bit_for_bit(dtype):
    torch = pytest.importorskip("torch")
    if not has_fused_axpy(dtype):
        pytest.skip("no BLAS axpy in this process: the NumPy fallback rounds twice")
    for n in (3, 16, 1001, 65_537):
        y, x = RNG.standard_normal(n).astype(dtype), RNG.standard_normal(n).astype(dtype)
        reference = torch.from_numpy(y.copy())
        reference.add_(torch.from_numpy(x), alpha=-0.01)
        axpy_(y, -0.01, x)
        np.testing.assert_array_equal(y, reference.numpy())


@pytest.mark.parametrize("alpha", [0.0, 1e-60])
def test_axpy_with_alpha_zero_in_the_dtype_still_propagates_nan_and_inf(alpha):
    """OpenBLAS skips the update for alpha == 0; PyTorch's ``add_(x, alpha=0)`` (an lr=0 step) gives NaN where
    ``x`` is NaN or infinite, and so must we (1e-60 rounds to 0 in float32)."""
    y = np.ones(20_000, np.float32)
    x = np.zeros(20_000, np.float32)
    x[[3, 7]] = np.nan, np.inf
    with np.errstate(invalid="ignore"):  # 0 * inf
        axpy_(y, alpha, x)
    assert np.isnan(y[3]) and np.isnan(y[7])
    assert np.all(y[np.r_[0:3, 4:7, 8:20_000]] == 1)
