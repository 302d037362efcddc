"""tensorlib.autograd.functional: values against closed forms, output structures as PyTorch's, torch as an
oracle when installed."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.autograd import functional as AF

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 4))


def _t(array, **kwargs):
    return tl.tensor(array, dtype=tl.float64, **kwargs)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    x = _t(RNG.standard_normal(4))
    hessian = AF.hessian(lambda x: x @ _t(A) @ x, x)
    assert isinstance(hessian, tl.Tensor) and hessian.shape == (4, 4)
    np.testing.assert_allclose(hessian.numpy(), A + A.T, atol=1e-12)


def test_hvp_and_vhp_equal_hessian_times_v():
    def f(x):
        return (x ** 3).sum() + (x.sin() * x.roll(1)).sum()

    x, v = _t(RNG.standard_normal(5)), _t(RNG.standard_normal(5))
    hessian = AF.hessian(f, x).numpy()
    value, hvp = AF.hvp(f, x, v)
    np.testing.assert_allclose(value.item(), f(x).item())
    np.testing.assert_allclose(hvp.numpy(), hessian @ v.numpy(), atol=1e-10)
    np.testing.assert_allclose(AF.vhp(f, x, v)[1].numpy(), v.numpy() @ hessian, atol=1e-10)
    assert hvp.grad_fn is None and not hvp.requires_grad  # create_graph=False gives detached results


def test_jacobian_structures_follow_pytorch():
    a, b = _t(RNG.standard_normal(3)), _t(RNG.standard_normal((2, 3)))
    single = AF.jacobian(lambda a: a.exp(), a)
    assert isinstance(single, tl.Tensor) and single.shape == (3, 3)
    np.testing.assert_allclose(single.numpy(), np.diag(np.exp(a.numpy())))
    tuple_in = AF.jacobian(lambda a, b: (b * a).sum(0), (a, b))
    assert isinstance(tuple_in, tuple) and [j.shape for j in tuple_in] == [(3, 3), (3, 2, 3)]
    tuple_out = AF.jacobian(lambda a: (a * 2, a.sum()), a)
    assert isinstance(tuple_out, tuple) and [j.shape for j in tuple_out] == [(3, 3), (3,)]
    both = AF.jacobian(lambda a, b: (a * 2, b.sum()), (a, b))
    assert isinstance(both[0], tuple) and both[1][0].shape == (3,) and both[1][1].shape == (2, 3)
    np.testing.assert_array_equal(both[1][0].numpy(), 0)  # independent input: zeros (strict=False)
    with pytest.raises(RuntimeError, match="independent of the input"):
        AF.jacobian(lambda a, b: a * 2, (a, b), strict=True)
    assert AF.jacobian(lambda a: a * 2, a, vectorize=True, strategy="forward-mode").shape == (3, 3)


def test_vjp_and_jvp_against_the_jacobian():
    def f(x):
        return (x[:2] * x[1:]).tanh()

    x, u, w = _t(RNG.standard_normal(3)), _t(RNG.standard_normal(2)), _t(RNG.standard_normal(3))
    jac = AF.jacobian(f, x).numpy()
    out, vjp = AF.vjp(f, x, u)
    np.testing.assert_allclose(out.numpy(), f(x).numpy())
    np.testing.assert_allclose(vjp.numpy(), u.numpy() @ jac, atol=1e-12)
    out, jvp = AF.jvp(f, x, w)
    np.testing.assert_allclose(jvp.numpy(), jac @ w.numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(f, x)
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        AF.vjp(f, [1.0, 2.0])


def test_create_graph_results_are_differentiable():
    x = _t([0.5, 1.5], requires_grad=True)
    hessian = AF.hessian(lambda x: (x ** 4).sum(), x, create_graph=True)
    assert hessian.grad_fn is not None
    (third,) = tl.autograd.grad(hessian.sum(), x)  # d/dx sum(diag(12 x^2)) = 24 x
    np.testing.assert_allclose(third.numpy(), 24 * np.array([0.5, 1.5]))


def test_matches_torch_autograd_functional():
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    x0, v0 = RNG.standard_normal(4), RNG.standard_normal(4)

    def f(lib, x):
        return (x.sin() * x).sum() + (x @ lib.tensor(A, dtype=x.dtype) @ x) / 3

    ours = (AF.hessian(lambda x: f(tl, x), _t(x0)), AF.hvp(lambda x: f(tl, x), _t(x0), _t(v0))[1],
            AF.jvp(lambda x: (x * x).cumsum(0), _t(x0), _t(v0))[1])
    xt, vt = torch.tensor(x0), torch.tensor(v0)
    theirs = (TF.hessian(lambda x: f(torch, x), xt), TF.hvp(lambda x: f(torch, x), xt, vt)[1],
              TF.jvp(lambda x: (x * x).cumsum(0), xt, vt)[1])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
