"""Activations: values against float64 NumPy formulas, gradcheck, finite values/gradients at +-1e4,
``inplace=``, and parity with PyTorch (outputs, gradients, repr) when torch is installed."""

import math

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck

RNG = np.random.default_rng(0)
ERF = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


# name -> (module factory, numpy reference)
CASES = {
    "relu": (lambda: nn.ReLU(), lambda x: np.maximum(x, 0)),
    "relu6": (lambda: nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda: nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(np.minimum(x, 0)))),
    "selu": (lambda: nn.SELU(), lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))),
    "celu": (lambda: nn.CELU(2.0), lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(np.minimum(x, 0) / 2))),
    "gelu": (lambda: nn.GELU(), lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
    "gelu_tanh": (lambda: nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "silu": (lambda: nn.SiLU(), lambda x: x * _sigmoid(x)),
    "mish": (lambda: nn.Mish(), lambda x: x * np.tanh(_softplus(x))),
    "softplus": (lambda: nn.Softplus(), _softplus),
    "softplus_beta": (lambda: nn.Softplus(2.0, 3.0), lambda x: np.where(2 * x > 3, x, _softplus(2 * x) / 2)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hardswish": (lambda: nn.Hardswish(), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "tanh": (lambda: nn.Tanh(), np.tanh),
    "sigmoid": (lambda: nn.Sigmoid(), _sigmoid),
    "logsigmoid": (lambda: nn.LogSigmoid(), lambda x: -_softplus(-x)),
    "softsign": (lambda: nn.Softsign(), lambda x: x / (1 + np.abs(x))),
    "tanhshrink": (lambda: nn.Tanhshrink(), lambda x: x - np.tanh(x)),
    "softshrink": (lambda: nn.Softshrink(0.3), lambda x: np.where(np.abs(x) > 0.3, x - np.sign(x) * 0.3, 0)),
    "hardshrink": (lambda: nn.Hardshrink(0.3), lambda x: np.where(np.abs(x) > 0.3, x, 0)),
    "threshold": (lambda: nn.Threshold(0.1, -2.0), lambda x: np.where(x > 0.1, x, -2.0)),
    "softmax": (lambda: nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
    "softmin": (lambda: nn.Softmin(dim=1), lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
    "glu": (lambda: nn.GLU(), lambda x: x[:, :2] * _sigmoid(x[:, 2:])),
}


def _input(shape=(3, 4)):
    # keep away from the kinks (0, +-3, bounds) where finite differences straddle two branches
    x = RNG.uniform(-4, 4, size=shape)
    for kink in (0.0, 3.0, -3.0, 0.1, 0.3, -0.3, -0.5, 1.5, 1.5, 6.0):
        x = np.where(np.abs(x - kink) < 0.05, x + 0.2, x)
    return x


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_float32_and_float64(name):
    factory, reference = CASES[name]
    x = _input()
    for dtype, tol in ((tl.float64, 1e-10), (tl.float32, 2e-6)):
        out = factory()(tl.tensor(x, dtype=dtype))
        assert out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), reference(x), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    factory, _ = CASES[name]
    x = tl.tensor(_input(), dtype=tl.float64, requires_grad=True)
    assert gradcheck(factory(), (x,))


@pytest.mark.parametrize("name", sorted(CASES))
def test_finite_at_large_magnitudes(name):
    factory, reference = CASES[name]
    x = tl.tensor([[-1e4, -50.0, 50.0, 1e4]], requires_grad=True)
    out = factory()(x)
    out.sum().backward()
    assert np.isfinite(out.detach().numpy()).all(), out
    assert np.isfinite(x.grad.numpy()).all(), x.grad
    if name not in ("softmax", "log_softmax", "softmin", "glu"):
        with np.errstate(over="ignore", invalid="ignore"):
            expected = reference(np.array([[-1e4, -50.0, 50.0, 1e4]]))
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_limits_of_gradients_far_from_zero():
    x = tl.tensor([-1e4, 1e4], requires_grad=True)
    for fn, expected in [(F.silu, [0, 1]), (F.gelu, [0, 1]), (F.mish, [0, 1]), (F.softplus, [0, 1]),
                         (F.logsigmoid, [1, 0]), (F.elu, [0, 1])]:
        x.grad = None
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-6, err_msg=fn.__name__)


def test_prelu_values_and_gradcheck():
    layer = nn.PReLU(3, init=0.1).double()
    x = tl.tensor(_input((2, 3, 4)), dtype=tl.float64, requires_grad=True)
    w = layer.weight.detach().numpy()
    expected = np.where(x.detach().numpy() > 0, x.detach().numpy(), w[None, :, None] * x.detach().numpy())
    np.testing.assert_allclose(layer(x).detach().numpy(), expected)
    assert gradcheck(F.prelu, (x, layer.weight))
    single = nn.PReLU().double()
    assert gradcheck(F.prelu, (x, single.weight))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        nn.PReLU(2)(tl.randn(2, 3))


def test_inplace_modifies_input_and_keeps_autograd():
    x = tl.tensor([-1.0, 2.0])
    out = nn.ReLU(inplace=True)(x)
    assert out is x and x.tolist() == [0.0, 2.0]
    leaf = tl.tensor([-1.0, 2.0, 0.5], requires_grad=True)
    y = leaf * 2
    F.leaky_relu(y, 0.5, inplace=True)
    assert y.tolist() == [-1.0, 4.0, 1.0]
    y.sum().backward()
    assert leaf.grad.tolist() == [1.0, 2.0, 2.0]


def test_gelu_rejects_unknown_approximation_and_int_input():
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(tl.randn(2), approximate="fast")
    with pytest.raises(RuntimeError, match="floating point"):
        F.silu(tl.tensor([1, 2]))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES) + ["prelu"])
def test_matches_pytorch_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    if name == "prelu":
        ours, theirs = nn.PReLU(3, 0.3).double(), torch.nn.PReLU(3, 0.3).double()
    else:
        ours = CASES[name][0]()
        theirs = eval("torch.nn." + repr(ours))
    assert repr(ours) == repr(theirs)
    x = _input((2, 3, 4))
    a = tl.tensor(x, dtype=tl.float64, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out, ref = ours(a), theirs(b)
    upstream = RNG.standard_normal(tuple(ref.shape))
    out.backward(tl.tensor(upstream, dtype=tl.float64))
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-9)
    if name == "prelu":
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-7)


@pytest.mark.torch
def test_reprs_match_pytorch():
    torch = pytest.importorskip("torch")  # noqa: F841  (used by eval)
    for text in ["ReLU(inplace=True)", "ReLU6(True)", "LeakyReLU(0.2, True)", "ELU(0.5, True)", "GELU('tanh')",
                 "SiLU(True)", "Mish()", "Softplus(2, 10)", "Hardtanh(-2, 2, True)", "Hardsigmoid()",
                 "Hardswish()", "Softmax()", "LogSoftmax(1)", "Softmin(0)", "PReLU(3)", "CELU()", "SELU()"]:
        assert repr(eval("nn." + text)) == repr(eval("torch.nn." + text)), text


def test_gelu_float64_keeps_relative_accuracy_in_the_tail():
    x = np.array([-30.0, -12.0, -6.0, -1.0, -0.3, 0.2, 0.9, 5.0])
    out = F.gelu(tl.tensor(x, dtype=tl.float64)).numpy()
    expected = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(out, expected, rtol=1e-12)
