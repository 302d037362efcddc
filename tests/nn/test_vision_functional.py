"""interpolate / Upsample and unfold / fold: values against naive NumPy references, float64 gradcheck, errors,
and PyTorch parity when torch is installed."""

import math

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck

RNG = np.random.default_rng(2)


def t64(*shape, grad=True):
    return tl.tensor(RNG.standard_normal(shape), dtype=tl.float64, requires_grad=grad)


def naive_bilinear(x, out_hw, align_corners, scale=None):
    """Per output pixel, PyTorch's source coordinate and the 4-neighbour blend."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + tuple(out_hw))

    def source(dst, in_size, out_size, s):
        if align_corners:
            return dst * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
        ratio = in_size / out_size if s is None else 1.0 / s
        return max(ratio * (dst + 0.5) - 0.5, 0.0)

    for i in range(out_hw[0]):
        y = source(i, h, out_hw[0], None if scale is None else scale[0])
        y0 = min(int(math.floor(y)), h - 1)
        y1, ly = min(y0 + 1, h - 1), y - y0
        for j in range(out_hw[1]):
            xx = source(j, w, out_hw[1], None if scale is None else scale[1])
            x0 = min(int(math.floor(xx)), w - 1)
            x1, lx = min(x0 + 1, w - 1), xx - x0
            out[:, :, i, j] = ((1 - ly) * ((1 - lx) * x[:, :, y0, x0] + lx * x[:, :, y0, x1])
                               + ly * ((1 - lx) * x[:, :, y1, x0] + lx * x[:, :, y1, x1]))
    return out


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size,scale", [((8, 10), None), ((3, 2), None), (None, 2), (None, (1.5, 0.7)),
                                        ((1, 1), None)])
def test_bilinear_values_and_gradcheck(size, scale, align_corners):
    x = t64(2, 2, 4, 5)
    out = F.interpolate(x, size=size, scale_factor=scale, mode="bilinear", align_corners=align_corners)
    if size is None:
        factors = (scale, scale) if not isinstance(scale, tuple) else scale
        out_hw = (math.floor(4 * factors[0]), math.floor(5 * factors[1]))
    else:
        factors, out_hw = None, size
    expected = naive_bilinear(x.numpy(), out_hw, align_corners, factors)
    assert out.shape == (2, 2) + tuple(out_hw)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a: F.interpolate(a, size, scale, "bilinear", align_corners), (x,))


@pytest.mark.parametrize("size,scale", [((8, 10), None), ((3, 7), None), (None, 2), (None, 1.7), (None, 0.5)])
def test_nearest_values_and_gradcheck(size, scale):
    x = t64(2, 3, 4, 5)
    out = F.interpolate(x, size=size, scale_factor=scale)
    if size is None:
        out_hw = (math.floor(4 * scale), math.floor(5 * scale))
        ratios = (1 / scale, 1 / scale)
    else:
        out_hw = size
        ratios = (4 / size[0], 5 / size[1])
    rows = np.minimum(np.floor(np.arange(out_hw[0]) * np.float32(ratios[0])).astype(int), 3)
    cols = np.minimum(np.floor(np.arange(out_hw[1]) * np.float32(ratios[1])).astype(int), 4)
    np.testing.assert_array_equal(out.detach().numpy(), x.numpy()[:, :, rows][:, :, :, cols])
    assert gradcheck(lambda a: F.interpolate(a, size, scale), (x,))


def test_linear_and_nearest_1d():
    x = t64(2, 3, 6)
    out = F.interpolate(x, size=9, mode="linear", align_corners=True)
    ref = naive_bilinear(x.numpy()[:, :, None, :], (1, 9), True)[:, :, 0]
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10)
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=1.5, mode="linear"), (x,))
    assert F.interpolate(x, scale_factor=2).shape == (2, 3, 12)
    assert gradcheck(lambda a: F.interpolate(a, size=4, mode="nearest-exact"), (x,))


def test_upsample_module_and_float32():
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert repr(nn.Upsample(size=(4, 4))) == "Upsample(size=(4, 4), mode='nearest')"
    x = tl.randn(2, 3, 5, 5)
    out = up(x)
    assert out.shape == (2, 3, 10, 10) and out.dtype == tl.float32
    np.testing.assert_allclose(nn.UpsamplingNearest2d(scale_factor=2)(x).numpy(),
                               x.numpy().repeat(2, axis=2).repeat(2, axis=3))


def test_area_mode_averages_blocks_and_bicubic_keeps_constants():
    """Area is adaptive average pooling (it used to fall through to linear); bicubic weights sum to one."""
    x = tl.tensor(np.arange(16.0).reshape(1, 1, 4, 4), dtype=tl.float64)
    pooled = F.interpolate(x, size=(2, 2), mode="area").numpy()[0, 0]
    np.testing.assert_allclose(pooled, [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_allclose(F.interpolate(x, size=(3, 3), mode="area").numpy()[0, 0, 0, 0],
                               np.mean([0, 1, 4, 5]))
    flat = F.interpolate(tl.full((1, 2, 5, 3), 3.0), scale_factor=2.7, mode="bicubic").numpy()
    np.testing.assert_allclose(flat, 3.0, rtol=1e-6)
    x = tl.tensor(RNG.standard_normal((1, 2, 4, 5)), dtype=tl.float64, requires_grad=True)
    assert gradcheck(lambda a: F.interpolate(a, size=(7, 3), mode="bicubic"), (x,))
    assert gradcheck(lambda a: F.interpolate(a, size=(3, 2), mode="area"), (x,))


def test_interpolate_errors():
    x = tl.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")


def naive_unfold(x, k, d, p, s):
    n, c, h, w = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((n, c, k[0], k[1], oh * ow))
    for i in range(oh):
        for j in range(ow):
            for a in range(k[0]):
                for b in range(k[1]):
                    cols[:, :, a, b, i * ow + j] = xp_[:, :, i * s[0] + a * d[0], j * s[1] + b * d[1]]
    return cols.reshape(n, -1, oh * ow)


@pytest.mark.parametrize("k,d,p,s", [((2, 2), (1, 1), (0, 0), (1, 1)), ((3, 2), (1, 2), (1, 0), (2, 1)),
                                     ((2, 3), (2, 1), (1, 1), (1, 2))])
def test_unfold_fold_values_and_gradcheck(k, d, p, s):
    x = t64(2, 3, 6, 7)
    cols = F.unfold(x, k, d, p, s)
    expected = naive_unfold(x.numpy(), k, d, p, s)
    np.testing.assert_array_equal(cols.detach().numpy(), expected)
    assert gradcheck(lambda a: F.unfold(a, k, d, p, s), (x,))
    blocks = t64(*expected.shape)
    folded = F.fold(blocks, (6, 7), k, d, p, s)
    # fold is unfold's adjoint: <unfold(x), blocks> == <x, fold(blocks)>
    lhs = float((expected * blocks.numpy()).sum())
    rhs = float((x.numpy() * folded.detach().numpy()).sum())
    assert lhs == pytest.approx(rhs, rel=1e-10)
    assert gradcheck(lambda a: F.fold(a, (6, 7), k, d, p, s), (blocks,))


def test_fold_errors():
    with pytest.raises(RuntimeError, match="expected size of input's dimension 2 to match"):
        F.fold(tl.randn(1, 12, 10), (4, 4), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(tl.randn(1, 10, 9), (4, 4), 2)


# ------------------------------------------------------------------------------------------ PyTorch parity
TORCH_CASES = [
    dict(size=(7, 9), mode="bilinear", align_corners=False),
    dict(size=(7, 9), mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear", align_corners=False),
    dict(scale_factor=(0.6, 2.5), mode="bilinear", align_corners=False),
    dict(scale_factor=1.7, mode="bilinear", align_corners=False, recompute_scale_factor=True),
    dict(size=(7, 3), mode="nearest"),
    dict(scale_factor=2.3, mode="nearest"),
    dict(scale_factor=0.4, mode="nearest-exact"),
    dict(size=(11, 4), mode="bicubic", align_corners=False),
    dict(size=(11, 4), mode="bicubic", align_corners=True),
    dict(scale_factor=(2.5, 0.6), mode="bicubic", align_corners=False),
    dict(size=(3, 4), mode="area"),
    dict(size=(9, 13), mode="area"),
    dict(scale_factor=0.5, mode="area"),
]


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", TORCH_CASES)
def test_interpolate_matches_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    x_np = RNG.standard_normal((2, 3, 5, 6))
    x = tl.tensor(x_np, dtype=tl.float64, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    out, out_t = F.interpolate(x, **kwargs), torch.nn.functional.interpolate(xt, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-6, atol=1e-7)
    upstream = RNG.standard_normal(out_t.shape)
    out.backward(tl.tensor(upstream, dtype=tl.float64))
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.torch
def test_unfold_fold_match_pytorch():
    torch = pytest.importorskip("torch")
    x_np = RNG.standard_normal((2, 3, 7, 8)).astype(np.float32)
    args = dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    ours = F.unfold(tl.tensor(x_np), **args)
    theirs = torch.nn.functional.unfold(torch.tensor(x_np), **args)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_allclose(F.fold(ours, (7, 8), **args).numpy(),
                               torch.nn.functional.fold(theirs, (7, 8), **args).numpy(), rtol=1e-6)
