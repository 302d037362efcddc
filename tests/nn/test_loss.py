"""Losses: values against hand-written NumPy references, float64 gradcheck, fused kernels vs core-op
compositions, reductions, weights / ignore_index / label smoothing / probability targets, and bad input."""

import warnings

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(1234)


def t64(array, grad=True):
    return tl.tensor(np.asarray(array, dtype=np.float64), dtype=tl.float64, requires_grad=grad)


def np_log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """Reference written from the formula: per sample (1-eps) w_t (-log p_t) + eps/C sum_c w_c (-log p_c)."""
    c = x.shape[1]
    logp = np_log_softmax(x)
    w = np.ones(c) if weight is None else weight
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
    w_t = np.where(valid, w[safe], 0.0)
    loss = (1 - smoothing) * (-picked * w_t) + smoothing / c * np.where(valid, -(logp * w).sum(1), 0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w_t.sum()


# ---------------------------------------------------------------------------------------------- cross entropy
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_numpy_reference_with_ignore_index(reduction, smoothing, weighted):
    x = RNG.standard_normal((6, 4, 3))
    target = RNG.integers(0, 4, (6, 3))
    target[1, 2] = target[4, 0] = 3  # ignored below: choose ignore_index=3 to ignore a real class
    weight = RNG.random(4) + 0.5 if weighted else None
    got = F.cross_entropy(t64(x, False), tl.tensor(target), None if weight is None else t64(weight, False),
                          ignore_index=3, reduction=reduction, label_smoothing=smoothing)
    # reference works on (M, C) rows: move the class axis last and flatten the spatial dim
    flat_x = x.transpose(0, 2, 1).reshape(-1, 4)
    expected = np_cross_entropy(flat_x, target.reshape(-1), weight, 3, reduction, smoothing)
    if reduction == "none":
        expected = expected.reshape(6, 3)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_2d_class_major_path_matches_reference_and_general_path(reduction, weighted, ignore_index):
    """(N, C) inputs without label smoothing take a class-major kernel; (N, C, 1) inputs take the general one:
    values and input gradients must agree with each other and with the NumPy reference."""
    x = RNG.standard_normal((9, 5))
    target = RNG.integers(0, 5, 9)
    target[[1, 6]] = ignore_index  # ignored samples (-100, or a real class)
    weight = RNG.random(5) + 0.5 if weighted else None
    w = None if weight is None else t64(weight, False)
    rows, spatial = t64(x), t64(x[:, :, None])
    got = F.cross_entropy(rows, tl.tensor(target), w, ignore_index=ignore_index, reduction=reduction)
    general = F.cross_entropy(spatial, tl.tensor(target[:, None]), w, ignore_index=ignore_index, reduction=reduction)
    expected = np_cross_entropy(x, target, weight, ignore_index, reduction)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12, atol=1e-14)
    upstream = RNG.standard_normal(got.shape)
    got.backward(t64(upstream, False))
    general.backward(t64(upstream.reshape(general.shape), False))
    assert rows.grad.is_contiguous() and rows.grad.shape == (9, 5)
    np.testing.assert_allclose(rows.grad.numpy(), spatial.grad.numpy()[:, :, 0], rtol=1e-12, atol=1e-14)
    assert np.all(rows.grad.numpy()[target == ignore_index] == 0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_2d_class_major_path_gradcheck_and_second_derivative(reduction):
    x = t64(RNG.standard_normal((5, 4)))
    target = tl.tensor([0, 3, -100, 1, 3])
    weight = t64(RNG.random(4) + 0.5, False)
    assert gradcheck(lambda a: F.cross_entropy(a, target, weight, reduction=reduction), (x,))
    assert gradgradcheck(lambda a: F.cross_entropy(a, target, reduction=reduction), (x,))


def test_cross_entropy_2d_class_major_path_float32_matches_float64():
    x = RNG.standard_normal((64, 10))
    target = tl.tensor(RNG.integers(0, 10, 64))
    a, b = tl.tensor(x.astype(np.float32), requires_grad=True), t64(x)
    la, lb = F.cross_entropy(a, target), F.cross_entropy(b, target)
    la.backward()
    lb.backward()
    assert la.dtype == tl.float32 and a.grad.dtype == tl.float32
    np.testing.assert_allclose(la.item(), lb.item(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_cross_entropy_weighted_mean_divides_by_sum_of_target_weights():
    x = np.zeros((2, 3))
    weight = np.array([1.0, 2.0, 5.0])
    target = np.array([0, 2])
    loss = F.cross_entropy(t64(x, False), tl.tensor(target), t64(weight, False))
    assert abs(loss.item() - np.log(3)) < 1e-12  # (1 * log3 + 5 * log3) / (1 + 5)
    total = F.cross_entropy(t64(x, False), tl.tensor(target), t64(weight, False), reduction="sum")
    assert abs(total.item() - 6 * np.log(3)) < 1e-12


def test_cross_entropy_all_targets_ignored_mean_is_nan_like_pytorch():
    loss = F.cross_entropy(t64(RNG.standard_normal((3, 4)), False), tl.tensor([-100, -100, -100]))
    assert np.isnan(loss.item())


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck_index_targets(smoothing, weighted, reduction):
    x = t64(RNG.standard_normal((4, 3, 2)))
    target = tl.tensor([[0, 2], [1, -100], [2, 2], [0, 1]])
    weight = t64(RNG.random(3) + 0.5, False) if weighted else None
    assert gradcheck(lambda a: F.cross_entropy(a, target, weight, reduction=reduction,
                                               label_smoothing=smoothing), (x,))


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_value_and_gradcheck(smoothing, weighted, reduction):
    x_np = RNG.standard_normal((3, 4))
    p_np = RNG.random((3, 4))
    p_np /= p_np.sum(1, keepdims=True)
    w_np = RNG.random(4) + 0.5 if weighted else np.ones(4)
    q = p_np * (1 - smoothing) + smoothing / 4
    per_sample = -(np_log_softmax(x_np) * q * w_np).sum(1)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    weight = t64(w_np, False) if weighted else None
    got = F.cross_entropy(t64(x_np, False), t64(p_np, False), weight, reduction=reduction,
                          label_smoothing=smoothing)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    x, p = t64(x_np), t64(p_np)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, weight, reduction=reduction, label_smoothing=smoothing),
                     (x, p))


def test_cross_entropy_unbatched_input():
    x = RNG.standard_normal(5)
    loss = F.cross_entropy(t64(x, False), tl.tensor(2))
    assert loss.shape == () and abs(loss.item() + np_log_softmax(x[None])[0, 2]) < 1e-12


def test_fused_cross_entropy_matches_core_op_composition_and_its_gradient():
    x_np = RNG.standard_normal((8, 6)).astype(np.float32)
    target = tl.tensor(RNG.integers(0, 6, 8))
    a = tl.tensor(x_np, requires_grad=True)
    b = tl.tensor(x_np, requires_grad=True)
    fused = F.cross_entropy(a, target)
    composed = -tl.log_softmax(b, dim=1).gather(1, target.unsqueeze(1)).mean()
    fused.backward()
    composed.backward()
    assert fused.dtype == tl.float32 and a.grad.dtype == tl.float32
    np.testing.assert_allclose(fused.item(), composed.item(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-7)


def test_cross_entropy_is_stable_for_huge_logits():
    x = tl.tensor([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], requires_grad=True)
    loss = F.cross_entropy(x, tl.tensor([1, 2]), reduction="none")
    assert np.all(np.isfinite(loss.detach().numpy()))
    np.testing.assert_allclose(loss.detach().numpy(), [2e4, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, -1, 0], [0, 0.5, -0.5]], atol=1e-6)


def test_cross_entropy_target_out_of_bounds_names_value_and_classes():
    with pytest.raises(IndexError, match="Target 7 is out of bounds for 5 classes"):
        nn.CrossEntropyLoss()(tl.randn(4, 5), tl.tensor([0, 7, 1, 2]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        F.cross_entropy(tl.randn(2, 5), tl.tensor([0, -1]))


def test_cross_entropy_batch_size_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target batch_size \(3\)"
                                         r".*\(4, 5\).*\(3,\)"):
        nn.CrossEntropyLoss()(tl.randn(4, 5), tl.tensor([0, 1, 2]))


def test_cross_entropy_rejects_bad_weight_and_float_target_of_wrong_shape():
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(tl.randn(2, 3), tl.tensor([0, 1]), weight=tl.ones(4))
    with pytest.raises(RuntimeError, match="Long or Byte, but got Float.*class-probability"):
        F.cross_entropy(tl.randn(2, 3), tl.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(tl.randn(2, 3), tl.tensor([0, 1]), reduction="avg")


def test_cross_entropy_module_registers_weight_buffer_and_legacy_flags():
    loss = nn.CrossEntropyLoss(weight=tl.ones(3), ignore_index=1, label_smoothing=0.1)
    assert list(loss.state_dict()) == ["weight"]
    assert loss.ignore_index == 1 and loss.label_smoothing == 0.1
    with pytest.warns(UserWarning):
        legacy = nn.CrossEntropyLoss(size_average=False)
    assert legacy.reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.MSELoss(reduce=False).reduction == "none"


# ------------------------------------------------------------------------------------------------------- NLL
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_value_and_gradcheck(reduction):
    logp = np_log_softmax(RNG.standard_normal((5, 4)))
    target = np.array([0, 3, -100, 1, 3])
    weight = np.array([1.0, 0.5, 2.0, 3.0])
    got = F.nll_loss(t64(logp, False), tl.tensor(target), t64(weight, False), reduction=reduction)
    expected = np_cross_entropy(logp, target, weight, reduction=reduction)  # log_softmax of logp is logp
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a: F.nll_loss(a, tl.tensor(target), t64(weight, False), reduction=reduction),
                     (t64(logp),))


def test_nll_after_log_softmax_equals_cross_entropy():
    x = tl.randn(6, 5, 2)
    target = tl.randint(0, 5, (6, 2))
    a = nn.NLLLoss()(tl.log_softmax(x, dim=1), target)
    b = nn.CrossEntropyLoss()(x, target)
    assert abs(a.item() - b.item()) < 1e-6


# ----------------------------------------------------------------------------------------------- binary CE
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_value_clamp_and_gradcheck(reduction):
    p = RNG.uniform(0.05, 0.95, (3, 4))
    y = RNG.random((3, 4))
    w = RNG.random(4) + 0.5
    loss = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    expected = {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]
    got = F.binary_cross_entropy(t64(p, False), t64(y, False), t64(w, False), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, t64(w, False), reduction=reduction),
                     (t64(p), t64(y)))


def test_bce_clamps_log_at_minus_100():
    loss = nn.BCELoss(reduction="none")(tl.tensor([0.0, 1.0]), tl.tensor([1.0, 0.0]))
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0])


