"""Higher-order gradients: create_graph=True on backward/grad, gradgradcheck over the declarative op table,
third derivatives against closed forms, and the errors of differentiating a gradient without a graph."""

from __future__ import annotations

import numpy as np
import pytest
from test_ops_table import BINARY, BINARY_SHAPES, UNARY, UNARY_SHAPES, WITH_DIMS, _input

import tensorlib as tl
from tensorlib.autograd import gradgradcheck


def _f64(arrays):
    return [tl.tensor(a, dtype=tl.float64, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_gradgradcheck_unary(name, fn, ref, domain, shape):
    assert gradgradcheck(fn, _f64([_input(shape, domain)]))


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref,domain", BINARY, ids=[b[0] for b in BINARY])
def test_gradgradcheck_binary(name, fn, ref, domain, shapes):
    a = _input(shapes[0], domain, seed=1)
    b = _input(shapes[1], domain, seed=2)
    if domain == "distinct":
        b = b + 0.05
    assert gradgradcheck(fn, _f64([a, b]))


@pytest.mark.parametrize("name,fn,ref,shape", WITH_DIMS, ids=[w[0] for w in WITH_DIMS])
def test_gradgradcheck_with_dims(name, fn, ref, shape):
    x = _input(shape, "nonzero" if name.startswith(("prod", "cumprod")) else "distinct")
    assert gradgradcheck(fn, _f64([x]))


# ---------------------------------------------------------------------------------------------- nn layers
def _layer_cases():
    nn = tl.nn
    return {
        "linear": (nn.Linear(4, 3), (2, 4)),
        "conv1d": (nn.Conv1d(2, 3, 3, padding=1), (2, 2, 5)),
        "conv2d": (nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 5)),
        "conv_transpose2d": (nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), (1, 2, 3, 3)),
        "batch_norm2d": (nn.BatchNorm2d(3), (4, 3, 2, 2)),
        "layer_norm": (nn.LayerNorm(4), (3, 4)),
        "group_norm": (nn.GroupNorm(2, 4), (2, 4, 3)),
        "prelu": (nn.PReLU(3), (2, 3, 4)),
        "embedding": (nn.Embedding(5, 3), None),
    }


@pytest.mark.parametrize("name", list(_layer_cases()))
def test_gradgradcheck_nn_layers_with_parameters(name):
    module, shape = _layer_cases()[name]
    module = module.double()
    params = [p for p in module.parameters()]
    rng = np.random.default_rng(3)
    if shape is None:  # embedding: only the weight is differentiable
        index = tl.tensor([[0, 4], [2, 2]])
        assert gradgradcheck(lambda *p: module(index) ** 2, tuple(params))
        return
    x = tl.tensor(rng.standard_normal(shape), dtype=tl.float64, requires_grad=True)
    assert gradgradcheck(lambda x, *p: module(x), (x, *params))


def test_loss_and_pooling_second_derivatives():
    F = tl.nn.functional
    rng = np.random.default_rng(4)
    x = tl.tensor(rng.standard_normal((3, 4)), dtype=tl.float64, requires_grad=True)
    y = tl.tensor(rng.standard_normal((3, 4)), dtype=tl.float64, requires_grad=True)
    target = tl.tensor([1, 0, 3])
    assert gradgradcheck(lambda x: F.cross_entropy(x, target, label_smoothing=0.1), (x,))
    assert gradgradcheck(lambda x: F.nll_loss(x.log_softmax(1), target), (x,))
    assert gradgradcheck(lambda x, y: F.mse_loss(x, y) + F.smooth_l1_loss(x, y, beta=0.5), (x, y))
    assert gradgradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()), (x, y))
    assert gradgradcheck(lambda x, y: F.kl_div(x.log_softmax(1), y.softmax(1), reduction="batchmean"), (x, y))
    image = tl.tensor(rng.standard_normal((2, 2, 4, 4)), dtype=tl.float64, requires_grad=True)
    assert gradgradcheck(lambda z: F.max_pool2d(z * z, 2), (image,))
    assert gradgradcheck(lambda z: F.avg_pool2d(z * z, 2), (image,))
    assert gradgradcheck(lambda z: F.gelu(z) * F.silu(z), (image,))


