"""nn.utils: clip_grad_norm_ / clip_grad_value_ / get_total_norm values and in-place effects,
parameters_to_vector / vector_to_parameters round trip, and PyTorch parity of the clipping."""

import math

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
from tensorlib.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)


def _params_with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(tl.zeros(len(g)))
        p.grad = tl.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_to_max_norm_and_returns_total():
    params = _params_with_grads([3.0, 0.0], [0.0, 4.0])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, tl.Tensor) and total.item() == pytest.approx(5.0)
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.numpy(), [3 * scale, 0], rtol=1e-6)
    np.testing.assert_allclose(params[1].grad.numpy(), [0, 4 * scale], rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = _params_with_grads([0.3, 0.4])
    assert clip_grad_norm_(params, 10.0).item() == pytest.approx(0.5)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.3, 0.4], rtol=1e-6)


def test_clip_grad_norm_other_norms_and_single_tensor():
    params = _params_with_grads([1.0, -2.0], [3.0])
    assert clip_grad_norm_(params, 100.0, norm_type=1).item() == pytest.approx(6.0)
    assert clip_grad_norm_(params, 100.0, norm_type=float("inf")).item() == pytest.approx(3.0)
    assert clip_grad_norm_(params, 100.0, norm_type=3).item() == pytest.approx((1 + 8 + 27) ** (1 / 3), rel=1e-5)
    single = _params_with_grads([6.0, 8.0])[0]
    assert clip_grad_norm_(single, 5.0).item() == pytest.approx(10.0)
    np.testing.assert_allclose(single.grad.numpy(), [3.0, 4.0], rtol=1e-5)


def test_clip_grad_norm_skips_missing_grads_and_empty():
    p = nn.Parameter(tl.ones(2))
    assert clip_grad_norm_([p], 1.0).item() == 0.0
    params = _params_with_grads([3.0, 4.0]) + [p]
    assert clip_grad_norm_(params, 1.0).item() == pytest.approx(5.0)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_nonfinite_norm_raises_when_asked():
    params = _params_with_grads([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_(_params_with_grads([float("inf")]), 1.0).item())


def test_get_total_norm():
    assert get_total_norm([tl.tensor([3.0]), tl.tensor([4.0])]).item() == pytest.approx(5.0)


def test_clip_grad_value():
    params = _params_with_grads([-3.0, 0.5, 2.0])
    assert clip_grad_value_(params, 1.0) is None
    assert params[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_to_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(vec[:12].detach().numpy(), model[0].weight.detach().numpy().reshape(-1))
    vector_to_parameters(tl.arange(float(vec.numel())), model.parameters())
    assert model[0].bias.tolist() == [12.0, 13.0, 14.0, 15.0]
    assert model[1].weight.shape == (2, 4) and model[1].weight.tolist()[0][0] == 16.0
    assert model[1].weight.requires_grad and model[1].weight.grad_fn is None
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        vector_to_parameters([1.0], model.parameters())


def test_parameters_to_vector_is_differentiable():
    layer = nn.Linear(2, 2)
    (parameters_to_vector(layer.parameters()) ** 2).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), 2 * layer.weight.detach().numpy())


@pytest.mark.torch
def test_clipping_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    for norm_type in (2.0, 1.0, float("inf"), 3.0):
        ours = _params_with_grads(*[g.reshape(-1) for g in grads])
        theirs = [torch.zeros(g.size, requires_grad=True) for g in grads]
        for t, g in zip(theirs, grads):
            t.grad = torch.tensor(g.reshape(-1), dtype=torch.float32)
        a = clip_grad_norm_(ours, 0.5, norm_type)
        b = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
        assert a.item() == pytest.approx(b.item(), rel=1e-5)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5)
