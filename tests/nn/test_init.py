"""nn.init: PyTorch's gains and fans, distribution statistics and bounds over large tensors, generator=
reproducibility, no_grad operation on parameters, and errors."""

import math

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
from tensorlib.nn import init


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(tl.empty(8, 3, 5, 5)) == (75, 200)
    assert init._calculate_fan_in_and_fan_out(tl.empty(4, 6)) == (6, 4)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tl.empty(5))


def test_uniform_normal_constant():
    t = tl.empty(500, 400)
    out = init.uniform_(t, -2.0, 3.0)
    assert out is t
    a = t.numpy()
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.02 and t.dtype == tl.float32
    init.normal_(t, 1.0, 0.5)
    assert abs(t.numpy().mean() - 1) < 0.005 and abs(t.numpy().std() - 0.5) < 0.005
    assert init.constant_(t, 0.25).numpy().max() == 0.25
    assert init.zeros_(t).numpy().max() == 0 and init.ones_(t).numpy().min() == 1


def test_kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan_in():
    t = tl.empty(256, 512)
    init.kaiming_uniform_(t, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 512)
    a = t.numpy()
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    assert abs(a.std() - bound / math.sqrt(3)) < 0.01 * bound
    init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu")
    assert np.abs(t.numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 256)


def test_kaiming_normal_and_xavier_statistics():
    t = tl.empty(300, 200, 3)
    init.kaiming_normal_(t, a=0.1, mode="fan_out")
    std = init.calculate_gain("leaky_relu", 0.1) / math.sqrt(300 * 3)
    assert abs(t.numpy().std() - std) < 0.01 * std
    init.xavier_uniform_(t, gain=2.0)
    a = 2.0 * math.sqrt(6 / (600 + 900))
    assert np.abs(t.numpy()).max() <= a and np.abs(t.numpy()).max() > 0.99 * a
    init.xavier_normal_(t)
    assert abs(t.numpy().std() - math.sqrt(2 / 1500)) < 0.01 * math.sqrt(2 / 1500)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(t, mode="fan_avg")


def test_trunc_normal_respects_bounds():
    t = tl.empty(200, 300)
    init.trunc_normal_(t, mean=0.5, std=1.0, a=0.0, b=1.5)
    a = t.numpy()
    assert a.min() >= 0 and a.max() <= 1.5
    # truncated-normal mean: mu + sigma * (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha)) = 0.7067
    assert abs(a.mean() - 0.7067) < 0.01
    init.trunc_normal_(t, std=0.02)
    assert np.abs(t.numpy()).max() <= 2 and abs(t.numpy().std() - 0.02) < 0.001


def test_orthogonal_rows_and_columns():
    tall = init.orthogonal_(tl.empty(8, 5), gain=2.0).numpy().astype(np.float64)
    np.testing.assert_allclose(tall.T @ tall, 4 * np.eye(5), atol=1e-5)
    wide = init.orthogonal_(tl.empty(3, 2, 4)).numpy().reshape(3, 8).astype(np.float64)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(tl.empty(3))


def test_eye_dirac_sparse():
    assert init.eye_(tl.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    w = init.dirac_(tl.empty(4, 2, 3, 3), groups=2).numpy()
    assert w.sum() == 4 and w[0, 0, 1, 1] == 1 and w[1, 1, 1, 1] == 1 and w[2, 0, 1, 1] == 1
    x = tl.randn(1, 3, 5, 5)
    conv_weight = init.dirac_(tl.empty(3, 3, 3, 3))
    if hasattr(tl.nn.functional, "conv2d"):
        np.testing.assert_allclose(tl.nn.functional.conv2d(x, conv_weight, padding=1).numpy(), x.numpy(),
                                   atol=1e-6)
    s = init.sparse_(tl.empty(10, 30), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) >= 3).all()
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(tl.empty(2, 2))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(tl.empty(2, 2, 2))


def test_generator_reproducibility():
    g = tl.Generator().manual_seed(7)
    a = init.kaiming_uniform_(tl.empty(5, 5), generator=g).numpy().copy()
    g.manual_seed(7)
    b = init.kaiming_uniform_(tl.empty(5, 5), generator=g).numpy()
    np.testing.assert_array_equal(a, b)
    tl.manual_seed(3)
    c = init.normal_(tl.empty(4)).numpy().copy()
    tl.manual_seed(3)
    np.testing.assert_array_equal(c, init.normal_(tl.empty(4)).numpy())


def test_initialisers_work_on_parameters_without_recording_graph():
    layer = nn.Linear(3, 4)
    init.xavier_uniform_(layer.weight)
    init.zeros_(layer.bias)
    assert layer.weight.is_leaf and layer.weight.grad_fn is None and layer.weight.requires_grad
    assert layer.bias.tolist() == [0.0] * 4


def test_float64_tensors_stay_float64():
    t = tl.empty(3, 3, dtype=tl.float64)
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_,
               init.trunc_normal_):
        assert fn(t).dtype == tl.float64


@pytest.mark.torch
def test_default_layer_init_distributions_match_pytorch_bounds():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for ours, theirs, fan_in in [(nn.Linear(300, 200), torch.nn.Linear(300, 200), 300),
                                 (nn.Bilinear(30, 20, 50), torch.nn.Bilinear(30, 20, 50), 30)]:
        bound = 1 / math.sqrt(fan_in)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            a, b = p.detach().numpy(), q.detach().numpy()
            assert a.shape == b.shape
            assert np.abs(a).max() <= bound and np.abs(b).max() <= bound, name
        a, b = ours.weight.detach().numpy(), theirs.weight.detach().numpy()
        assert abs(a.std() - b.std()) < 0.05 * b.std()


def test_deprecated_aliases_warn_and_work():
    with pytest.warns(FutureWarning, match="nn.init.xavier_uniform_"):
        t = init.xavier_uniform(tl.empty(3, 4))
    assert np.abs(t.numpy()).max() <= math.sqrt(6 / 7)
