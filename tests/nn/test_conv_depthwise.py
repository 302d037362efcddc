"""Depthwise conv2d (groups == in_channels): the dedicated kernel of tensorlib/kernels/_depthwise.py against the
grouped-GEMM path of Convolution (the oracle, switched on by disabling the dispatch), float64 gradcheck and
gradgradcheck, and PyTorch parity when torch is installed."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck, gradgradcheck
from tensorlib.kernels import _depthwise

RNG = np.random.default_rng(0)

# (N, C, multiplier, kernel, stride, padding, dilation, bias, H, W)
CASES = [
    (2, 3, 1, 3, 1, 1, 1, True, 6, 7),
    (2, 4, 1, 3, 2, 1, 1, False, 7, 6),
    (3, 2, 2, 3, 2, (1, 2), 1, True, 8, 9),
    (2, 3, 3, (3, 2), (2, 3), (0, 2), (2, 1), True, 10, 11),
    (1, 5, 1, 5, 1, 2, 1, False, 5, 5),
    (2, 4, 1, 1, 2, 0, 1, True, 6, 6),
    (2, 3, 1, 3, 3, 0, 2, False, 9, 9),
    (2, 2, 1, 4, 1, "same", 1, True, 5, 6),  # even kernel: asymmetric padding
    (2, 3, 2, 3, 1, "same", 2, False, 6, 5),
    (2, 3, 1, 3, 1, "valid", 1, True, 5, 5),
]


def t64(*shape):
    return tl.tensor(RNG.standard_normal(shape), dtype=tl.float64, requires_grad=True)


def _inputs(n, c, k, kernel, bias, h, w):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return t64(n, c, h, w), t64(k * c, 1, kh, kw), (t64(k * c) if bias else None)


def _gemm_path(monkeypatch):
    monkeypatch.setattr(_depthwise, "applies", lambda *args: False)


@pytest.mark.parametrize("n,c,k,kernel,stride,padding,dilation,bias,h,w", CASES)
def test_depthwise_matches_grouped_gemm_path(monkeypatch, n, c, k, kernel, stride, padding, dilation, bias, h, w):
    x, weight, b = _inputs(n, c, k, kernel, bias, h, w)
    out = F.conv2d(x, weight, b, stride, padding, dilation, groups=c)
    assert out.grad_fn.depthwise and out.grad_fn.name() == "ConvolutionBackward0"
    grad = tl.tensor(RNG.standard_normal(out.shape), dtype=tl.float64)
    ours = tl.autograd.grad(out, [x, weight] + ([b] if bias else []), grad)
    _gemm_path(monkeypatch)
    ref = F.conv2d(x, weight, b, stride, padding, dilation, groups=c)
    assert not ref.grad_fn.depthwise
    theirs = tl.autograd.grad(ref, [x, weight] + ([b] if bias else []), grad)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,c,k,kernel,stride,padding,dilation,bias,h,w", CASES[:4] + CASES[7:8])
def test_depthwise_gradcheck_and_gradgradcheck(n, c, k, kernel, stride, padding, dilation, bias, h, w):
    x, weight, b = _inputs(n, c, k, kernel, bias, h, w)
    inputs = (x, weight) + ((b,) if bias else ())

    def fn(*a):
        return F.conv2d(a[0], a[1], a[2] if bias else None, stride, padding, dilation, c)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_depthwise_channel_blocks_cover_every_channel(monkeypatch):
    """Several channel blocks with a partial last one give the same result as one block."""
    x, weight, b = _inputs(2, 7, 2, 3, True, 5, 6)
    out = F.conv2d(x, weight, b, 2, 1, groups=7)
    grads = tl.autograd.grad(out.square().sum(), [x, weight, b])
    monkeypatch.setattr(_depthwise, "BLOCK_ELEMENTS", 2 * 2 * 3 * 3 * 3)  # 3 of 7 channels per block
    blocked = F.conv2d(x, weight, b, 2, 1, groups=7)
    np.testing.assert_allclose(blocked.detach().numpy(), out.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, e in zip(tl.autograd.grad(blocked.square().sum(), [x, weight, b]), grads):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)


def test_depthwise_only_the_gradients_asked_for():
    x = tl.tensor(RNG.standard_normal((2, 3, 5, 5)), dtype=tl.float64)
    weight = t64(3, 1, 3, 3)
    out = F.conv2d(x, weight, padding=1, groups=3)
    (gw,) = tl.autograd.grad(out.sum(), [weight])
    # d(sum of outputs)/dw[c, i, j] = sum of the input window slab of offset (i, j) (zero padding)
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.array([[[padded[:, ch, i:i + 5, j:j + 5].sum() for j in range(3)] for i in range(3)]
                         for ch in range(3)])[:, None]
    np.testing.assert_allclose(gw.numpy(), expected, rtol=1e-12)
    assert x.grad is None


def test_depthwise_float32_keeps_dtype_and_layout():
    x = tl.tensor(RNG.standard_normal((4, 6, 8, 8)), dtype=tl.float32)
    weight = tl.tensor(RNG.standard_normal((6, 1, 3, 3)), dtype=tl.float32, requires_grad=True)
    out = F.conv2d(x, weight, padding=1, groups=6)
    assert out.dtype == tl.float32 and out.shape == (4, 6, 8, 8)
    out.sum().backward()
    assert weight.grad.dtype == tl.float32


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("n,c,k,kernel,stride,padding,dilation,bias,h,w", CASES)
def test_depthwise_matches_pytorch(n, c, k, kernel, stride, padding, dilation, bias, h, w):
    torch = pytest.importorskip("torch")
    x, weight, b = _inputs(n, c, k, kernel, bias, h, w)
    out = F.conv2d(x, weight, b, stride, padding, dilation, groups=c)
    grad = RNG.standard_normal(out.shape)
    out.backward(tl.tensor(grad, dtype=tl.float64))
    tx, tw = (torch.tensor(v.detach().numpy(), requires_grad=True) for v in (x, weight))
    tb = torch.tensor(b.detach().numpy(), requires_grad=True) if bias else None
    ref = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups=c)
    ref.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    pairs = [(x, tx), (weight, tw)] + ([(b, tb)] if bias else [])
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-10)