def test_bce_rejects_probabilities_outside_unit_interval_and_shape_mismatch():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(tl.tensor([1.5]), tl.tensor([1.0]))
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        F.binary_cross_entropy(tl.rand(3, 1), tl.rand(3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("with_weights", [False, True])
def test_bce_with_logits_value_and_gradcheck(reduction, with_weights):
    x = RNG.standard_normal((3, 4)) * 3
    y = RNG.random((3, 4))
    w = RNG.random((3, 4)) + 0.5 if with_weights else None
    pw = RNG.random(4) * 3 if with_weights else None
    sig = 1 / (1 + np.exp(-x))
    loss = -((1 if pw is None else pw) * y * np.log(sig) + (1 - y) * np.log(1 - sig)) * (1 if w is None else w)
    expected = {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]
    tw = None if w is None else t64(w, False)
    tpw = None if pw is None else t64(pw, False)
    got = F.binary_cross_entropy_with_logits(t64(x, False), t64(y, False), tw, reduction=reduction,
                                             pos_weight=tpw)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction,
                                                                     pos_weight=tpw), (t64(x), t64(y)))


def test_bce_with_logits_matches_sigmoid_composition_and_is_stable():
    x_np = RNG.standard_normal((4, 3)).astype(np.float32)
    y = tl.tensor(RNG.random((4, 3)).astype(np.float32))
    a = tl.tensor(x_np, requires_grad=True)
    b = tl.tensor(x_np, requires_grad=True)
    fused = F.binary_cross_entropy_with_logits(a, y)
    s = tl.sigmoid(b)
    composed = -(y * tl.log(s) + (1 - y) * tl.log(1 - s)).mean()
    fused.backward()
    composed.backward()
    np.testing.assert_allclose(fused.item(), composed.item(), rtol=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-6)
    big = tl.tensor([1e4, -1e4, 1e4], requires_grad=True)
    out = F.binary_cross_entropy_with_logits(big, tl.tensor([1.0, 0.0, 0.0]), reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), [0, 0, 1e4])
    out.sum().backward()
    np.testing.assert_allclose(big.grad.numpy(), [0, 0, 1])