# ----------------------------------------------------------------------------------- third-order closed forms
@pytest.mark.parametrize("fn,third", [
    (lambda x: x ** 4, lambda x: 24 * x),
    (lambda x: x.sin(), lambda x: -np.cos(x)),
    (lambda x: (2 * x).exp(), lambda x: 8 * np.exp(2 * x)),
    (lambda x: x.log(), lambda x: 2 / x ** 3),
    (lambda x: x.tanh(), lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2)),
    (lambda x: x.sigmoid() * x, None),
], ids=["pow4", "sin", "exp2x", "log", "tanh", "silu_numeric"])
def test_third_derivative_matches_closed_form(fn, third):
    values = np.array([0.3, 0.7, 1.9])
    x = tl.tensor(values, dtype=tl.float64, requires_grad=True)
    (g1,) = tl.autograd.grad(fn(x).sum(), x, create_graph=True)
    (g2,) = tl.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = tl.autograd.grad(g2.sum(), x)
    if third is None:  # central difference of the analytic second derivative
        eps = 1e-5

        def second(v):
            t = tl.tensor(v, dtype=tl.float64, requires_grad=True)
            (a,) = tl.autograd.grad(fn(t).sum(), t, create_graph=True)
            return tl.autograd.grad(a.sum(), t)[0].numpy()

        expected = (second(values + eps) - second(values - eps)) / (2 * eps)
    else:
        expected = third(values)
    np.testing.assert_allclose(g3.numpy(), expected, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------------------------ engine behaviour
def test_backward_create_graph_gives_differentiable_leaf_grad_and_retains_graph():
    x = tl.tensor([1.0, 2.0], dtype=tl.float64, requires_grad=True)
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert x.grad.grad_fn is not None
    np.testing.assert_allclose(x.grad.detach().numpy(), [3.0, 12.0])
    first = x.grad
    x.grad = None
    first.sum().backward()  # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])
    y.backward()  # create_graph implies retain_graph: the forward graph is still there
    np.testing.assert_allclose(x.grad.numpy(), [9.0, 24.0])


def test_hooks_see_tensor_gradients_under_create_graph():
    x = tl.tensor([1.0, -2.0], dtype=tl.float64, requires_grad=True)
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append(g.requires_grad) or g * 2)
    (g,) = tl.autograd.grad((h * x).sum(), x, create_graph=True)
    assert seen == [True]
    # d/dx [2 x * x (from the hooked path, doubled) ... ]: h*x = x^3 with the h-path gradient doubled
    np.testing.assert_allclose(g.detach().numpy(), 2 * 2 * np.array([1.0, -2.0]) ** 2 + np.array([1.0, 4.0]))


def test_differentiating_a_gradient_computed_without_create_graph_raises_with_hint():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tl.autograd.grad((x * x).sum(), x)
    assert g.grad_fn is None and not g.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn.*create_graph=True"):
        g.sum().backward()


