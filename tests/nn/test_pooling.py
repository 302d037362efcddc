"""Max/avg/adaptive pooling and max_unpool2d: values against naive NumPy loops, float64 gradcheck over a
config matrix, indices, module API, errors, and PyTorch parity when torch is installed."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck
from tensorlib.nn.modules.module import ModuleShapeError

RNG = np.random.default_rng(1)


def t64(*shape, grad=True):
    # a permutation keeps values distinct, so max-pool gradients are well defined for finite differences
    values = RNG.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 1.0
    return tl.tensor(values, dtype=tl.float64, requires_grad=grad)


def out_len(size, k, s, p, d, ceil):
    span = size + 2 * p - d * (k - 1) - 1
    out = -(-span // s) + 1 if ceil else span // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def naive_pool2d(x, k, s, p, d, ceil, kind, count_include_pad=True, divisor_override=None):
    """Direct loops over output positions, following PyTorch's window/divisor definitions."""
    n, c, h, w = x.shape
    oh, ow = out_len(h, k[0], s[0], p[0], d[0], ceil), out_len(w, k[1], s[1], p[1], d[1], ceil)
    out = np.zeros((n, c, oh, ow))
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            rows = [i * s[0] - p[0] + a * d[0] for a in range(k[0])]
            cols = [j * s[1] - p[1] + b * d[1] for b in range(k[1])]
            valid = [(r, q) for r in rows for q in cols if 0 <= r < h and 0 <= q < w]
            vals = np.stack([x[:, :, r, q] for r, q in valid], -1)
            if kind == "max":
                arg = vals.argmax(-1)
                out[:, :, i, j] = vals.max(-1)
                flat = np.array([r * w + q for r, q in valid])
                idx[:, :, i, j] = flat[arg]
            else:
                hs, ws = i * s[0] - p[0], j * s[1] - p[1]
                he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
                size = (he - hs) * (we - ws)
                if not count_include_pad:
                    size = (min(he, h) - max(hs, 0)) * (min(we, w) - max(ws, 0))
                out[:, :, i, j] = vals.sum(-1) / (divisor_override or size)
    return out, idx


MAX_CASES = [
    # (kernel, stride, padding, dilation, ceil_mode, H, W)
    (2, None, 0, 1, False, 6, 8),
    (2, None, 0, 1, False, 7, 5),
    (3, 2, 1, 1, False, 7, 7),
    (3, 2, 1, 1, True, 6, 8),
    ((2, 3), (1, 2), (1, 1), 1, True, 5, 7),
    (3, 1, 1, 2, False, 6, 6),
    (2, 3, 0, 1, True, 8, 7),
]


@pytest.mark.parametrize("k,s,p,d,ceil,h,w", MAX_CASES)
def test_max_pool2d_values_indices_and_gradcheck(k, s, p, d, ceil, h, w):
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    x = t64(2, 3, h, w)
    out, indices = F.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
    expected, expected_idx = naive_pool2d(x.numpy(), pair(k), pair(s if s is not None else k), pair(p), pair(d),
                                          ceil, "max")
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    np.testing.assert_array_equal(indices.numpy(), expected_idx)
    assert indices.dtype == tl.int64
    assert gradcheck(lambda a: F.max_pool2d(a, k, s, p, d, ceil), (x,))


def test_max_pool_ties_send_gradient_to_first_maximum():
    x = tl.ones(1, 1, 2, 4, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(idx.numpy(), [[[[0, 2]]]])
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1, 0, 1, 0], [0, 0, 0, 0]]]])


