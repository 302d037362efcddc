"""Linear / Bilinear / Identity / Flatten / Unflatten: values, default init, float64 gradcheck, shape errors,
and parity with PyTorch (outputs, gradients, state_dict keys, repr) when torch is installed."""

import math

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck
from tensorlib.nn.modules.module import ModuleShapeError

RNG = np.random.default_rng(0)


def t64(*shape, grad=True):
    return tl.tensor(RNG.standard_normal(shape), dtype=tl.float64, requires_grad=grad)


def test_linear_forward_matches_numpy_for_any_leading_dims():
    layer = nn.Linear(5, 3)
    x = tl.randn(2, 4, 5)
    expected = x.numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    out = layer(x)
    assert out.shape == (2, 4, 3) and out.dtype == tl.float32
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer(tl.randn(5)).shape == (3,)


def test_linear_without_bias_registers_none():
    layer = nn.Linear(4, 2, bias=False)
    assert layer.bias is None
    assert list(dict(layer.named_parameters())) == ["weight"]
    assert list(layer.state_dict()) == ["weight"]


def test_linear_default_init_bounds_and_spread():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # uniform on [-bound, bound]: std = bound / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(w).max() > 0.99 * bound
    assert layer.weight.dtype == tl.float32 and layer.weight.requires_grad


def test_linear_dtype_argument_and_double():
    assert nn.Linear(2, 3, dtype=tl.float64).weight.dtype == tl.float64
    assert nn.Linear(2, 3).double().bias.dtype == tl.float64


def test_linear_gradcheck_float64():
    layer = nn.Linear(4, 3).double()
    x = t64(2, 4)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, layer.weight, layer.bias))
    assert gradcheck(lambda x, w: F.linear(x, w), (t64(2, 3, 4), layer.weight))


def test_linear_wrong_features_names_layer_and_shape():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(16, 2))
    with pytest.raises(ModuleShapeError) as info:
        model(tl.randn(3, 4))
    message = str(info.value)
    assert message.startswith("2 (Linear(in_features=16, out_features=2, bias=True))")
    assert "expected input with 16 features in the last dim, got (3, 8)" in message
    assert isinstance(info.value, RuntimeError)


def test_functional_linear_errors():
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(2x3 and 4x5\)"):
        F.linear(tl.randn(2, 3), tl.randn(5, 4))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(tl.randn(2, 4), tl.randn(5, 4, dtype=tl.float64))


def test_bilinear_values_and_gradcheck():
    layer = nn.Bilinear(3, 4, 2).double()
    x1, x2 = t64(5, 3), t64(5, 4)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    expected = np.einsum("ni,oij,nj->no", x1.detach().numpy(), w, x2.detach().numpy()) + b
    np.testing.assert_allclose(layer(x1, x2).detach().numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a, c, w, b: F.bilinear(a, c, w, b), (x1, x2, layer.weight, layer.bias))
    assert layer(t64(2, 3, 3), t64(2, 3, 4)).shape == (2, 3, 2)
    bound = 1 / math.sqrt(3)
    assert np.abs(nn.Bilinear(3, 4, 50).weight.detach().numpy()).max() <= bound


def test_bilinear_shape_error():
    with pytest.raises(ModuleShapeError, match="expected input2 with 4 features"):
        nn.Bilinear(3, 4, 2)(tl.randn(2, 3), tl.randn(2, 5))


def test_identity_flatten_unflatten():
    x = tl.randn(2, 3, 4, 5)
    assert nn.Identity(7, foo=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    y = t64(2, 6)
    assert gradcheck(lambda y: nn.Unflatten(1, (2, 3))(y), (y,))


@pytest.mark.torch
def test_linear_and_bilinear_match_pytorch():
    torch = pytest.importorskip("torch")
    for ours, theirs, args in [
        (nn.Linear(6, 4), torch.nn.Linear(6, 4), 1),
        (nn.Linear(6, 4, bias=False), torch.nn.Linear(6, 4, bias=False), 1),
        (nn.Bilinear(3, 5, 4), torch.nn.Bilinear(3, 5, 4), 2),
    ]:
        ours.double()
        theirs.double()
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert repr(ours) == repr(theirs)
        ours.load_state_dict({k: tl.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        inputs = [RNG.standard_normal((2, 3, ours.weight.shape[1 + i])) for i in range(args)]
        tl_in = [tl.tensor(a, dtype=tl.float64, requires_grad=True) for a in inputs]
        pt_in = [torch.tensor(a, requires_grad=True) for a in inputs]
        out, ref = ours(*tl_in), theirs(*pt_in)
        upstream = RNG.standard_normal(tuple(ref.shape))
        out.backward(tl.tensor(upstream, dtype=tl.float64))
        ref.backward(torch.tensor(upstream))
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
        for a, b in zip(tl_in, pt_in):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.torch
def test_flatten_unflatten_identity_repr_match_pytorch():
    torch = pytest.importorskip("torch")
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())
    assert repr(nn.Unflatten(1, (2, 3))) == repr(torch.nn.Unflatten(1, (2, 3)))
    assert repr(nn.Identity()) == repr(torch.nn.Identity())


def test_normalize_cosine_similarity_pairwise_distance():
    a = RNG.standard_normal((4, 5))
    b = RNG.standard_normal((4, 5))
    x, y = tl.tensor(a, dtype=tl.float64, requires_grad=True), tl.tensor(b, dtype=tl.float64, requires_grad=True)
    np.testing.assert_allclose(F.normalize(x).detach().numpy(),
                               a / np.linalg.norm(a, axis=1, keepdims=True))
    np.testing.assert_allclose(F.normalize(x, p=1, dim=0).detach().numpy(), a / np.abs(a).sum(0))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(F.cosine_similarity(x, y).detach().numpy(), cos)
    np.testing.assert_allclose(F.pairwise_distance(x, y).detach().numpy(), np.linalg.norm(a - b + 1e-6, axis=1))
    assert F.pairwise_distance(x, y, keepdim=True).shape == (4, 1)
    assert gradcheck(lambda x, y: F.cosine_similarity(x, y), (x, y))
    assert gradcheck(lambda x: F.normalize(x, dim=-1), (x,))
    assert gradcheck(lambda x, y: F.pairwise_distance(x, y, p=3.0), (x, y))
    assert F.normalize(tl.zeros(2, 3)).tolist() == [[0.0] * 3] * 2


@pytest.mark.torch
def test_similarity_functions_match_pytorch():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    a, b = RNG.standard_normal((3, 6)), RNG.standard_normal((3, 6))
    x, y = tl.tensor(a, dtype=tl.float64), tl.tensor(b, dtype=tl.float64)
    tx, ty = torch.tensor(a), torch.tensor(b)
    np.testing.assert_allclose(F.normalize(x, p=3, dim=0).numpy(), TF.normalize(tx, p=3, dim=0).numpy())
    np.testing.assert_allclose(F.cosine_similarity(x, y, dim=1).numpy(), TF.cosine_similarity(tx, ty).numpy())
    np.testing.assert_allclose(F.pairwise_distance(x, y, p=1.0).numpy(), TF.pairwise_distance(tx, ty, p=1.0).numpy())