def test_bce_with_logits_module_buffers():
    loss = nn.BCEWithLogitsLoss(pos_weight=tl.ones(3))
    assert list(loss.state_dict()) == ["pos_weight"]
    assert loss.double().pos_weight.dtype == tl.float64


# ------------------------------------------------------------------------------------- regression losses
def _np_regression(kind, d, param):
    a = np.abs(d)
    if kind == "mse":
        return d * d
    if kind == "l1":
        return a
    if kind == "smooth_l1":
        return np.where(a < param, 0.5 * d * d / param, a - 0.5 * param)
    return np.where(a < param, 0.5 * d * d, param * (a - 0.5 * param))


@pytest.mark.parametrize("kind, module", [("mse", nn.MSELoss), ("l1", nn.L1Loss),
                                          ("smooth_l1", lambda **kw: nn.SmoothL1Loss(beta=0.7, **kw)),
                                          ("huber", lambda **kw: nn.HuberLoss(delta=0.7, **kw))])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_value_and_gradcheck(kind, module, reduction):
    x = RNG.standard_normal((3, 5))
    y = RNG.standard_normal((3, 5))
    loss = _np_regression(kind, x - y, 0.7)
    expected = {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]
    layer = module(reduction=reduction)
    np.testing.assert_allclose(layer(t64(x, False), t64(y, False)).numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a, b: layer(a, b), (t64(x), t64(y)))