@pytest.mark.parametrize("k,s,p,h", [(2, 2, 0, 4), (2, 2, 0, 5), (3, 2, 1, 5), (3, 1, 1, 5)])
def test_max_pool_channels_first_memory_ties_and_inf_gradient(k, s, p, h):
    # conv outputs are (N, C, H, W) views of (C, N, H, W) memory, and ReLU makes ties (zeros) common
    data = RNG.integers(0, 2, (3, 2, h, 6)).astype(np.float64)
    x = tl.from_numpy(data).permute(1, 0, 2, 3).detach().requires_grad_()
    out, idx = F.max_pool2d(x, k, s, p, return_indices=True)
    upstream = RNG.standard_normal(out.shape)
    upstream[0, 1, 0, 0] = np.inf
    out.backward(tl.from_numpy(upstream))
    padded = np.pad(x.detach().numpy(), ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    expected_grad = np.zeros(padded.shape)
    for n in range(2):
        for c in range(3):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    window = padded[n, c, i * s:i * s + k, j * s:j * s + k]
                    a, b = divmod(int(np.argmax(window)), k)  # np.argmax picks the first maximum
                    assert out.detach().numpy()[n, c, i, j] == window[a, b]
                    r, q = i * s + a, j * s + b
                    assert idx.numpy()[n, c, i, j] == (r - p) * 6 + (q - p)
                    expected_grad[n, c, r, q] += upstream[n, c, i, j]
    expected_grad = expected_grad[:, :, p:p + h, p:p + 6]
    np.testing.assert_allclose(x.grad.numpy(), expected_grad, rtol=1e-12)  # inf reaches only its argmax
    assert np.isfinite(x.grad.numpy()).sum() == x.grad.numpy().size - 1


AVG_CASES = [
    # (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, H, W)
    (2, None, 0, False, True, None, 6, 8),
    (3, 2, 1, False, True, None, 7, 7),
    (3, 2, 1, False, False, None, 7, 6),
    (3, 2, 1, True, True, None, 6, 8),
    (3, 2, 1, True, False, None, 6, 8),
    ((2, 3), (2, 1), (1, 0), True, False, None, 5, 7),
    (2, 1, 1, False, True, 3, 4, 5),
]


@pytest.mark.parametrize("k,s,p,ceil,cip,div,h,w", AVG_CASES)
def test_avg_pool2d_values_and_gradcheck(k, s, p, ceil, cip, div, h, w):
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    x = t64(2, 2, h, w)
    out = F.avg_pool2d(x, k, s, p, ceil, cip, div)
    expected, _ = naive_pool2d(x.numpy(), pair(k), pair(s if s is not None else k), pair(p), (1, 1), ceil, "avg",
                               cip, div)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda a: F.avg_pool2d(a, k, s, p, ceil, cip, div), (x,))


def test_pool1d_matches_pool2d_with_unit_height():
    x = t64(2, 3, 11)
    out, idx = F.max_pool1d(x, 3, 2, 1, 1, True, True)
    ref, ref_idx = F.max_pool2d(x.unsqueeze(2), (1, 3), (1, 2), (0, 1), 1, True, True)
    np.testing.assert_array_equal(out.detach().numpy(), ref.squeeze(2).detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), ref_idx.squeeze(2).numpy())
    avg = F.avg_pool1d(x, 4, 3, 2, True, False)
    ref_avg = F.avg_pool2d(x.unsqueeze(2), (1, 4), (1, 3), (0, 2), True, False)
    np.testing.assert_allclose(avg.detach().numpy(), ref_avg.squeeze(2).detach().numpy())
    assert gradcheck(lambda a: F.max_pool1d(a, 3, 2, 1), (x,))
    assert gradcheck(lambda a: F.avg_pool1d(a, 3, 2, 1, count_include_pad=False), (x,))


