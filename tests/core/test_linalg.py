"""``tensorlib.linalg`` decompositions and solvers, and the legacy ``det``/``inverse``/``svd``/``slogdet``/
``cholesky``: float64 gradchecks (tensorlib only), then values, gradients and error types against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.autograd import gradcheck


def _f64(*shape, seed=0):
    return tl.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=tl.float64, requires_grad=True)


def _spd(x):
    """A symmetric positive-definite matrix built differentiably from ``x`` (so gradchecks stay symmetric)."""
    return x @ x.mT + 3 * tl.eye(x.shape[-2], dtype=x.dtype)


def _sym(x):
    return x + x.mT


# ---------------------------------------------------------------------------------------------- gradients
def test_inv_det_slogdet_gradcheck_batched():
    a = _f64(2, 3, 3)
    assert gradcheck(tl.linalg.inv, (a,))
    assert gradcheck(tl.linalg.det, (a,))
    assert gradcheck(lambda t: tl.linalg.slogdet(t).logabsdet, (a,))
    assert gradcheck(tl.logdet, (_spd(_f64(3, 3, seed=1)).detach().requires_grad_(),))


def test_det_gradient_of_a_singular_matrix_is_the_cofactor_matrix():
    a = tl.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=tl.float64, requires_grad=True)
    tl.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def test_solve_gradcheck_matrix_vector_and_right_side():
    a, b, v = _f64(2, 3, 3), _f64(2, 3, 2, seed=1), _f64(3, seed=2)
    assert gradcheck(tl.linalg.solve, (a, b))
    assert gradcheck(tl.linalg.solve, (a, v))
    assert gradcheck(lambda a, b: tl.linalg.solve(a, b, left=False), (a, _f64(2, 4, 3, seed=3)))


def test_cholesky_gradcheck_lower_and_upper():
    x = _f64(2, 3, 3)
    assert gradcheck(lambda t: tl.linalg.cholesky(_spd(t)), (x,))
    assert gradcheck(lambda t: tl.linalg.cholesky(_spd(t), upper=True), (x,))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)])
def test_svd_gradcheck_gauge_invariant_losses(shape):
    x = _f64(*shape)
    # the sign of each singular vector pair is arbitrary: losses that do not depend on it
    assert gradcheck(lambda t: tl.linalg.svd(t, full_matrices=False).S, (x,))
    assert gradcheck(lambda t: tl.linalg.svd(t, full_matrices=False).U.pow(2), (x,))
    assert gradcheck(lambda t: tl.linalg.svd(t, full_matrices=False).Vh.pow(2), (x,))
    assert gradcheck(tl.linalg.svdvals, (x,))
    assert gradcheck(lambda t: tl.linalg.pinv(t), (x,))


def test_eigh_gradcheck():
    x = _f64(2, 3, 3)
    assert gradcheck(lambda t: tl.linalg.eigh(_sym(t)).eigenvalues, (x,))
    assert gradcheck(lambda t: tl.linalg.eigh(_sym(t)).eigenvectors.pow(2), (x,))
    assert gradcheck(lambda t: tl.linalg.eigvalsh(_sym(t), UPLO="U"), (x,))


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4, 2), (2, 5), (2, 3, 4)])
def test_qr_gradcheck(shape):
    x = _f64(*shape)
    assert gradcheck(lambda t: tl.linalg.qr(t).Q, (x,))
    assert gradcheck(lambda t: tl.linalg.qr(t).R, (x,))
    if x.shape[-2] <= x.shape[-1]:  # complete is differentiable where it equals reduced
        assert gradcheck(lambda t: tl.linalg.qr(t, mode="complete").Q, (x,))


def test_qr_backward_refused_where_pytorch_refuses():
    x = _f64(4, 2)
    with pytest.raises(RuntimeError, match="mode='complete'"):
        tl.linalg.qr(x, mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match="mode='r'"):
        tl.linalg.qr(x, mode="r").R.sum().backward()


def test_compositions_gradcheck():
    a, b = _f64(2, 3, 3), _f64(2, 3, 2, seed=1)
    for n in (-2, 0, 1, 3):
        assert gradcheck(lambda t, n=n: tl.linalg.matrix_power(t, n), (a,))
    assert gradcheck(lambda a, b: tl.linalg.solve_triangular(a, b, upper=True), (a, b))
    assert gradcheck(lambda a, b: tl.linalg.solve_triangular(a, b.mT, upper=False, left=False, unitriangular=True),
                     (a, b))
    assert gradcheck(lambda x, y: tl.linalg.multi_dot([x[0, 0], x[1], y[0], y[1, :2, 0]]), (a, b))
    assert gradcheck(tl.linalg.cond, (a,))
    assert gradcheck(lambda t: tl.linalg.matrix_norm(t, "nuc"), (a,))
    assert gradcheck(lambda t: tl.linalg.matrix_norm(t, -2, dim=(0, 2), keepdim=True), (a,))
    assert gradcheck(lambda x, y: tl.linalg.vecdot(x, y, dim=-2), (a, b[..., :1]))
    tall, rhs = _f64(2, 5, 3, seed=2), _f64(2, 5, 2, seed=3)
    assert gradcheck(lambda x, y: tl.linalg.lstsq(x, y).solution, (tall, rhs))


def test_ex_variants_report_failures_per_matrix():
    a = tl.tensor([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 4.0]]], dtype=tl.float64, requires_grad=True)
    inverse, info = tl.linalg.inv_ex(a)
    assert info.tolist() == [2, 0] and info.dtype == tl.int32
    assert np.isnan(inverse[0].detach().numpy()).all() and inverse[1].tolist() == [[0.5, 0.0], [0.0, 0.25]]
    inverse[1].sum().backward()  # the good matrix stays differentiable
    np.testing.assert_allclose(a.grad[1].numpy(), [[-0.25, -0.125], [-0.125, -0.0625]])
    assert a.grad[0].abs().sum().item() == 0
    assert tl.linalg.cholesky_ex(tl.stack([-tl.eye(2), tl.eye(2)])).info.tolist() == [1, 0]
    assert tl.linalg.solve_ex(a.detach(), tl.ones(2, dtype=tl.float64)).info.tolist() == [2, 0]
    with pytest.raises(tl.linalg.LinAlgError):
        tl.linalg.inv_ex(a, check_errors=True)


def test_decompositions_reconstruct_their_input():
    a = _f64(2, 4, 3).detach()
    U, S, Vh = tl.linalg.svd(a)
    assert U.shape == (2, 4, 4) and Vh.shape == (2, 3, 3)
    np.testing.assert_allclose((U[..., :3] * S.unsqueeze(-2) @ Vh).numpy(), a.numpy(), atol=1e-12)
    Q, R = tl.linalg.qr(a)
    np.testing.assert_allclose((Q @ R).numpy(), a.numpy(), atol=1e-12)
    assert tl.linalg.qr(a, mode="complete").Q.shape == (2, 4, 4)
    spd = _spd(a[0].mT)
    L = tl.linalg.cholesky(spd)
    np.testing.assert_allclose((L @ L.mT).numpy(), spd.numpy(), atol=1e-12)
    values, vectors = tl.linalg.eigh(spd)
    np.testing.assert_allclose((vectors * values.unsqueeze(-2) @ vectors.mT).numpy(), spd.numpy(), atol=1e-12)
    U, S, V = tl.svd(a)  # legacy: reduced, and V rather than Vh
    assert U.shape == (2, 4, 3) and V.shape == (2, 3, 3)
    np.testing.assert_allclose((U * S.unsqueeze(-2) @ V.mT).numpy(), a.numpy(), atol=1e-12)


def test_legacy_qr_and_cholesky_warn_as_torch():
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        tl.qr(tl.eye(2))
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        tl.cholesky(tl.eye(2))


def test_out_writes_decompositions_into_given_tensors():
    a = tl.tensor([[2.0, 0.0], [0.0, 4.0]])
    out = tl.empty(2, 2)
    assert tl.inverse(a, out=out) is out and out.tolist() == [[0.5, 0.0], [0.0, 0.25]]
    sign, logabsdet = tl.empty(()), tl.empty(())
    tl.slogdet(a, out=(sign, logabsdet))
    assert sign.item() == 1.0 and logabsdet.item() == pytest.approx(np.log(8.0))
    U, S, Vh = tl.empty(0), tl.empty(0), tl.empty(0)
    result = tl.linalg.svd(a, out=(U, S, Vh))
    assert result.S is S and S.tolist() == [4.0, 2.0] and U.shape == (2, 2)
    with pytest.raises(RuntimeError, match="out="):
        tl.linalg.inv(a.requires_grad_(), out=out)


def test_matrix_rank_and_errors():
    assert tl.linalg.matrix_rank(tl.ones(3, 3)).item() == 1
    assert tl.linalg.matrix_rank(tl.eye(4).expand(2, 4, 4)).tolist() == [4, 4]
    with pytest.raises(tl.linalg.LinAlgError):
        tl.linalg.inv(tl.zeros(2, 2))
    with pytest.raises(RuntimeError, match="not positive-definite"):
        tl.linalg.cholesky(-tl.eye(2))
    with pytest.raises(RuntimeError, match="square"):
        tl.linalg.det(tl.ones(2, 3))
    with pytest.raises(RuntimeError, match="floating point"):
        tl.inverse(tl.ones(2, 2, dtype=tl.int64))


# ---------------------------------------------------------------------------------------------- against PyTorch
RNG = np.random.default_rng(11)
SQUARE = RNG.standard_normal((2, 3, 3))
TALL = RNG.standard_normal((4, 3))
SPD = SQUARE @ np.swapaxes(SQUARE, -1, -2) + 3 * np.eye(3)

VALUE_CASES = [
    ("inv", lambda m, a: m.linalg.inv(a), SQUARE),
    ("inverse", lambda m, a: m.inverse(a), SQUARE),
    ("det", lambda m, a: m.linalg.det(a), SQUARE),
    ("det_legacy", lambda m, a: a.det(), SQUARE),
    ("slogdet", lambda m, a: tuple(m.linalg.slogdet(a)), SQUARE),
    ("slogdet_legacy", lambda m, a: tuple(m.slogdet(a)), SQUARE),
    ("logdet", lambda m, a: m.logdet(a), SQUARE),
    ("solve_matrix", lambda m, a: m.linalg.solve(a, a[..., :2]), SQUARE),
    ("solve_vector_batch", lambda m, a: m.linalg.solve(a, a[..., 0]), SQUARE),
    ("solve_vector_1d", lambda m, a: m.linalg.solve(a, a[0, 0]), SQUARE),
    ("solve_right", lambda m, a: m.linalg.solve(a, a[..., :2, :], left=False), SQUARE),
    ("cholesky", lambda m, a: m.linalg.cholesky(a), SPD),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True), SPD),
    ("cholesky_legacy", lambda m, a: m.cholesky(a), SPD),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), TALL),
    ("svd_S", lambda m, a: m.linalg.svd(a).S, TALL),
    ("svd_abs_U", lambda m, a: m.linalg.svd(a, full_matrices=False).U.abs(), TALL),
    ("svd_abs_Vh", lambda m, a: m.linalg.svd(a).Vh.abs(), TALL),
    ("svd_legacy_abs_V", lambda m, a: m.svd(a).V.abs(), TALL),
    ("svd_legacy_some_false_shapes", lambda m, a: m.svd(a, some=False).U.abs(), TALL),
    ("svd_legacy_no_uv", lambda m, a: tuple(m.svd(a, compute_uv=False)), TALL),
    ("qr_abs", lambda m, a: tuple(t.abs() for t in m.linalg.qr(a)), TALL),
    ("qr_r_mode", lambda m, a: m.linalg.qr(a, mode="r").R.abs(), TALL),
    ("eigh_values", lambda m, a: m.linalg.eigh(a).eigenvalues, SPD),
    ("eigh_abs_vectors", lambda m, a: m.linalg.eigh(a, UPLO="U").eigenvectors.abs(), SPD),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a), SPD),
    ("pinv", lambda m, a: m.linalg.pinv(a), TALL),
    ("pinv_rank_deficient", lambda m, a: m.linalg.pinv(a[:, :1] @ a[:1, :]), TALL),
    ("pinverse", lambda m, a: m.pinverse(a), TALL),
    ("methods", lambda m, a: (a.inverse(), a.slogdet()[1], a.logdet(), a.pinverse(), a.svd()[1],
                              a.qr()[1].abs(), (a @ a.mT).cholesky()), SPD),
    ("matrix_rank", lambda m, a: m.linalg.matrix_rank(a[:, :1] @ a[:1, :]), TALL),
    ("matrix_power", lambda m, a: (m.linalg.matrix_power(a, 3), m.matrix_power(a, -2), a.matrix_power(0)), SQUARE),
    ("solve_triangular", lambda m, a: (m.linalg.solve_triangular(a, a[..., :2], upper=True),
                                       m.linalg.solve_triangular(a, a[..., :2, :], upper=False, left=False,
                                                                 unitriangular=True)), SQUARE),
    ("multi_dot", lambda m, a: m.linalg.multi_dot([a[0, 0], a[1], a[0], a[1, :, 1]]), SQUARE),
    ("cond", lambda m, a: tuple(m.linalg.cond(a, p) for p in (None, 2, -2, "fro", "nuc", 1, float("inf"))), SQUARE),
    ("matrix_norm_spectral", lambda m, a: (m.linalg.matrix_norm(a, 2), m.linalg.matrix_norm(a, "nuc", keepdim=True),
                                           m.linalg.norm(a[0], -2)), SQUARE),
    ("vecdot_diagonal", lambda m, a: (m.linalg.vecdot(a, a[0]), m.linalg.diagonal(a, offset=-1)), SQUARE),
    ("ex_success", lambda m, a: (*m.linalg.inv_ex(a), *m.linalg.cholesky_ex(a), *m.linalg.solve_ex(a, a[0])), SPD),
    ("ex_info", lambda m, a: (m.linalg.inv_ex(a[..., :1, :].expand(a.shape)).info,
                              m.linalg.cholesky_ex(-a).info, m.linalg.solve_ex(a * 0, a).info), SPD),
    ("lstsq", lambda m, a: tuple(m.linalg.lstsq(a, a[:, :2] + 1)), TALL),
    ("lstsq_gelsd_vector", lambda m, a: tuple(m.linalg.lstsq(a, a[:, 0] + 1, driver="gelsd")), TALL),
    ("lstsq_gelss_rank_deficient", lambda m, a: m.linalg.lstsq(a[:, :1] * a[:1, :], a[:, :2], driver="gelss")
     .solution, TALL),
    ("matrix_rank_atol", lambda m, a: m.linalg.matrix_rank(a, atol=1.0, rtol=0.0), TALL),
]


@pytest.mark.filterwarnings("ignore:torch.(cholesky|qr) is deprecated")
@pytest.mark.parametrize("name,fn,array", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_values_match_torch(name, fn, array):
    torch = pytest.importorskip("torch")
    ours, theirs = fn(tl, tl.from_numpy(array.copy())), fn(torch, torch.from_numpy(array.copy()))
    for o, t in zip(ours if isinstance(ours, tuple) else (ours,), theirs if isinstance(theirs, tuple) else (theirs,)):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-10)


GRAD_CASES = [
    ("inv", lambda m, a: (m.linalg.inv(a) ** 2).sum(), SQUARE),
    ("det", lambda m, a: (m.linalg.det(a) ** 2).sum(), SQUARE),
    ("slogdet", lambda m, a: m.linalg.slogdet(a).logabsdet.sum(), SQUARE),
    ("solve", lambda m, a: (m.linalg.solve(a, a.sum(-1)) ** 3).sum(), SQUARE),
    ("cholesky", lambda m, a: (m.linalg.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype)) ** 3).sum(), SQUARE),
    ("svd", lambda m, a: (m.linalg.svd(a, full_matrices=False).U ** 2 * 1.5).sum()
     + (m.linalg.svd(a).Vh ** 4).sum() + m.linalg.svdvals(a).pow(3).sum(), TALL),
    ("svd_wide", lambda m, a: (m.linalg.svd(a.mT, full_matrices=False).U ** 4).sum()
     + (m.linalg.svd(a.mT, full_matrices=False).Vh ** 2 * 2).sum(), TALL),
    ("qr", lambda m, a: (m.linalg.qr(a).Q ** 3).sum() + (m.linalg.qr(a).R ** 2 * 0.5).sum(), TALL),
    ("qr_wide", lambda m, a: (m.linalg.qr(a.mT).Q ** 3).sum() + (m.linalg.qr(a.mT).R ** 2 * 0.5).sum(), TALL),
    ("eigh", lambda m, a: (m.linalg.eigh(a + a.mT).eigenvectors ** 4).sum()
     + m.linalg.eigvalsh(a + a.mT).pow(3).sum(), SQUARE),
    ("eigh_raw_input", lambda m, a: (m.linalg.eigh(a).eigenvectors ** 4).sum() + m.linalg.eigh(a)[0].sum(), SPD),
    ("pinv", lambda m, a: (m.linalg.pinv(a) ** 2).sum(), TALL),
]


@pytest.mark.parametrize("name,fn,array", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_match_torch(name, fn, array):
    torch = pytest.importorskip("torch")
    ours = tl.tensor(array, dtype=tl.float64, requires_grad=True)
    theirs = torch.tensor(array, dtype=torch.float64, requires_grad=True)
    out_ours, out_theirs = fn(tl, ours), fn(torch, theirs)
    np.testing.assert_allclose(out_ours.item(), out_theirs.item(), rtol=1e-9)
    out_ours.backward()
    out_theirs.backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_grad_fn_names_match_torch():
    torch = pytest.importorskip("torch")
    calls = [lambda m, a: m.linalg.inv(a), lambda m, a: m.linalg.det(a), lambda m, a: m.linalg.slogdet(a)[1],
             lambda m, a: m.linalg.svd(a).U, lambda m, a: m.linalg.qr(a).R, lambda m, a: m.linalg.eigh(a)[0],
             lambda m, a: m.linalg.cholesky(a @ a.mT), lambda m, a: m.linalg.solve(a, a),
             lambda m, a: m.addmm(a, a, a), lambda m, a: m.linalg.cross(a, a), lambda m, a: a.diagonal()]
    ours = tl.eye(3, dtype=tl.float64, requires_grad=True)
    theirs = torch.eye(3, dtype=torch.float64, requires_grad=True)
    for call in calls:
        assert call(tl, ours).grad_fn.name() == call(torch, theirs).grad_fn.name()


ERROR_CASES = [
    ("inv_singular", lambda m: m.linalg.inv(m.zeros(2, 2))),
    ("inv_not_square", lambda m: m.linalg.inv(m.zeros(2, 3))),
    ("inv_int", lambda m: m.linalg.inv(m.zeros(2, 2, dtype=m.int64))),
    ("inv_1d", lambda m: m.linalg.inv(m.zeros(2))),
    ("det_not_square", lambda m: m.linalg.det(m.zeros(2, 3))),
    ("cholesky_not_pd", lambda m: m.linalg.cholesky(-m.eye(2))),
    ("solve_shapes", lambda m: m.linalg.solve(m.eye(3), m.ones(2, 1))),
    ("solve_singular", lambda m: m.linalg.solve(m.zeros(2, 2), m.ones(2))),
    ("solve_dtype", lambda m: m.linalg.solve(m.eye(2), m.ones(2, dtype=m.float64))),
    ("qr_mode", lambda m: m.linalg.qr(m.eye(2), mode="full")),
    ("eigh_uplo", lambda m: m.linalg.eigh(m.eye(2), UPLO="X")),
    ("svd_int", lambda m: m.linalg.svd(m.ones(2, 2, dtype=m.int64))),
    ("matrix_power_not_square", lambda m: m.linalg.matrix_power(m.ones(2, 3), 2)),
    ("multi_dot_one", lambda m: m.linalg.multi_dot([m.ones(2, 2)])),
    ("multi_dot_3d", lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(1, 2, 2)])),
    ("inv_ex_check_errors", lambda m: m.linalg.inv_ex(m.zeros(2, 2), check_errors=True)),
    ("matrix_norm_order", lambda m: m.linalg.matrix_norm(m.ones(2, 2), 3)),
]


@pytest.mark.parametrize("name,fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_input_raises_torchs_error_type(name, fn):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value).__mro__[0] if type(theirs.value).__name__ != "_LinAlgError"
                       else tl.linalg.LinAlgError):
        fn(tl)
    if isinstance(theirs.value, torch.linalg.LinAlgError):
        assert issubclass(tl.linalg.LinAlgError, RuntimeError)


def test_writing_into_one_output_leaves_the_others_backward_intact():
    a = _f64(3, 3)
    U, S, Vh = tl.linalg.svd(a)
    with tl.no_grad():
        U.zero_()  # writes into U's array: the outputs are copies, so S's backward still sees the factorisation
    S.sum().backward()
    u, _, vh = np.linalg.svd(a.detach().numpy())
    np.testing.assert_allclose(a.grad.numpy(), u @ vh, atol=1e-12)
