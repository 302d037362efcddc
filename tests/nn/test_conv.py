"""Conv1d / Conv2d / ConvTranspose2d: values against naive NumPy loops, float64 gradcheck over a config
matrix, module API (shapes, init, repr, errors), and PyTorch parity when torch is installed."""

import math

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck
from tensorlib.kernels.conv import BATCH_LAST_MIN_BATCH, ROWS_MAX_WIDENING
from tensorlib.nn.modules.module import ModuleShapeError

RNG = np.random.default_rng(0)


def t64(*shape, grad=True):
    return tl.tensor(RNG.standard_normal(shape), dtype=tl.float64, requires_grad=grad)


def naive_conv2d(x, w, b, stride, pads, dilation, groups):
    """Direct loops over output positions; pads = ((top, bottom), (left, right))."""
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    oh = (xp_.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp_.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, oc, oh, ow))
    ocg = oc // groups
    for i in range(oh):
        for j in range(ow):
            rows = i * stride[0] + dilation[0] * np.arange(kh)
            cols = j * stride[1] + dilation[1] * np.arange(kw)
            patch = xp_[:, :, rows][:, :, :, cols]  # (N, C, KH, KW)
            for g in range(groups):
                out[:, g * ocg:(g + 1) * ocg, i, j] = np.einsum(
                    "nckl,ockl->no", patch[:, g * cg:(g + 1) * cg], w[g * ocg:(g + 1) * ocg])
    return out + (0 if b is None else b[None, :, None, None])


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter every input pixel times the kernel into the output (the definition)."""
    n, cin, h, wd = x.shape
    _, ocg, kh, kw = w.shape
    cg = cin // groups
    full_h = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
    full_w = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
    out = np.zeros((n, ocg * groups, full_h, full_w))
    for i in range(h):
        for j in range(wd):
            for g in range(groups):
                contrib = np.einsum("nc,cokl->nokl", x[:, g * cg:(g + 1) * cg, i, j], w[g * cg:(g + 1) * cg])
                for a in range(kh):
                    for bb in range(kw):
                        out[:, g * ocg:(g + 1) * ocg, i * stride[0] + a * dilation[0],
                            j * stride[1] + bb * dilation[1]] += contrib[:, :, a, bb]
    oh = full_h - 2 * padding[0]
    ow = full_w - 2 * padding[1]
    out = out[:, :, padding[0]:padding[0] + oh, padding[1]:padding[1] + ow]
    return out + (0 if b is None else b[None, :, None, None])


CONV2D_CASES = [
    # (C, OC, k, stride, padding, dilation, groups, bias, H, W)
    (3, 4, 3, 1, 0, 1, 1, True, 6, 7),
    (3, 4, 3, 2, 1, 1, 1, True, 7, 6),
    (2, 3, (2, 3), (2, 1), (1, 0), 1, 1, False, 5, 6),
    (4, 6, 3, 1, 2, 2, 2, True, 6, 6),
    (4, 4, 3, 1, 1, 1, 4, False, 5, 5),
    (3, 2, 4, 1, "same", 1, 1, True, 5, 6),
    (3, 2, 3, 1, "same", 2, 1, False, 6, 5),
    (2, 2, 3, 1, "valid", 1, 1, True, 5, 5),
    # wide images take the full-width-rows path (grad_input by col2im, or by the flipped-kernel convolution)
    (3, 4, 3, 1, 1, 1, 1, True, 3, 16),
    (4, 4, 3, 1, 1, 1, 2, False, 3, 16),
    (3, 2, 3, 1, "same", 2, 1, True, 4, 16),
    (3, 2, 4, 1, "same", 1, 1, True, 3, 16),
]


@pytest.mark.parametrize("c,oc,k,stride,padding,dilation,groups,bias,h,w", CONV2D_CASES)
def test_conv2d_values_and_gradcheck(c, oc, k, stride, padding, dilation, groups, bias, h, w):
    kh, kw = (k, k) if isinstance(k, int) else k
    x = t64(2, c, h, w)
    weight = t64(oc, c // groups, kh, kw)
    b = t64(oc) if bias else None
    out = F.conv2d(x, weight, b, stride, padding, dilation, groups)
    s = (stride, stride) if isinstance(stride, int) else stride
    d = (dilation, dilation)
    if padding == "same":
        pads = tuple((d_ * (k_ - 1) // 2, d_ * (k_ - 1) - d_ * (k_ - 1) // 2) for d_, k_ in zip(d, (kh, kw)))
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        p = (padding, padding) if isinstance(padding, int) else padding
        pads = ((p[0], p[0]), (p[1], p[1]))
    padded_w = w + sum(pads[1])
    expects_rows = s == (1, 1) and padded_w <= ROWS_MAX_WIDENING * out.shape[3]
    assert out.grad_fn.depthwise == (groups == c > 1)  # depthwise layers go to kernels/_depthwise.py
    assert getattr(out.grad_fn, "rows", False) == expects_rows
    if w == 16:
        assert expects_rows
    expected = naive_conv2d(x.numpy(), weight.numpy(), None if b is None else b.numpy(), s, pads, d, groups)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    if padding == "same":
        assert out.shape[2:] == (h, w)
    inputs = (x, weight) + ((b,) if bias else ())
    assert gradcheck(lambda *a: F.conv2d(a[0], a[1], a[2] if bias else None, stride, padding, dilation, groups),
                     inputs)


BATCH_LAST_CASES = [
    # (C, OC, k, stride, padding, dilation, groups, H, W): narrow outputs with a batch of BATCH_LAST_MIN_BATCH
    (2, 3, 3, 1, 0, 1, 1, 6, 7),
    (4, 4, 3, 2, 1, 1, 2, 7, 6),  # grouped, not depthwise (that is kernels/_depthwise.py)
    (3, 2, (2, 3), (2, 1), (1, 0), 2, 1, 7, 8),
]


@pytest.mark.parametrize("c,oc,k,stride,padding,dilation,groups,h,w", BATCH_LAST_CASES)
def test_conv2d_batch_last_path_values_and_gradcheck(c, oc, k, stride, padding, dilation, groups, h, w):
    kh, kw = (k, k) if isinstance(k, int) else k
    x = t64(BATCH_LAST_MIN_BATCH, c, h, w)
    weight = t64(oc, c // groups, kh, kw)
    b = t64(oc)
    out = F.conv2d(x, weight, b, stride, padding, dilation, groups)
    assert out.grad_fn.batch_last and not out.grad_fn.rows
    s = (stride, stride) if isinstance(stride, int) else stride
    p = (padding, padding) if isinstance(padding, int) else padding
    pads = ((p[0], p[0]), (p[1], p[1]))
    expected = naive_conv2d(x.numpy(), weight.numpy(), b.numpy(), s, pads, (dilation, dilation), groups)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    # the result keeps the channels-first memory layout the next layers expect
    assert out.numpy().transpose(1, 0, 2, 3).flags.c_contiguous
    assert gradcheck(lambda *a: F.conv2d(a[0], a[1], a[2], stride, padding, dilation, groups), (x, weight, b))


def test_conv2d_float32_stays_float32_and_unbatched_input():
    x = tl.randn(3, 8, 8)
    weight = tl.randn(5, 3, 3, 3)
    out = F.conv2d(x, weight, padding=1)
    assert out.dtype == tl.float32 and out.shape == (5, 8, 8)
    batched = F.conv2d(x.unsqueeze(0), weight, padding=1)
    np.testing.assert_allclose(out.numpy(), batched.numpy()[0], rtol=1e-6)


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, "same", 2, 2),
                                                            (3, 2, 1, 2)])
def test_conv1d_matches_conv2d_with_unit_height_and_gradcheck(stride, padding, dilation, groups):
    x = t64(2, 4, 9)
    weight = t64(6, 4 // groups, 3)
    b = t64(6)
    out = F.conv1d(x, weight, b, stride, padding, dilation, groups)
    pad2 = padding if isinstance(padding, str) else (0, padding)
    ref = F.conv2d(x.unsqueeze(2), weight.unsqueeze(2), b, (1, stride), pad2, (1, dilation), groups).squeeze(2)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)
    assert gradcheck(lambda a, w_, b_: F.conv1d(a, w_, b_, stride, padding, dilation, groups), (x, weight, b))


TRANSPOSE_CASES = [
    # (C, OC, k, stride, padding, output_padding, groups, dilation, bias)
    (3, 2, 3, 1, 0, 0, 1, 1, True),
    (2, 4, 3, 2, 1, 1, 1, 1, True),
    (4, 2, (2, 3), (2, 3), (0, 1), (1, 2), 2, 1, False),
    (2, 2, 3, 2, 1, 0, 1, 2, True),
]


@pytest.mark.parametrize("c,oc,k,stride,padding,output_padding,groups,dilation,bias", TRANSPOSE_CASES)
def test_conv_transpose2d_values_and_gradcheck(c, oc, k, stride, padding, output_padding, groups, dilation, bias):
    kh, kw = (k, k) if isinstance(k, int) else k
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    x = t64(2, c, 4, 3)
    weight = t64(c, oc // groups, kh, kw)
    b = t64(oc) if bias else None
    out = F.conv_transpose2d(x, weight, b, stride, padding, output_padding, groups, dilation)
    expected = naive_conv_transpose2d(x.numpy(), weight.numpy(), None if b is None else b.numpy(), pair(stride),
                                      pair(padding), pair(output_padding), groups, pair(dilation))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    inputs = (x, weight) + ((b,) if bias else ())
    assert gradcheck(lambda *a: F.conv_transpose2d(a[0], a[1], a[2] if bias else None, stride, padding,
                                                   output_padding, groups, dilation), inputs)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    x = t64(2, 3, 7, 7, grad=False)
    y = t64(2, 5, 4, 4, grad=False)
    weight = t64(5, 3, 3, 3, grad=False)
    lhs = (F.conv2d(x, weight, stride=2, padding=1) * y).sum().item()
    rhs = (x * F.conv_transpose2d(y, weight, stride=2, padding=1)).sum().item()
    assert lhs == pytest.approx(rhs, rel=1e-10)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_values_and_gradcheck(mode):
    conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    x = t64(1, 2, 4, 5)
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (2, 2)), mode=np_mode)
    expected = naive_conv2d(padded, conv.weight.detach().numpy(), conv.bias.detach().numpy(), (1, 1),
                            ((0, 0), (0, 0)), (1, 1), 1)
    np.testing.assert_allclose(conv(x).detach().numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a: conv(a), (x,))
    conv1 = nn.Conv1d(2, 2, 4, padding="same", padding_mode=mode).double()
    x1 = t64(1, 2, 6)
    assert conv1(x1).shape == (1, 2, 6)
    assert gradcheck(lambda a: conv1(a), (x1,))


def test_module_shapes_state_dict_and_repr():
    conv = nn.Conv2d(3, 16, 3, padding=1)
    assert repr(conv) == "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert conv.weight.shape == (16, 3, 3, 3) and conv.bias.shape == (16,)
    assert conv.weight.dtype == tl.float32
    grouped = nn.Conv2d(4, 8, (3, 5), stride=2, dilation=2, groups=2, bias=False, padding_mode="circular")
    assert grouped.weight.shape == (8, 2, 3, 5) and grouped.bias is None
    assert repr(grouped) == ("Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), dilation=(2, 2), groups=2, "
                             "bias=False, padding_mode=circular)")
    assert repr(nn.Conv1d(2, 3, 5, padding="same")) == "Conv1d(2, 3, kernel_size=(5,), stride=(1,), padding=same)"
    transposed = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert transposed.weight.shape == (6, 2, 3, 3)
    assert repr(transposed) == ("ConvTranspose2d(6, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                                "output_padding=(1, 1), groups=2)")
    assert transposed(tl.randn(1, 6, 5, 5)).shape == (1, 4, 10, 10)
    assert transposed(tl.randn(1, 6, 5, 5), output_size=(9, 9)).shape == (1, 4, 9, 9)


def test_default_init_is_pytorch_kaiming_uniform_bound():
    tl.manual_seed(0)
    conv = nn.Conv2d(8, 32, 3)
    bound = 1 / math.sqrt(8 * 9)
    w = conv.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    transposed = nn.ConvTranspose2d(8, 4, 3)
    assert np.abs(transposed.weight.detach().numpy()).max() <= 1 / math.sqrt(4 * 9)
    tl.manual_seed(0)
    again = nn.Conv2d(8, 32, 3)
    np.testing.assert_array_equal(again.weight.detach().numpy(), w)


def test_bad_input_errors():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ModuleShapeError, match=r"expected input with 3 channels, got \(2, 4, 8, 8\)"):
        conv(tl.randn(2, 4, 8, 8))
    with pytest.raises(ModuleShapeError, match=r"expected 3D \(unbatched\) or 4D \(batched\) input, got \(8, 8\)"):
        conv(tl.randn(8, 8))
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(3, 4, 3))
    with pytest.raises(RuntimeError, match=r"^1 \(Conv2d\(3, 4.*expected input with 3 channels, got \(1, 2, 6, 6\)"):
        model(tl.randn(1, 1, 8, 8))
    with pytest.raises(RuntimeError, match="expected input\\[1, 4, 5, 5\\] to have 3 channels, but got 4"):
        F.conv2d(tl.randn(1, 4, 5, 5), tl.randn(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(tl.randn(1, 3, 2, 2), tl.randn(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"Input type \(double\) and weight type \(float\)"):
        F.conv2d(tl.randn(1, 3, 5, 5, dtype=tl.float64), tl.randn(2, 3, 3, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")


# ------------------------------------------------------------------------------------------ PyTorch parity
TORCH_LAYERS = [
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1), (2, 4, 9, 8)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=(2, 3), padding="same", dilation=2, groups=2),
     (2, 4, 7, 7)),
    ("Conv2d", dict(in_channels=3, out_channels=3, kernel_size=3, padding=2, padding_mode="reflect", bias=False),
     (2, 3, 6, 6)),
    ("Conv2d", dict(in_channels=3, out_channels=2, kernel_size=3, padding=1, padding_mode="replicate"), (1, 3, 5, 6)),
    ("Conv2d", dict(in_channels=3, out_channels=2, kernel_size=3, padding=(1, 2), padding_mode="circular"),
     (1, 3, 5, 6)),
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=4, padding="same"), (2, 3, 10)),
    ("Conv1d", dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, dilation=2, groups=2), (2, 4, 11)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1,
                             groups=2), (2, 4, 5, 4)),
    ("ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=(3, 2), stride=(1, 2), dilation=2,
                             bias=False), (1, 3, 4, 5)),
]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("name,kwargs,shape", TORCH_LAYERS)
def test_layers_match_pytorch(name, kwargs, shape):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(**kwargs).double()
    theirs = getattr(torch.nn, name)(**kwargs).double()
    assert repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x_np = RNG.standard_normal(shape)
    x = tl.tensor(x_np, dtype=tl.float64, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    out, out_t = ours(x), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = RNG.standard_normal(out_t.shape)
    out.backward(tl.tensor(upstream, dtype=tl.float64))
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (key, p), p_t in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), p_t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.torch
def test_float32_conv_matches_pytorch_and_init_distribution():
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(16, 32, 3, padding=1)
    theirs = torch.nn.Conv2d(16, 32, 3, padding=1)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x_np = RNG.standard_normal((4, 16, 12, 12)).astype(np.float32)
    out = ours(tl.tensor(x_np))
    assert out.dtype == tl.float32
    np.testing.assert_allclose(out.detach().numpy(), theirs(torch.tensor(x_np)).detach().numpy(), rtol=1e-4,
                               atol=1e-4)
    fresh = torch.nn.Conv2d(16, 32, 3)
    assert abs(fresh.weight.detach().numpy().std() - ours.weight.detach().numpy().std()) < 0.005


def test_batch_chunking_matches_single_chunk(monkeypatch):
    import tensorlib.kernels.conv as conv_ops

    x = t64(5, 3, 4, 12)
    weight = t64(4, 3, 3, 3)
    out = F.conv2d(x, weight, padding=1)
    assert out.grad_fn.rows
    out.backward(tl.ones_like(out))
    grads = (x.grad.numpy().copy(), weight.grad.numpy().copy())
    x.grad = weight.grad = None
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 1)  # one image per chunk, scratch buffers reused
    chunked = F.conv2d(x, weight, padding=1)
    chunked.backward(tl.ones_like(chunked))
    np.testing.assert_allclose(chunked.detach().numpy(), out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), grads[0], rtol=1e-12)
    np.testing.assert_allclose(weight.grad.numpy(), grads[1], rtol=1e-12)


def _reference_conv(x, w, padding):
    return naive_conv2d(x.detach().numpy(), w.detach().numpy(), None, (1, 1), ((padding,) * 2,) * 2, (1, 1), 1)


def test_stride1_layers_of_one_geometry_share_a_plan_but_not_weights_or_outputs():
    import tensorlib.kernels.conv as conv_ops

    x = t64(3, 4, 12, 12)
    w1, w2 = t64(4, 4, 3, 3), t64(4, 4, 3, 3)
    first = F.conv2d(x, w1, padding=1)
    second = F.conv2d(first, w2, padding=1)  # the same sizes: the same plan, reloaded with w2
    assert first.grad_fn.rows and second.grad_fn.rows  # the stride-1 path that runs plans
    plans = conv_ops._plans_local.plans
    assert len([key for key in plans if key[0] == (3, 4, 12, 12) and key[4] == (4, 4, 3, 3)]) == 1
    # the first output is its own array: the second run (and backward's grad_input run) did not overwrite it
    np.testing.assert_allclose(first.detach().numpy(), _reference_conv(x, w1, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(second.detach().numpy(), _reference_conv(first, w2, 1), rtol=1e-12, atol=1e-12)
    second.sum().backward()
    np.testing.assert_allclose(first.detach().numpy(), _reference_conv(x, w1, 1), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w1, w2: F.conv2d(F.conv2d(x, w1, padding=1), w2, padding=1), (x, w1, w2))


def test_a_plan_too_large_to_keep_is_used_once_and_dropped(monkeypatch):
    import tensorlib.kernels.conv as conv_ops

    x, w = t64(2, 3, 12, 12, grad=False), t64(5, 3, 3, 3, grad=False)
    monkeypatch.setattr(conv_ops, "MAX_PLAN_BYTES", 2 * 5 * 14 * 14 * 8 - 1)  # one byte less than its output
    conv_ops._plans_local.__dict__.clear()
    out = F.conv2d(x, w, padding=1)
    np.testing.assert_allclose(out.numpy(), _reference_conv(x, w, 1), rtol=1e-12, atol=1e-12)
    assert conv_ops._plans_local.plans == {}
    monkeypatch.setattr(conv_ops, "MAX_PLAN_BYTES", 2 * 5 * 14 * 14 * 8)
    F.conv2d(x, w, padding=1)
    assert len(conv_ops._plans_local.plans) == 1
    conv_ops._plans_local.__dict__.clear()


def test_each_thread_runs_its_own_plans():
    import threading

    import tensorlib.kernels.conv as conv_ops

    x = t64(4, 3, 9, 9, grad=False)
    weights = [t64(6, 3, 3, 3, grad=False) for _ in range(2)]
    results, plans = [None, None], [None, None]
    start = threading.Barrier(2)

    def train(k):
        start.wait()
        for _ in range(20):  # both threads in the same geometry at the same time
            results[k] = F.conv2d(x, weights[k], padding=1).numpy()
        plans[k] = dict(conv_ops._plans_local.plans)

    threads = [threading.Thread(target=train, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in range(2):
        np.testing.assert_allclose(results[k], _reference_conv(x, weights[k], 1), rtol=1e-12, atol=1e-12)
    assert set(plans[0]) == set(plans[1]) and all(plans[0][key] is not plans[1][key] for key in plans[0])


@pytest.mark.parametrize("groups", [1, 2])
def test_pointwise_conv_gradients_with_wide_outputs_and_channels_first_input(groups):
    # an unpadded 1x1 convolution (MobileNet's expansions: out channels > 2x in) is its own window matrix; its
    # input here is channels-first in memory, as a convolution's or batch norm's output is
    raw = RNG.standard_normal((4, 3, 5, 6))  # (C, N, H, W)
    x = tl.tensor(raw, dtype=tl.float64).permute(1, 0, 2, 3).detach().requires_grad_()
    w, b = t64(12, 4 // groups, 1, 1), t64(12)
    y = F.conv2d(x, w, b, groups=groups)
    assert y.grad_fn.rows
    np.testing.assert_allclose(y.detach().numpy(), naive_conv2d(x.detach().numpy(), w.detach().numpy(),
                                                                b.detach().numpy(), (1, 1), ((0, 0), (0, 0)),
                                                                (1, 1), groups), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, groups=groups), (x, w, b))


@pytest.mark.parametrize("groups, dilation", [(1, 1), (2, 2)])
def test_wide_stride1_layers_take_grad_weight_from_batch_innermost_windows(groups, dilation):
    import tensorlib.kernels.conv as conv_ops

    # more than OFFSET_GRAD_MAX_PRODUCT input x output channels, small images: the batch-innermost path
    n, c, oc, size = conv_ops.BATCH_LAST_MIN_BATCH, 34, 34, 8 * dilation  # full-width rows widen it by <= 1.25
    assert c * oc > conv_ops.OFFSET_GRAD_MAX_PRODUCT and size <= conv_ops.BATCH_LAST_GRAD_MAX_WIDTH
    x, w, b = t64(n, c, size, size), t64(oc, c // groups, 3, 3), t64(oc)
    y = F.conv2d(x, w, b, padding=dilation, dilation=dilation, groups=groups)
    assert y.grad_fn.rows
    gy = RNG.standard_normal(tuple(y.shape))
    y.backward(tl.tensor(gy, dtype=tl.float64))
    # grad_weight[o, c, i, j] = sum over images and positions of gy * the input window of offset (i, j)
    pad = np.pad(x.detach().numpy(), ((0, 0), (0, 0), (dilation, dilation), (dilation, dilation)))
    cg, og = c // groups, oc // groups
    expected = np.zeros(w.shape)
    for gi in range(groups):
        for i in range(3):
            for j in range(3):
                rows, cols = slice(i * dilation, i * dilation + size), slice(j * dilation, j * dilation + size)
                window = pad[:, gi * cg:(gi + 1) * cg, rows, cols]
                expected[gi * og:(gi + 1) * og, :, i, j] = np.einsum("nohw,nchw->oc", gy[:, gi * og:(gi + 1) * og],
                                                                     window)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), gy.sum(axis=(0, 2, 3)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k, stride, padding", [(1, 2, 0), (2, 2, 0), (3, 2, 1), (1, 3, 1)])
def test_strided_conv_backward_with_channels_first_gradient(k, stride, padding):
    # a gradient in (OC, N, OH, OW) memory (batch norm's, after a convolution) is read in place, and windows that
    # never overlap (stride >= kernel) assign their grad_input instead of adding it: both must match the
    # ordinary path (a batch-major gradient) and the numeric gradient
    x, w = t64(3, 4, 7, 8), t64(5, 4, k, k)
    y = F.conv2d(x, w, stride=stride, padding=padding)
    assert not y.grad_fn.rows and not y.grad_fn.batch_last
    upstream = RNG.standard_normal(tuple(y.shape))
    grads = []
    for g in (upstream, np.ascontiguousarray(upstream.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)):
        x.grad = w.grad = None
        F.conv2d(x, w, stride=stride, padding=padding).backward(tl.tensor(g))
        grads.append((x.grad.numpy().copy(), w.grad.numpy().copy()))
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), (x, w))