def naive_adaptive(x, out_hw, kind):
    n, c, h, w = x.shape
    out = np.zeros((n, c) + tuple(out_hw))
    idx = np.zeros((n, c) + tuple(out_hw), dtype=np.int64)
    for i in range(out_hw[0]):
        hs, he = (i * h) // out_hw[0], -(-((i + 1) * h) // out_hw[0])
        for j in range(out_hw[1]):
            ws, we = (j * w) // out_hw[1], -(-((j + 1) * w) // out_hw[1])
            block = x[:, :, hs:he, ws:we].reshape(n, c, -1)
            if kind == "avg":
                out[:, :, i, j] = block.mean(-1)
            else:
                arg = block.argmax(-1)
                out[:, :, i, j] = block.max(-1)
                idx[:, :, i, j] = (hs + arg // (we - ws)) * w + ws + arg % (we - ws)
    return out, idx


@pytest.mark.parametrize("h,w,out_hw", [(6, 8, (3, 4)), (7, 5, (3, 2)), (5, 5, (5, 5)), (4, 7, (1, 1)),
                                        (5, 9, (4, 6))])
def test_adaptive_pools_values_indices_and_gradcheck(h, w, out_hw):
    x = t64(2, 2, h, w)
    avg = F.adaptive_avg_pool2d(x, out_hw)
    np.testing.assert_allclose(avg.detach().numpy(), naive_adaptive(x.numpy(), out_hw, "avg")[0], rtol=1e-12)
    mx, idx = F.adaptive_max_pool2d(x, out_hw, return_indices=True)
    expected, expected_idx = naive_adaptive(x.numpy(), out_hw, "max")
    np.testing.assert_array_equal(mx.detach().numpy(), expected)
    np.testing.assert_array_equal(idx.numpy(), expected_idx)
    assert gradcheck(lambda a: F.adaptive_avg_pool2d(a, out_hw), (x,))
    assert gradcheck(lambda a: F.adaptive_max_pool2d(a, out_hw), (x,))


def test_adaptive_pool_none_size_and_1d():
    x = t64(1, 2, 6, 5)
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (1, 2, 6, 2)
    x1 = t64(2, 3, 10)
    out = F.adaptive_avg_pool1d(x1, 4)
    np.testing.assert_allclose(out.detach().numpy(), naive_adaptive(x1.numpy()[:, :, None], (1, 4), "avg")[0][:, :, 0])
    assert gradcheck(lambda a: F.adaptive_avg_pool1d(a, 3), (x1,))


def test_max_unpool2d_inverts_pooling_and_gradcheck():
    x = t64(2, 3, 6, 6)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    restored = F.max_unpool2d(out, idx, 2)
    expected = np.zeros((2, 3, 36))
    np.put_along_axis(expected, idx.numpy().reshape(2, 3, -1), out.detach().numpy().reshape(2, 3, -1), axis=2)
    np.testing.assert_array_equal(restored.detach().numpy(), expected.reshape(2, 3, 6, 6))
    unpool = nn.MaxUnpool2d(2)
    assert unpool(out, idx, output_size=(7, 7)).shape == (2, 3, 7, 7)
    pooled = out.detach().requires_grad_()
    assert gradcheck(lambda a: F.max_unpool2d(a, idx, 2), (pooled,))


def test_float32_in_float32_out_and_unbatched():
    x = tl.randn(3, 8, 8)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 2), F.adaptive_avg_pool2d(x, 3), F.adaptive_max_pool2d(x, 3)):
        assert out.dtype == tl.float32 and out.shape[0] == 3 and out.ndim == 3


def test_modules_repr_and_behaviour():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool1d(3, 2)) == "MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 2, 1)) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.AdaptiveMaxPool2d(2)) == "AdaptiveMaxPool2d(output_size=2)"
    x = tl.randn(2, 3, 8, 8)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert out.shape == (2, 3, 4, 4) and idx.shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, 2, 1, ceil_mode=True)(x).shape == (2, 3, 5, 5)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.AdaptiveMaxPool2d((2, 3), return_indices=True)(x)[1].shape == (2, 3, 2, 3)
    assert nn.AdaptiveAvgPool1d(2)(tl.randn(2, 3, 7)).shape == (2, 3, 2)


def test_errors():
    with pytest.raises(RuntimeError, match=r"Given input size: \(3x2x2\). Calculated output size: \(3x0x0\). "
                                           r"Output size is too small"):
        F.max_pool2d(tl.randn(1, 3, 2, 2), 3)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(tl.randn(1, 3, 8, 8), 2, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.avg_pool2d(tl.randn(1, 3, 8, 8), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D \(batch mode\) tensor"):
        F.max_pool2d(tl.randn(8, 8), 2)
    with pytest.raises(ModuleShapeError, match=r"expected 3D \(unbatched\) or 4D \(batched\) input, got \(8, 8\)"):
        nn.MaxPool2d(2)(tl.randn(8, 8))


# ------------------------------------------------------------------------------------------ PyTorch parity
TORCH_POOLS = [
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 7)),
    ("MaxPool2d", dict(kernel_size=(2, 3), stride=(2, 1), dilation=(2, 1), return_indices=True), (2, 2, 9, 8)),
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1, return_indices=True), (2, 3, 10)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 7)),
    ("AvgPool2d", dict(kernel_size=2, divisor_override=3), (2, 3, 6, 6)),
    ("AvgPool1d", dict(kernel_size=4, stride=3, padding=2, ceil_mode=True), (2, 3, 11)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 5)), (2, 3, 7, 9)),
    ("AdaptiveAvgPool1d", dict(output_size=4), (2, 3, 9)),
    ("AdaptiveMaxPool2d", dict(output_size=(3, 4), return_indices=True), (2, 3, 7, 9)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,kwargs,shape", TORCH_POOLS)
def test_pools_match_pytorch(name, kwargs, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    x_np = RNG.standard_normal(shape)
    x = tl.tensor(x_np, dtype=tl.float64, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    out, out_t = ours(x), theirs(xt)
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(out[1].numpy(), out_t[1].numpy())
        out, out_t = out[0], out_t[0]
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    upstream = RNG.standard_normal(out_t.shape)
    out.backward(tl.tensor(upstream, dtype=tl.float64))
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)