def test_allow_unused_false_names_the_unused_input():
    x = tl.tensor([1.0], requires_grad=True)
    unused = tl.tensor([2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 1, shape \[2\]"):
        tl.autograd.grad((x * 2).sum(), [x, unused], create_graph=True)


def test_kernel_without_differentiable_backward_is_named():
    from tensorlib.autograd.function import Function

    class Opaque(Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g * 2

    x = tl.tensor([1.0], requires_grad=True)
    y = Opaque.apply(x).sum()
    assert tl.autograd.grad(y, x, retain_graph=True)[0].item() == 2.0  # first order unaffected
    with pytest.raises(RuntimeError, match="OpaqueBackward0 does not support create_graph=True"):
        tl.autograd.grad(y, x, create_graph=True)


# --------------------------------------------------------------------------------- custom autograd.Function
class _MyExp(tl.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class _OnceCube(tl.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @tl.autograd.function.once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_custom_function_double_backward_through_saved_output():
    x = tl.tensor([0.3, -0.5], dtype=tl.float64, requires_grad=True)
    assert gradgradcheck(_MyExp.apply, (x,))
    (g,) = tl.autograd.grad(_MyExp.apply(x).sum(), x, create_graph=True)
    (h,) = tl.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), np.exp([0.3, -0.5]))


def test_once_differentiable_first_order_works_and_second_order_names_the_function():
    x = tl.tensor([0.5, 2.0], dtype=tl.float64, requires_grad=True)
    (g,) = tl.autograd.grad(_OnceCube.apply(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([0.5, 2.0]) ** 2)
    y = _OnceCube.apply(x)
    (g,) = tl.autograd.grad((y * y).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable.*_OnceCube"):
        g.sum().backward()


# ------------------------------------------------------------------------------------ WGAN-GP against PyTorch
def test_wgan_gp_critic_step_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    real, fake = rng.standard_normal((6, 10)), rng.standard_normal((6, 10))
    alpha = rng.uniform(size=(6, 1))
    weights = [rng.standard_normal((16, 10)) * 0.3, rng.standard_normal(16) * 0.1,
               rng.standard_normal((1, 16)) * 0.3, rng.standard_normal(1) * 0.1]

    def critic_loss(lib, params, F):
        def critic(x):
            hidden = F.leaky_relu(F.linear(x, params[0], params[1]), 0.2)
            return F.linear(hidden.tanh() * hidden, params[2], params[3])

        r, f, a = (lib.tensor(v, dtype=lib.float64) for v in (real, fake, alpha))
        interpolates = (a * r + (1 - a) * f).requires_grad_(True)
        (grads,) = lib.autograd.grad(critic(interpolates).sum(), interpolates, create_graph=True)
        penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
        return -(critic(r).mean() - critic(f).mean()) + 10 * penalty

    ours = [tl.tensor(w, dtype=tl.float64, requires_grad=True) for w in weights]
    critic_loss(tl, ours, tl.nn.functional).backward()
    theirs = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    critic_loss(torch, theirs, torch.nn.functional).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------ nn.functional ops, one by one
def _functional_cases():
    F = tl.nn.functional
    rng = np.random.default_rng(5)

    def t(*shape):
        return tl.tensor(rng.standard_normal(shape), dtype=tl.float64, requires_grad=True)

    def dropout(x):
        tl.manual_seed(0)  # the same mask on every evaluation
        return F.dropout(x, 0.5, training=True)

    return {
        "conv2d_groups_stride": (lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
                                 (t(1, 4, 5, 5), t(4, 2, 3, 3))),
        "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
                             (t(1, 2, 3, 3), t(2, 3, 3, 3), t(3))),
        "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x * x, (2, 3)), (t(1, 2, 5, 6),)),
        "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x * x, (2, 2)), (t(1, 2, 5, 5),)),
        "attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v), (t(2, 3, 4), t(2, 5, 4), t(2, 5, 3))),
        "attention_mask": (lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                           (t(1, 3, 4), t(1, 3, 4), t(1, 3, 3), t(3, 3))),
        "attention_causal": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                             (t(1, 3, 4), t(1, 3, 4), t(1, 3, 2))),
        "unfold": (lambda x: F.unfold(x * x, 2, padding=1), (t(1, 2, 3, 3),)),
        "fold": (lambda x: F.fold(x * x, (3, 3), 2), (t(1, 8, 4),)),
        "interpolate_bilinear": (lambda x: F.interpolate(x * x, scale_factor=2, mode="bilinear"), (t(1, 1, 3, 3),)),
        "bilinear": (F.bilinear, (t(3, 2), t(3, 4), t(5, 2, 4), t(5))),
        "pad_constant": (lambda x: F.pad(x * x, (1, 2), value=3.0), (t(2, 3),)),
        "pad_reflect": (lambda x: F.pad(x * x, (1, 2), mode="reflect"), (t(1, 2, 4),)),
        "dropout": (lambda x: dropout(x * x), (t(3, 4),)),
        "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), (t(3, 4),)),
        "mish_softplus_elu": (lambda x: F.mish(x) + F.softplus(x, beta=2.0) + F.elu(x) + F.selu(x), (t(3, 4),)),
        "logsigmoid_softsign": (lambda x: F.logsigmoid(x) * F.softsign(x) + F.tanhshrink(x), (t(3, 4),)),
        "hardswish_leaky": (lambda x: F.hardswish(x) * F.leaky_relu(x, 0.1), (t(3, 4),)),
        "l1_huber_bce": (lambda x, y: F.l1_loss(x * x, y) + F.huber_loss(x, y, delta=0.5)
                         + F.binary_cross_entropy(x.sigmoid(), y.sigmoid()), (t(3, 4), t(3, 4))),
        "cross_entropy_soft_targets": (lambda x, y: F.cross_entropy(x, y.softmax(1)), (t(3, 4), t(3, 4))),
        "embedding_bag_mean": (lambda w: F.embedding_bag(tl.tensor([0, 2, 4, 4, 1]), w * w, tl.tensor([0, 2]),
                                                          mode="mean"), (t(5, 3),)),
        "embedding_bag_weights": (lambda w, p: F.embedding_bag(tl.tensor([[0, 2], [1, 1]]), w * w, mode="sum",
                                                               per_sample_weights=p * p), (t(5, 3), t(2, 2))),
        "embedding_bag_max_empty_bag": (lambda w: F.embedding_bag(tl.tensor([0, 2, 4, 4, 1]), w * w * w,
                                                                  tl.tensor([0, 2, 2]), mode="max"), (t(5, 3),)),
        "local_response_norm": (lambda x: F.local_response_norm(x, 2, alpha=0.5, beta=0.75, k=1.0), (t(2, 5, 3),)),
        "kl_div_log_target": (lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True), (t(3, 4), t(3, 4))),
    }


@pytest.mark.parametrize("name", list(_functional_cases()))
def test_gradgradcheck_functional_ops(name):
    fn, inputs = _functional_cases()[name]
    assert gradgradcheck(fn, inputs)


def test_third_order_through_conv_pooling_and_indexing_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x0, w0 = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)) * 0.5

    def third(lib, F):
        x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(w0, dtype=lib.float64, requires_grad=True)
        y = F.avg_pool2d(F.conv2d(x, w, padding=1) ** 3, 2)[:, 1:, :, ::2].tanh()
        (gx,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gw,) = lib.autograd.grad((gx * gx).sum(), w, create_graph=True)
        (gx3,) = lib.autograd.grad((gw ** 2).sum(), x)
        return gx3.numpy()

    np.testing.assert_allclose(third(tl, tl.nn.functional), third(torch, torch.nn.functional), rtol=1e-8,
                               atol=1e-10)


