"""Second derivatives of the ops added beside the higher-order work (inverse trig, addmm family, cross, cdist,
diagonal, matrix inverse/det/slogdet/solve, and in-place writes through views)."""

from __future__ import annotations

import pytest

import tensorlib as tl
from tensorlib.autograd import gradgradcheck


def _rand(*shape, low=-0.8, high=0.8):
    return (tl.rand(*shape, dtype=tl.float64) * (high - low) + low).requires_grad_()


UNARY = {
    "asin": lambda x: x.asin(), "acos": lambda x: x.acos(), "atan": lambda x: x.atan(), "sinh": lambda x: x.sinh(),
    "cosh": lambda x: x.cosh(), "asinh": lambda x: x.asinh(), "atanh": lambda x: x.atanh(),
    "acosh": lambda x: (x + 2).acosh(), "nan_to_num": lambda x: tl.nan_to_num(x * x),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_second_derivatives(name):
    assert gradgradcheck(UNARY[name], (_rand(3, 4),))


@pytest.mark.parametrize("fn,other_rows", [
    (lambda a, b: tl.atan2(a, b), 4), (lambda a, b: tl.hypot(a, b), 4), (lambda a, b: tl.logaddexp(a, b), 4),
    (lambda a, b: tl.cross(a, b, dim=-1), 4), (lambda a, b: tl.cdist(a, b), 5),
])
def test_binary_second_derivatives(fn, other_rows):
    assert gradgradcheck(fn, (_rand(4, 3), _rand(other_rows, 3)))


def test_addmm_family_second_derivatives():
    inputs = (_rand(2, 4), _rand(2, 3), _rand(3, 4))
    assert gradgradcheck(lambda x, a, b: tl.addmm(x, a, b, beta=0.5, alpha=2.0), inputs)
    assert gradgradcheck(lambda x, a, v: tl.addmv(x, a, v), (_rand(2), _rand(2, 3), _rand(3)))


def test_diagonal_and_inplace_write_through_a_view():
    assert gradgradcheck(lambda x: (x.diagonal() ** 2).sum(), (_rand(3, 3),))

    def write_through_view(x):
        y = x * 1
        y[1:].mul_(x[:2] * x[:2])
        return y

    assert gradgradcheck(write_through_view, (_rand(3, 2),))


def test_matrix_second_derivatives():
    def well_conditioned():
        return (tl.eye(3, dtype=tl.float64) * 2 + tl.rand(3, 3, dtype=tl.float64) * 0.3).requires_grad_()

    assert gradgradcheck(lambda a: tl.linalg.inv(a), (well_conditioned(),))
    assert gradgradcheck(lambda a: tl.linalg.det(a), (well_conditioned(),))
    assert gradgradcheck(lambda a: tl.linalg.slogdet(a).logabsdet, (well_conditioned(),))
    assert gradgradcheck(lambda a, b: tl.linalg.solve(a, b), (well_conditioned(), _rand(3, 2)))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_second_derivatives(upper):
    def factor(m):
        spd = m @ m.transpose(-1, -2) + 3 * tl.eye(3, dtype=tl.float64)
        return tl.linalg.cholesky(spd, upper=upper)

    assert gradgradcheck(factor, (_rand(3, 3),))


@pytest.mark.parametrize("part", ["eigenvalues", "eigenvectors"])
def test_eigh_second_derivatives(part):
    def decompose(m):
        symmetric = m + m.transpose(-1, -2) + tl.diag(tl.tensor([0.0, 2.0, 4.0], dtype=tl.float64))
        values, vectors = tl.linalg.eigh(symmetric)
        # eigenvectors are defined up to sign: a sign-invariant function of them
        return values if part == "eigenvalues" else (vectors * vectors).sum(-2) + vectors[..., 0, :] ** 2

    assert gradgradcheck(decompose, (_rand(3, 3, low=-0.3, high=0.3),))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 4)])
@pytest.mark.parametrize("part", ["S", "U", "Vh"])
def test_svd_second_derivatives(shape, part):
    def decompose(a):
        u, s, vh = tl.linalg.svd(a, full_matrices=False)
        # singular vectors are defined up to sign: sign-invariant functions of them
        return {"S": s, "U": (u * u)[..., :2, :] + u[..., :1, :] ** 2, "Vh": (vh * vh)[..., :, :2]}[part]

    spread = tl.zeros(*shape, dtype=tl.float64)  # well-separated singular values near 3, 2, 1
    for i in range(min(shape)):
        spread[i, i] = 3.0 - i
    a = (_rand(*shape, low=-0.2, high=0.2).detach() + spread).requires_grad_()
    assert gradgradcheck(decompose, (a,))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 4)])
@pytest.mark.parametrize("part", ["Q", "R"])
def test_qr_second_derivatives(shape, part):
    def decompose(a):
        q, r = tl.linalg.qr(a)
        return q if part == "Q" else r

    spread = tl.zeros(*shape, dtype=tl.float64)
    for i in range(min(shape)):
        spread[i, i] = 3.0 - i
    a = (_rand(*shape, low=-0.2, high=0.2).detach() + spread).requires_grad_()
    assert gradgradcheck(decompose, (a,))


def test_every_kernel_has_a_differentiable_backward():
    """A kernel without ``backward_tensors`` would break ``create_graph=True`` for every model using it."""
    import importlib
    import inspect
    import pkgutil

    import tensorlib.kernels as kernels
    from tensorlib.autograd.function import Function

    missing = []
    for info in pkgutil.iter_modules(kernels.__path__):
        module = importlib.import_module(f"tensorlib.kernels.{info.name}")
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, Function) and cls.__module__ == module.__name__:
                if not hasattr(cls, "backward_tensors"):
                    missing.append(f"{info.name}.{name}")
    assert missing == []
