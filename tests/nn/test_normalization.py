"""Normalization layers: NumPy references, float64 gradcheck, running statistics, eval mode, state_dict keys
and bad input."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck
from tensorlib.nn.modules.module import ModuleShapeError

RNG = np.random.default_rng(99)


def t64(array, grad=True):
    return tl.tensor(np.asarray(array, dtype=np.float64), dtype=tl.float64, requires_grad=grad)


def np_batch_norm(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    view = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axes), x.var(axes)
    return (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + eps) * w.reshape(view) + b.reshape(view)


def _randomize_affine(layer):
    with tl.no_grad():
        for p in layer.parameters():
            p.copy_(tl.tensor(RNG.standard_normal(tuple(p.shape)), dtype=p.dtype))
    return layer


# ------------------------------------------------------------------------------------------------ batch norm
@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                        (nn.BatchNorm2d, (4, 3, 2, 5)), (nn.BatchNorm3d, (2, 3, 2, 2, 3))])
def test_batch_norm_training_output_matches_numpy(cls, shape):
    layer = _randomize_affine(cls(3))
    x = RNG.standard_normal(shape).astype(np.float32) * 3 + 1
    out = layer(tl.tensor(x))
    assert out.dtype == tl.float32 and out.shape == shape
    expected = np_batch_norm(x.astype(np.float64), layer.weight.detach().numpy(), layer.bias.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-5)


def test_batch_norm_running_stats_after_steps_and_eval_mode():
    layer = nn.BatchNorm2d(3, momentum=0.3)
    rm, rv = np.zeros(3), np.ones(3)
    batches = [RNG.standard_normal((4, 3, 2, 2)) * (i + 1) + i for i in range(3)]
    for x in batches:
        layer(tl.tensor(x, dtype=tl.float32))
        n = x.size // 3
        rm = 0.7 * rm + 0.3 * x.mean((0, 2, 3))
        rv = 0.7 * rv + 0.3 * x.var((0, 2, 3)) * n / (n - 1)  # unbiased for the running variance
    np.testing.assert_allclose(layer.running_mean.numpy(), rm, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var.numpy(), rv, rtol=1e-5)
    assert layer.num_batches_tracked.dtype == tl.int64 and layer.num_batches_tracked.item() == 3
    layer.eval()
    x = RNG.standard_normal((2, 3, 2, 2))
    out = layer(tl.tensor(x, dtype=tl.float32))
    expected = (x - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv.reshape(1, 3, 1, 1) + 1e-5)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-5)
    assert layer.num_batches_tracked.item() == 3  # eval does not count


def test_batch_norm_momentum_none_is_cumulative_average():
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [RNG.standard_normal((5, 2)) + i for i in range(4)]
    for x in batches:
        layer(tl.tensor(x, dtype=tl.float32))
    np.testing.assert_allclose(layer.running_mean.numpy(), np.mean([x.mean(0) for x in batches], axis=0),
                               rtol=1e-5)
    np.testing.assert_allclose(layer.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in batches], axis=0),
                               rtol=1e-5)


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    layer = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert layer.running_mean is None and layer.weight is None and list(layer.state_dict()) == []
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(layer(tl.tensor(x, dtype=tl.float32)).numpy(),
                               np_batch_norm(x, np.ones(3), np.zeros(3)), rtol=1e-4, atol=1e-5)


def test_batch_norm_state_dict_keys_reset_and_repr():
    layer = nn.BatchNorm2d(4)
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    layer(tl.randn(3, 4, 2, 2))
    _randomize_affine(layer)
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.ones(4))
    np.testing.assert_array_equal(layer.bias.detach().numpy(), np.zeros(4))
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(4))
    assert layer.num_batches_tracked.item() == 0
    assert repr(layer) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert nn.BatchNorm1d(3, bias=False).bias is None


def test_checkpoint_without_num_batches_tracked_loads_strictly_keeping_the_count():
    """Old PyTorch checkpoints lack the buffer; PyTorch fills it in for state dicts without version metadata."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    source = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    old_style = {k: v for k, v in source.state_dict().items() if not k.endswith("num_batches_tracked")}
    model[1].num_batches_tracked.fill_(7)
    assert model.load_state_dict(old_style) == ([], [])
    assert model[1].num_batches_tracked.item() == 7
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), source[0].weight.detach().numpy())
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.running_mean"'):
        model.load_state_dict({k: v for k, v in old_style.items() if k != "1.running_mean"})


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(4, 2), (3, 2, 3), (2, 2, 2, 3)])
def test_batch_norm_gradcheck(training, affine, shape):
    x = t64(RNG.standard_normal(shape))
    w = t64(RNG.standard_normal(2)) if affine else None
    b = t64(RNG.standard_normal(2)) if affine else None
    rm, rv = t64(RNG.standard_normal(2), False), t64(RNG.random(2) + 0.5, False)
    inputs = (x, w, b) if affine else (x,)
    assert gradcheck(lambda a, *wb: F.batch_norm(a, rm, rv, *(wb or (None, None)), training=training,
                                                 momentum=0.0), inputs)


