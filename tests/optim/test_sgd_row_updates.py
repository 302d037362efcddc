"""SGD updates only the looked-up rows of an embedding when its gradient is known to be zero elsewhere
(``grad_row_support``), with exactly the result of the dense update; the hint is forgotten whenever the gradient
stops being a single row-scatter."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
from tensorlib.autograd.engine import grad_row_support

RNG = np.random.default_rng(0)


def _dense_sgd(weight: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    return weight + np.float32(-lr) * grad


def _embedding(rows=50, dim=3):
    emb = nn.Embedding(rows, dim)
    return emb, emb.weight.detach().numpy().copy()


@pytest.mark.parametrize("layer", ["embedding", "bag"])
def test_row_update_equals_dense_update_bit_for_bit(layer):
    if layer == "embedding":
        module, before = _embedding()
        out = module(tl.tensor([[3, 7, 7], [9, 3, 1]]))
    else:
        module = nn.EmbeddingBag(50, 3, mode="mean")
        before = module.weight.detach().numpy().copy()
        out = module(tl.tensor([3, 7, 7, 9, 3, 1]), tl.tensor([0, 2]))
    (out * tl.tensor(RNG.standard_normal(out.shape), dtype=tl.float32)).sum().backward()
    grad = module.weight.grad.numpy().copy()
    np.testing.assert_array_equal(grad_row_support(module.weight.grad), [1, 3, 7, 9])
    tl.optim.SGD(module.parameters(), lr=0.5).step()
    np.testing.assert_array_equal(module.weight.detach().numpy(), _dense_sgd(before, grad, 0.5))


def test_second_backward_accumulates_and_the_update_covers_both_lookups():
    emb, before = _embedding()
    emb(tl.tensor([1, 2])).sum().backward()
    emb(tl.tensor([30, 40])).sum().backward()
    assert grad_row_support(emb.weight.grad) is None
    grad = emb.weight.grad.numpy().copy()
    tl.optim.SGD(emb.parameters(), lr=0.1).step()
    after = emb.weight.detach().numpy()
    np.testing.assert_array_equal(after, _dense_sgd(before, grad, 0.1))
    assert not np.array_equal(after[[30, 40]], before[[30, 40]])


def test_weight_used_twice_in_one_graph_has_no_row_hint():
    emb, before = _embedding()
    (emb(tl.tensor([1])).sum() + emb(tl.tensor([20])).sum()).backward()
    assert grad_row_support(emb.weight.grad) is None
    grad = emb.weight.grad.numpy().copy()
    tl.optim.SGD(emb.parameters(), lr=0.1).step()
    np.testing.assert_array_equal(emb.weight.detach().numpy(), _dense_sgd(before, grad, 0.1))


def test_in_place_change_of_the_gradient_drops_the_hint():
    emb, before = _embedding()
    emb(tl.tensor([1, 2])).sum().backward()
    emb.weight.grad.add_(1.0)  # now every row has a gradient
    assert grad_row_support(emb.weight.grad) is None
    tl.optim.SGD(emb.parameters(), lr=0.1).step()
    assert (emb.weight.detach().numpy() != before).all()


def test_gradient_hook_result_drops_the_hint():
    emb, before = _embedding()
    emb.weight.register_hook(lambda g: g + 1.0)
    emb(tl.tensor([1, 2])).sum().backward()
    assert grad_row_support(emb.weight.grad) is None
    tl.optim.SGD(emb.parameters(), lr=0.1).step()
    assert (emb.weight.detach().numpy() != before).all()


@pytest.mark.parametrize("options", [{"momentum": 0.9}, {"weight_decay": 0.01}, {"maximize": True}])
def test_momentum_weight_decay_and_maximize_take_the_dense_path(options):
    """Momentum and weight decay change rows whose gradient is zero; all three use the dense update."""
    emb, before = _embedding()
    emb(tl.tensor([1, 2])).sum().backward()
    opt = tl.optim.SGD(emb.parameters(), lr=0.1, **options)
    opt.step()
    if "weight_decay" in options:
        assert not np.array_equal(emb.weight.detach().numpy()[5], before[5])
    emb(tl.tensor([1, 2])).sum().backward()
    opt.step()
    grad = np.zeros_like(before)
    grad[[1, 2]] = 2.0  # two accumulated backward passes, never zeroed
    if options.get("momentum"):
        expected = before - 0.1 * 1.0 * (grad / 2) - 0.1 * (0.9 * grad / 2 + grad)
        np.testing.assert_allclose(emb.weight.detach().numpy(), expected, rtol=1e-6)
    if options.get("maximize"):
        np.testing.assert_allclose(emb.weight.detach().numpy()[1], before[1] + 0.1 * 3.0, rtol=1e-6)
