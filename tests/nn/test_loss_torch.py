"""Losses against PyTorch (reference only): outputs and input/target gradients in float64."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn

pytestmark = pytest.mark.torch
RNG = np.random.default_rng(7)


def _pair(array, grad=True):
    torch = pytest.importorskip("torch")
    ours = tl.tensor(array, dtype=tl.float64, requires_grad=grad) if array.dtype.kind == "f" else tl.tensor(array)
    theirs = torch.tensor(array, requires_grad=grad) if array.dtype.kind == "f" else torch.tensor(array)
    return ours, theirs


def _assert_same(our_layer, torch_layer, arrays, grad_flags):
    """Run both layers on the same float64/int arrays; compare outputs and gradients of float inputs."""
    pairs = [_pair(a, g) for a, g in zip(arrays, grad_flags)]
    ours = our_layer(*[p[0] for p in pairs])
    theirs = torch_layer(*[p[1] for p in pairs])
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = RNG.standard_normal(tuple(theirs.shape))
    (ours * tl.tensor(upstream, dtype=tl.float64)).sum().backward()
    (theirs * pytest.importorskip("torch").tensor(upstream)).sum().backward()
    for (o, t), g in zip(pairs, grad_flags):
        if g:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-12)


def _weight(kind, n):
    torch = pytest.importorskip("torch")
    w = RNG.random(n) + 0.5
    return (tl.tensor(w, dtype=tl.float64), torch.tensor(w)) if kind else (None, None)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 2)])
def test_cross_entropy_index_targets_vs_torch(reduction, smoothing, weighted, shape):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    target = RNG.integers(0, 4, (shape[0],) + shape[2:])
    target.reshape(-1)[::3] = 1  # ignored class below
    ow, tw = _weight(weighted, 4)
    kwargs = dict(ignore_index=1, reduction=reduction, label_smoothing=smoothing)
    _assert_same(nn.CrossEntropyLoss(ow, **kwargs), torch.nn.CrossEntropyLoss(tw, **kwargs), (x, target),
             (True, False))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probability_targets_vs_torch(reduction, smoothing, weighted):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4, 2))
    p = RNG.random((3, 4, 2))
    p /= p.sum(1, keepdims=True)
    ow, tw = _weight(weighted, 4)
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    _assert_same(nn.CrossEntropyLoss(ow, **kwargs), torch.nn.CrossEntropyLoss(tw, **kwargs), (x, p), (True, True))


def test_cross_entropy_large_logits_vs_torch():
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((4, 5)) * 1e4).astype(np.float32)
    target = RNG.integers(0, 5, 4)
    _assert_same(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), (x.astype(np.float64), target), (True, False))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_vs_torch(reduction, weighted):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 3, 2))
    target = RNG.integers(0, 3, (4, 2))
    target[0, 0] = -100
    ow, tw = _weight(weighted, 3)
    _assert_same(nn.NLLLoss(ow, reduction=reduction), torch.nn.NLLLoss(tw, reduction=reduction), (x, target),
             (True, False))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_vs_torch(reduction, weighted):
    torch = pytest.importorskip("torch")
    p = RNG.uniform(0.02, 0.98, (3, 4))
    y = RNG.random((3, 4))
    ow, tw = _weight(weighted, 4)
    _assert_same(nn.BCELoss(ow, reduction=reduction), torch.nn.BCELoss(tw, reduction=reduction), (p, y), (True, True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_vs_torch(reduction, weighted):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4)) * 4
    x[0, 0], x[1, 1] = 1e4, -1e4
    y = RNG.random((3, 4))
    w = RNG.random((3, 4)) + 0.5
    pw = RNG.random(4) * 3
    ours = nn.BCEWithLogitsLoss(tl.tensor(w, dtype=tl.float64) if weighted else None, reduction=reduction,
                                pos_weight=tl.tensor(pw, dtype=tl.float64) if weighted else None)
    theirs = torch.nn.BCEWithLogitsLoss(torch.tensor(w) if weighted else None, reduction=reduction,
                                        pos_weight=torch.tensor(pw) if weighted else None)
    _assert_same(ours, theirs, (x, y), (True, True))


@pytest.mark.parametrize("name, kwargs", [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {"beta": 0.5}),
                                          ("SmoothL1Loss", {"beta": 0.0}), ("HuberLoss", {"delta": 0.7}),
                                          ("SoftMarginLoss", {})])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_losses_vs_torch(name, kwargs, reduction):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 5))
    y = np.sign(RNG.standard_normal((3, 5))) if name == "SoftMarginLoss" else RNG.standard_normal((3, 5))
    _assert_same(getattr(nn, name)(reduction=reduction, **kwargs), getattr(torch.nn, name)(reduction=reduction,
                                                                                       **kwargs),
             (x, y), (True, name != "SoftMarginLoss"))


@pytest.mark.parametrize("fn, reduction", [("mse_loss", "mean"), ("l1_loss", "mean"), ("huber_loss", "mean"),
                                           ("mse_loss", "sum"), ("huber_loss", "none")])
def test_weighted_pointwise_losses_vs_torch(fn, reduction):
    torch = pytest.importorskip("torch")
    x, y, w = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4)), RNG.random((3, 4))
    ours = getattr(tl.nn.functional, fn)(*(tl.tensor(v, dtype=tl.float64) for v in (x, y)), reduction=reduction,
                                         weight=tl.tensor(w, dtype=tl.float64))
    theirs = getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(y), reduction=reduction,
                                              weight=torch.tensor(w))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_vs_torch(reduction, log_target):
    torch = pytest.importorskip("torch")
    x = np.log(RNG.dirichlet(np.ones(4), 3))
    p = RNG.dirichlet(np.ones(4), 3)
    target = np.log(p) if log_target else p
    _assert_same(nn.KLDivLoss(reduction=reduction, log_target=log_target),
             torch.nn.KLDivLoss(reduction=reduction, log_target=log_target), (x, target), (True, True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_margin_losses_vs_torch(reduction):
    torch = pytest.importorskip("torch")
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    y = np.array([1.0, -1.0, -1.0, 1.0])
    _assert_same(nn.CosineEmbeddingLoss(0.2, reduction=reduction),
             torch.nn.CosineEmbeddingLoss(0.2, reduction=reduction), (a, b, y), (True, True, False))
    _assert_same(nn.MarginRankingLoss(0.3, reduction=reduction), torch.nn.MarginRankingLoss(0.3, reduction=reduction),
             (a[:, 0], b[:, 0], y), (True, True, False))


def test_float32_cross_entropy_vs_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((16, 10)).astype(np.float32)
    target = RNG.integers(0, 10, 16)
    ours = nn.CrossEntropyLoss(label_smoothing=0.1)(tl.tensor(x), tl.tensor(target))
    theirs = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(torch.tensor(x), torch.tensor(target))
    assert ours.dtype == tl.float32
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)
