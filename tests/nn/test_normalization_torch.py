"""Normalization layers against PyTorch (reference only): outputs, gradients, running stats, state_dict."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn

pytestmark = pytest.mark.torch
RNG = np.random.default_rng(11)


def _copy_params(ours, theirs):
    """Random affine parameters, the same in both layers."""
    torch = pytest.importorskip("torch")
    for name, p in ours.named_parameters():
        value = RNG.standard_normal(tuple(p.shape))
        with tl.no_grad():
            p.copy_(tl.tensor(value, dtype=p.dtype))
        with torch.no_grad():
            getattr(theirs, name).copy_(torch.tensor(value))


def _step_and_assert_close(ours, theirs, x):
    """Forward + backward with the same upstream gradient; compare output and all gradients."""
    torch = pytest.importorskip("torch")
    a = tl.tensor(x, dtype=tl.float64, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out_a, out_b = ours(a), theirs(b)
    np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-9, atol=1e-10)
    upstream = RNG.standard_normal(x.shape)
    (out_a * tl.tensor(upstream, dtype=tl.float64)).sum().backward()
    (out_b * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), getattr(theirs, name).grad.numpy(), rtol=1e-8, atol=1e-10)
        p.grad = None
        getattr(theirs, name).grad = None


def _assert_same_state(ours, theirs):
    mine, ref = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(ref)
    for key in ref:
        np.testing.assert_allclose(mine[key].numpy(), ref[key].numpy(), rtol=1e-10)
        assert str(mine[key].dtype).split(".")[-1] == str(ref[key].dtype).split(".")[-1]


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (4, 3, 3, 2)), ("BatchNorm3d", (2, 3, 2, 2, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
def test_batch_norm_vs_torch(name, shape, momentum, affine, track):
    torch = pytest.importorskip("torch")
    kwargs = dict(momentum=momentum, affine=affine, track_running_stats=track)
    ours, theirs = getattr(nn, name)(3, **kwargs).double(), getattr(torch.nn, name)(3, **kwargs).double()
    _copy_params(ours, theirs)
    for step in range(3):
        _step_and_assert_close(ours, theirs, RNG.standard_normal(shape) * (step + 1) + step)
        _assert_same_state(ours, theirs)
    ours.eval()
    theirs.eval()
    _step_and_assert_close(ours, theirs, RNG.standard_normal(shape))
    _assert_same_state(ours, theirs)


def test_batch_norm_float32_training_vs_torch():
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((32, 8, 6, 6)) * 2 + 3).astype(np.float32)
    ours, theirs = nn.BatchNorm2d(8), torch.nn.BatchNorm2d(8)
    out_a, out_b = ours(tl.tensor(x)), theirs(torch.tensor(x))
    assert out_a.dtype == tl.float32 and ours.running_var.dtype == tl.float32
    np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)


def test_batch_norm_loads_torch_state_dict():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm2d(4)
    theirs(torch.randn(8, 4, 3, 3))
    ours = nn.BatchNorm2d(4)
    ours.load_state_dict({k: tl.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    x = RNG.standard_normal((2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(tl.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("shape, normalized", [((3, 5), 5), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("affine, bias", [(True, True), (True, False), (False, True)])
def test_layer_norm_vs_torch(shape, normalized, affine, bias):
    torch = pytest.importorskip("torch")
    kwargs = dict(elementwise_affine=affine, bias=bias)
    ours, theirs = nn.LayerNorm(normalized, **kwargs).double(), torch.nn.LayerNorm(normalized, **kwargs).double()
    _copy_params(ours, theirs)
    _step_and_assert_close(ours, theirs, RNG.standard_normal(shape) * 3)
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_vs_torch(groups, affine):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.GroupNorm(groups, 6, affine=affine).double(), torch.nn.GroupNorm(groups, 6, affine=affine)
    theirs = theirs.double()
    _copy_params(ours, theirs)
    _step_and_assert_close(ours, theirs, RNG.standard_normal((3, 6, 2, 3)))
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("name, shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm2d", (2, 3, 3, 2)),
                                         ("InstanceNorm2d", (3, 3, 2))])
@pytest.mark.parametrize("affine, track", [(False, False), (True, True)])
def test_instance_norm_vs_torch(name, shape, affine, track):
    torch = pytest.importorskip("torch")
    kwargs = dict(affine=affine, track_running_stats=track)
    ours, theirs = getattr(nn, name)(3, **kwargs).double(), getattr(torch.nn, name)(3, **kwargs).double()
    _copy_params(ours, theirs)
    for _ in range(2):
        _step_and_assert_close(ours, theirs, RNG.standard_normal(shape) + 1)
        _assert_same_state(ours, theirs)
    ours.eval()
    theirs.eval()
    _step_and_assert_close(ours, theirs, RNG.standard_normal(shape))


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm_vs_torch(size):
    torch = pytest.importorskip("torch")
    _step_and_assert_close(nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=1.5),
          torch.nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=1.5), RNG.standard_normal((2, 6, 3, 2)))


def test_functional_batch_norm_vs_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((5, 3, 4))
    rm, rv = RNG.standard_normal(3), RNG.random(3) + 0.5
    ours_rm, ours_rv = tl.tensor(rm, dtype=tl.float64), tl.tensor(rv, dtype=tl.float64)
    theirs_rm, theirs_rv = torch.tensor(rm), torch.tensor(rv)
    for training in (True, False):
        a = tl.nn.functional.batch_norm(tl.tensor(x, dtype=tl.float64), ours_rm, ours_rv, training=training,
                                        momentum=0.25, eps=1e-3)
        b = torch.nn.functional.batch_norm(torch.tensor(x), theirs_rm, theirs_rv, training=training,
                                           momentum=0.25, eps=1e-3)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours_rm.numpy(), theirs_rm.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours_rv.numpy(), theirs_rv.numpy(), rtol=1e-10)