def test_batch_norm_module_gradcheck_in_float64():
    layer = _randomize_affine(nn.BatchNorm2d(2)).double()
    assert layer.running_mean.dtype == tl.float64 and layer.num_batches_tracked.dtype == tl.int64
    assert gradcheck(lambda a: layer(a), (t64(RNG.standard_normal((3, 2, 2, 2))),))


def test_batch_norm_batch_of_one_in_training_explains_drop_last():
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input "
                                         r"size \(1, 16\); with a DataLoader, pass drop_last=True"):
        nn.BatchNorm1d(16)(tl.randn(1, 16))
    layer = nn.BatchNorm1d(16).eval()
    assert layer(tl.randn(1, 16)).shape == (1, 16)  # eval is fine with one sample


def test_batch_norm_wrong_channels_and_dims():
    with pytest.raises(ModuleShapeError, match=r"BatchNorm2d.*expected input with 16 channels.*\(8, 3, 4, 4\)"):
        nn.BatchNorm2d(16)(tl.randn(8, 3, 4, 4))
    model = nn.Sequential(nn.BatchNorm1d(4))
    with pytest.raises(ModuleShapeError, match="0"):
        model(tl.randn(2, 5))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(tl.randn(2, 3, 4))


@pytest.mark.parametrize("layout", ["channels_last", "transposed_grad"])
def test_batch_norm_on_strided_layouts_matches_contiguous(layout):
    # the kernel runs per-channel constants along flat (N, C*L) rows when every array allows that view and
    # falls back to (N, C, L) broadcasting otherwise: both must give the same numbers
    x_np = RNG.standard_normal((4, 3, 5, 6))
    up_np = RNG.standard_normal(x_np.shape)
    w_np, b_np = RNG.standard_normal(3), RNG.standard_normal(3)
    results = []
    for strided in (False, True):
        x_in = x_np
        if strided and layout == "channels_last":
            x_in = np.ascontiguousarray(x_np.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        x, w, b = t64(x_in), t64(w_np), t64(b_np)
        up = t64(up_np, False)
        if strided and layout == "transposed_grad":
            up = t64(np.ascontiguousarray(up_np.transpose(0, 1, 3, 2)), False).transpose(2, 3)
        out = F.batch_norm(x, None, None, w, b, training=True)
        (out * up).sum().backward()
        results.append([a.detach().numpy() for a in (out, x.grad, w.grad, b.grad)])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_batch_norm_fused_matches_core_op_composition():
    x_np = RNG.standard_normal((4, 3, 5, 5)).astype(np.float32)
    w_np, b_np = RNG.standard_normal(3).astype(np.float32), RNG.standard_normal(3).astype(np.float32)
    x1, x2 = tl.tensor(x_np, requires_grad=True), tl.tensor(x_np, requires_grad=True)
    w1, w2 = tl.tensor(w_np, requires_grad=True), tl.tensor(w_np, requires_grad=True)
    b1, b2 = tl.tensor(b_np, requires_grad=True), tl.tensor(b_np, requires_grad=True)
    fused = F.batch_norm(x1, None, None, w1, b1, training=True)
    mean = x2.mean(dim=(0, 2, 3), keepdim=True)
    var = ((x2 - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
    composed = (x2 - mean) / tl.sqrt(var + 1e-5) * w2.reshape(1, 3, 1, 1) + b2.reshape(1, 3, 1, 1)
    upstream = tl.tensor(RNG.standard_normal(x_np.shape).astype(np.float32))
    (fused * upstream).sum().backward()
    (composed * upstream).sum().backward()
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), atol=1e-5)
    for a, b in ((x1, x2), (w1, w2), (b1, b2)):
        assert a.grad.dtype == tl.float32
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------------------------------ layer norm
@pytest.mark.parametrize("normalized_shape", [4, (3, 4)])
@pytest.mark.parametrize("affine, bias", [(True, True), (True, False), (False, True)])
def test_layer_norm_value_and_gradcheck(normalized_shape, affine, bias):
    layer = _randomize_affine(nn.LayerNorm(normalized_shape, elementwise_affine=affine, bias=bias)).double()
    x = RNG.standard_normal((2, 3, 4))
    dims = (-1,) if normalized_shape == 4 else (-2, -1)
    expected = (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + 1e-5)
    if affine:
        expected = expected * layer.weight.detach().numpy()
        if bias:
            expected = expected + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(t64(x, False)).numpy(), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a: layer(a), (t64(x),))
    if affine:
        params = (layer.weight,) + ((layer.bias,) if bias else ())
        assert gradcheck(lambda *p: F.layer_norm(t64(x, False), layer.normalized_shape, *p), params)


