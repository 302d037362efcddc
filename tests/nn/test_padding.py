"""F.pad and the padding layers: every mode against numpy.pad, any number of dims, negative padding (crop),
float64 gradcheck, errors, and PyTorch parity (values, gradients, repr)."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck
from tensorlib.nn.modules.module import ModuleShapeError

RNG = np.random.default_rng(0)
NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def numpy_pad(x, pad, mode, value=0.0):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode=NP_MODE[mode])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (2, 0, 1, 3), (1, 1, 0, 2, 2, 1), (0, 1, 1, 0, 1, 1, 0, 1)])
def test_pad_matches_numpy_for_any_number_of_dims(mode, pad):
    x = RNG.standard_normal((3, 4, 5, 4))
    out = F.pad(tl.tensor(x, dtype=tl.float64), pad, mode=mode)
    np.testing.assert_array_equal(out.numpy(), numpy_pad(x, pad, mode))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(mode):
    x = tl.tensor(RNG.standard_normal((2, 3, 4)), dtype=tl.float64, requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), (x,))
    assert gradcheck(lambda x: F.pad(x, (-1, 2, 1, -1), mode=mode), (x,))


def test_constant_value_and_negative_padding_crops():
    x = tl.arange(12.0).reshape(3, 4)
    out = F.pad(x, (1, 0), value=-5.0)
    assert out[:, 0].tolist() == [-5.0, -5.0, -5.0]
    cropped = F.pad(x, (-1, -1, 0, -1))
    assert cropped.tolist() == [[1.0, 2.0], [5.0, 6.0]]
    mixed = F.pad(x, (2, -2), mode="replicate")
    np.testing.assert_array_equal(mixed.numpy(), numpy_pad(x.numpy(), (2, 0), "replicate")[:, :4])
    assert F.pad(x, (1, 1)).dtype == tl.float32


def test_pad_errors():
    x = tl.randn(1, 2, 3)
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="negative output size"):
        F.pad(x, (-2, -2))
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode"):
        F.pad(x, (1, 1), mode="symmetric")


def test_padding_layers_shapes_and_checks():
    x = tl.randn(2, 3, 4, 5)
    assert nn.ZeroPad2d(1)(x).shape == (2, 3, 6, 7)
    assert nn.ZeroPad2d((1, 2, 3, 4))(x).shape == (2, 3, 11, 8)
    assert nn.ReflectionPad2d(2)(x).shape == (2, 3, 8, 9)
    assert nn.ReplicationPad2d((1, 0, 0, 1))(x[0]).shape == (3, 5, 6)
    assert nn.ConstantPad1d(2, 3.5)(tl.randn(2, 3)).tolist()[0][:2] == [3.5, 3.5]
    with pytest.raises(ModuleShapeError, match="expected 3D or 4D input"):
        nn.ReflectionPad2d(1)(tl.randn(4, 5))


@pytest.mark.torch
@pytest.mark.parametrize("text", ["ZeroPad2d((1, 2, 0, 3))", "ConstantPad1d(2, 1.5)",
                                  "ConstantPad2d((1, 0, 2, 1), -1.0)", "ReflectionPad2d(2)",
                                  "ReplicationPad2d((1, 2, 3, 0))", "CircularPad2d(1)",
                                  "ReflectionPad1d((2, 1))", "ReplicationPad3d(1)"])
def test_padding_layers_match_pytorch(text):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + text), eval("torch.nn." + text)
    assert repr(ours) == repr(theirs)
    shape = {"1d": (2, 3, 5), "2d": (2, 3, 4, 5), "3d": (1, 2, 3, 4, 5)}[text.split("(")[0][-2:]]
    x = RNG.standard_normal(shape)
    a = tl.tensor(x, dtype=tl.float64, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out, ref = ours(a), theirs(b)
    upstream = RNG.standard_normal(tuple(ref.shape))
    out.backward(tl.tensor(upstream, dtype=tl.float64))
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