def test_weighted_regression_means_follow_pytorch():
    x, y, w = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)), RNG.random((2, 3))
    mse = F.mse_loss(t64(x, False), t64(y, False), weight=t64(w, False))
    assert abs(mse.item() - ((x - y) ** 2 * w).sum() / w.sum()) < 1e-12
    huber = F.huber_loss(t64(x, False), t64(y, False), weight=t64(w, False))
    assert abs(huber.item() - (_np_regression("huber", x - y, 1.0) * w).mean()) < 1e-12
    with pytest.raises(ValueError, match="same size"):
        F.l1_loss(t64(x, False), t64(y, False), weight=t64(w[0], False))


def test_smooth_l1_with_beta_zero_is_l1_and_broadcast_warns():
    x, y = tl.randn(4), tl.randn(4)
    assert abs(F.smooth_l1_loss(x, y, beta=0.0).item() - F.l1_loss(x, y).item()) < 1e-6
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(tl.randn(4, 1), tl.randn(4))


# ---------------------------------------------------------------------------------------------------- KL
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_value_and_gradcheck(reduction, log_target):
    logq = np_log_softmax(RNG.standard_normal((3, 4)))
    p = np.exp(np_log_softmax(RNG.standard_normal((3, 4))))
    p[0, 1] = 0.0 if not log_target else p[0, 1]
    target = np.log(p) if log_target else p
    with np.errstate(divide="ignore", invalid="ignore"):
        pointwise = np.where(p > 0, p * (np.log(p) - logq), 0.0)
    expected = {"batchmean": pointwise.sum() / 3, "sum": pointwise.sum(), "none": pointwise,
                "mean": pointwise.mean()}[reduction]
    layer = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    with pytest.warns(UserWarning) if reduction == "mean" else _no_warning():
        got = layer(t64(logq, False), t64(target, False))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-14)
    target_t = t64(target) if log_target else t64(target, False)  # grad w.r.t. a zero prob is a kink
    with pytest.warns(UserWarning) if reduction == "mean" else _no_warning():
        assert gradcheck(lambda a, b: layer(a, b), (t64(logq), target_t))


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ------------------------------------------------------------------------------------------ margin losses
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_margin_losses_value_and_gradcheck(reduction):
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    cel = np.where(y == 1, 1 - cos, np.maximum(cos - 0.1, 0))
    red = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    layer = nn.CosineEmbeddingLoss(margin=0.1, reduction=reduction)
    np.testing.assert_allclose(layer(t64(a, False), t64(b, False), t64(y, False)).numpy(), red(cel), rtol=1e-10)
    assert gradcheck(lambda u, v: layer(u, v, t64(y, False)), (t64(a), t64(b)))

    x1, x2 = RNG.standard_normal(4), RNG.standard_normal(4)
    mrl = np.maximum(0, -y * (x1 - x2) + 0.5)
    ranking = nn.MarginRankingLoss(margin=0.5, reduction=reduction)
    np.testing.assert_allclose(ranking(t64(x1, False), t64(x2, False), t64(y, False)).numpy(), red(mrl))
    assert gradcheck(lambda u, v: ranking(u, v, t64(y, False)), (t64(x1), t64(x2)))

    soft = nn.SoftMarginLoss(reduction=reduction)
    np.testing.assert_allclose(soft(t64(x1, False), t64(y, False)).numpy(), red(np.log1p(np.exp(-y * x1))),
                               rtol=1e-10)
    assert gradcheck(lambda u: soft(u, t64(y, False)), (t64(x1),))