def test_gradgradcheck_attention_layers_with_parameters():
    tl.manual_seed(0)
    rng = np.random.default_rng(6)
    x = tl.tensor(rng.standard_normal((2, 3, 4)), dtype=tl.float64, requires_grad=True)
    attention = tl.nn.MultiheadAttention(4, 2, batch_first=True).double()
    assert gradgradcheck(lambda x, *p: attention(x, x, x)[0], (x, *attention.parameters()))
    encoder = tl.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, batch_first=True).double()
    assert gradgradcheck(lambda x: encoder(x), (x,))


@pytest.mark.parametrize("name", ["rnn_tanh_2_layers", "rnn_relu", "lstm_bidirectional", "lstm_proj", "gru"])
def test_gradgradcheck_recurrent_layers(name):
    nn = tl.nn
    tl.manual_seed(0)
    module = {"rnn_tanh_2_layers": lambda: nn.RNN(3, 2, num_layers=2),
              "rnn_relu": lambda: nn.RNN(3, 2, nonlinearity="relu"),
              "lstm_bidirectional": lambda: nn.LSTM(3, 2, bidirectional=True),
              "lstm_proj": lambda: nn.LSTM(3, 3, proj_size=2, batch_first=True),
              "gru": lambda: nn.GRU(3, 2, num_layers=2, bidirectional=True)}[name]().double()
    x = tl.tensor(np.random.default_rng(8).standard_normal((3, 2, 3)), dtype=tl.float64, requires_grad=True)

    def final_hidden(x):
        state = module(x)[1]
        return state[0] if isinstance(state, tuple) else state

    assert gradgradcheck(lambda x, *p: module(x)[0], (x, *module.parameters()))
    assert gradgradcheck(final_hidden, (x,))


@pytest.mark.parametrize("name", ["lstm_bidirectional", "gru_2_layers"])
def test_gradgradcheck_recurrent_layers_on_packed_sequences(name):
    nn = tl.nn
    tl.manual_seed(0)
    module = {"lstm_bidirectional": lambda: nn.LSTM(3, 2, bidirectional=True),
              "gru_2_layers": lambda: nn.GRU(3, 2, num_layers=2)}[name]().double()
    x = tl.tensor(np.random.default_rng(8).standard_normal((4, 3, 3)), dtype=tl.float64, requires_grad=True)

    def run(x, *params):
        out, state = module(nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1]))
        return nn.utils.rnn.pad_packed_sequence(out)[0], state[0] if isinstance(state, tuple) else state

    assert gradgradcheck(run, (x, *module.parameters()))


@pytest.mark.parametrize("fn", [lambda x: x.prod(1), lambda x: x.prod(0, keepdim=True), lambda x: x.prod(),
                                lambda x: x.cumprod(1), lambda x: x.cumprod(0)],
                         ids=["prod_dim", "prod_keepdim", "prod_all", "cumprod_dim1", "cumprod_dim0"])
def test_gradgradcheck_products_with_zeros(fn):
    x = tl.tensor([[1.5, 0.0, 2.0, -0.7], [0.3, 0.8, 0.0, 0.0], [1.1, -0.4, 0.6, 0.9]], dtype=tl.float64,
                  requires_grad=True)
    assert gradgradcheck(fn, (x,))