def test_layer_norm_state_dict_and_bad_shape():
    layer = nn.LayerNorm(8)
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.weight.dtype == tl.float32
    assert repr(layer) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"
    with pytest.raises(ModuleShapeError, match=r"\(8,\).*\(2, 7\)"):
        layer(tl.randn(2, 7))


# ------------------------------------------------------------------------------------------------ group norm
@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_value_and_gradcheck(groups, affine):
    layer = _randomize_affine(nn.GroupNorm(groups, 4, affine=affine)).double()
    x = RNG.standard_normal((2, 4, 3))
    g = x.reshape(2, groups, -1)
    expected = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    if affine:
        expected = expected * layer.weight.detach().numpy()[:, None] + layer.bias.detach().numpy()[:, None]
    np.testing.assert_allclose(layer(t64(x, False)).numpy(), expected, rtol=1e-10, atol=1e-12)
    params = (layer.weight, layer.bias) if affine else ()
    assert gradcheck(lambda a, *p: layer(a), (t64(x),) + params)


def test_group_norm_bad_arguments():
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ModuleShapeError, match=r"\(N, 4, \*\).*\(2, 6, 3\)"):
        nn.GroupNorm(2, 4)(tl.randn(2, 6, 3))


# --------------------------------------------------------------------------------------------- instance norm
def test_instance_norm_value_gradcheck_and_running_stats():
    layer = nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double()
    _randomize_affine(layer)
    x = RNG.standard_normal((2, 3, 3, 2))
    flat = x.reshape(2, 3, -1)
    norm = (flat - flat.mean(-1, keepdims=True)) / np.sqrt(flat.var(-1, keepdims=True) + 1e-5)
    expected = norm * layer.weight.detach().numpy()[:, None] + layer.bias.detach().numpy()[:, None]
    np.testing.assert_allclose(layer(t64(x, False)).numpy(), expected.reshape(x.shape), rtol=1e-10)
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.1 * flat.mean(-1).mean(0), rtol=1e-10)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.9 + 0.1 * flat.var(-1, ddof=1).mean(0), rtol=1e-10)
    assert gradcheck(lambda a: layer(a), (t64(x),))
    layer.eval()
    rm, rv = layer.running_mean.numpy(), layer.running_var.numpy()
    eval_expected = ((x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5)
                     * layer.weight.detach().numpy()[:, None, None] + layer.bias.detach().numpy()[:, None, None])
    np.testing.assert_allclose(layer(t64(x, False)).numpy(), eval_expected, rtol=1e-10)


def test_instance_norm_unbatched_and_default_has_no_state():
    layer = nn.InstanceNorm1d(3)
    assert list(layer.state_dict()) == []
    x = RNG.standard_normal((3, 5))
    out = layer(tl.tensor(x, dtype=tl.float32))
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------------------- local response
def test_local_response_norm_value_and_gradcheck():
    x = RNG.standard_normal((2, 5, 3))
    size, alpha, beta, k = 3, 0.5, 0.75, 2.0
    padded = np.pad(x * x, ((0, 0), (size // 2, (size - 1) // 2), (0, 0)))
    window = np.stack([padded[:, c:c + size].sum(1) for c in range(5)], axis=1)
    expected = x / (k + alpha / size * window) ** beta
    layer = nn.LocalResponseNorm(size, alpha, beta, k)
    np.testing.assert_allclose(layer(t64(x, False)).numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a: layer(a), (t64(x),))
    assert gradcheck(lambda a: F.local_response_norm(a, 2, 0.3, 0.5, 1.0), (t64(x),))