def test_losses_keep_float32():
    x, y = tl.randn(4, 3, requires_grad=True), tl.rand(4, 3)
    for loss in (F.mse_loss(x, y), F.l1_loss(x, y), F.huber_loss(x, y), F.smooth_l1_loss(x, y),
                 F.binary_cross_entropy_with_logits(x, y), F.cross_entropy(x, tl.tensor([0, 1, 2, 0])),
                 F.cross_entropy(x, y, label_smoothing=0.1), F.kl_div(x, y, reduction="batchmean")):
        assert loss.dtype == tl.float32
        (grad,) = tl.autograd.grad(loss, [x])
        assert grad.dtype == tl.float32


def test_cross_entropy_warns_when_given_softmax_output_instead_of_logits():
    logits = tl.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    target = tl.tensor([0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.CrossEntropyLoss()(logits, target)  # ordinary logits: silent
        nn.CrossEntropyLoss()(tl.tensor([[0.2, 0.3, 0.1], [0.0, 0.4, 0.5]]), target)  # in [0, 1] but not summing to 1
    with pytest.warns(UserWarning, match="was softmax applied before CrossEntropyLoss"):
        nn.CrossEntropyLoss()(logits.softmax(1), target)
    with pytest.warns(UserWarning, match="pass the logits"):
        nn.CrossEntropyLoss()(logits.softmax(1), tl.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
