"""scaled_dot_product_attention and MultiheadAttention: float64 gradchecks (the oracle without torch), PyTorch
with copied weights when installed (outputs and every gradient), mask semantics and bad-input errors."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck


def _randn(*shape, grad=True):
    return tl.randn(*shape, dtype=tl.float64, requires_grad=grad)


def _naive_attention(q, k, v, mask=None, scale=None):
    """Reference on raw arrays: softmax(q k^T * scale + mask) v."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        scores = scores + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)) @ v


# ------------------------------------------------------------------------------------------ sdpa: gradchecks
@pytest.mark.parametrize("case", ["plain", "causal", "bool_mask", "float_mask", "scale", "gqa", "broadcast"])
def test_sdpa_gradcheck(case):
    tl.manual_seed(0)
    heads_kv = 2 if case == "gqa" else 3
    q, k, v = _randn(2, 3, 4, 5), _randn(2, heads_kv, 6, 5), _randn(2, heads_kv, 6, 4)
    if case == "broadcast":
        k, v = _randn(1, 3, 6, 5), _randn(1, 3, 6, 4)
    kwargs = {"causal": {"is_causal": True}, "scale": {"scale": 0.37}, "gqa": {"enable_gqa": True}}.get(case, {})
    if case == "gqa":
        q = _randn(2, 4, 4, 5)
    inputs = [q, k, v]
    if case == "bool_mask":
        kwargs["attn_mask"] = tl.tensor(np.random.default_rng(1).random((4, 6)) > 0.3)
    if case == "float_mask":  # a float mask is added to the scores, so it gets a gradient too
        inputs.append(_randn(3, 4, 6))
        assert gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), inputs)
        return
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs), inputs)


def test_sdpa_gradcheck_with_dropout_mask_fixed_by_seed():
    q, k, v = _randn(2, 2, 3, 4), _randn(2, 2, 5, 4), _randn(2, 2, 5, 3)

    def attention(q, k, v):
        tl.manual_seed(7)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    assert gradcheck(attention, (q, k, v))


@pytest.mark.parametrize("dropout_p", [0.0, 0.3])
def test_sdpa_gradcheck_in_blocks(monkeypatch, dropout_p):
    """The kernel walks the batch in blocks of scores; force one (batch, head) per block."""
    from tensorlib.kernels import attention as kernel
    monkeypatch.setattr(kernel, "_BLOCK_BYTES", 1)
    q, k, v, mask = _randn(2, 4, 3, 5), _randn(1, 2, 6, 5), _randn(1, 2, 6, 4), _randn(4, 3, 6)

    def attention(q, k, v, mask):
        tl.manual_seed(7)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p, enable_gqa=True)
    assert gradcheck(attention, (q, k, v, mask))


def test_sdpa_matches_naive_formula_and_grad_fn_name():
    q, k, v = _randn(2, 4, 3), _randn(2, 5, 3), _randn(2, 5, 2)
    mask = np.random.default_rng(0).random((4, 5)) > 0.2
    mask[:, 0] = True
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=tl.tensor(mask))
    expected = _naive_attention(q.detach().numpy(), k.detach().numpy(), v.detach().numpy(), mask)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert out.grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert out.shape == (2, 4, 2)


def test_sdpa_causal_equals_lower_triangular_bool_mask():
    q, k, v = _randn(3, 4, 5, grad=False), _randn(3, 6, 5, grad=False), _randn(3, 6, 2, grad=False)
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    masked = F.scaled_dot_product_attention(q, k, v, attn_mask=tl.ones(4, 6, dtype=tl.bool).tril())
    np.testing.assert_allclose(causal.numpy(), masked.numpy(), rtol=1e-12)


def test_sdpa_fully_masked_row_gives_zeros_and_zero_grads():
    q, k, v = _randn(1, 3, 4), _randn(1, 5, 4), _randn(1, 5, 4)
    mask = tl.ones(3, 5, dtype=tl.bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    out.sum().backward()
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(k.grad.numpy()).all()
    np.testing.assert_array_equal(out.detach().numpy()[0, 1], 0.0)
    np.testing.assert_array_equal(q.grad.numpy()[0, 1], 0.0)


def test_sdpa_huge_scores_stay_finite():
    q = tl.full((1, 2, 4), 300.0)
    k = tl.tensor([[[300.0, 300, 300, 300], [-300.0, 0, 0, 0]]])
    out = F.scaled_dot_product_attention(q, k, tl.eye(2).reshape(1, 2, 2))
    np.testing.assert_allclose(out.numpy(), [[[1, 0], [1, 0]]], atol=1e-6)


def test_sdpa_dropout_uses_framework_rng():
    q, k, v = (tl.randn(2, 2, 8, 4) for _ in range(3))
    tl.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tl.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert a.equal(b)
    assert not a.equal(F.scaled_dot_product_attention(q, k, v))
    assert F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).abs().sum().item() == 0


def test_sdpa_float32_stays_float32():
    q = tl.randn(2, 3, 4)
    assert F.scaled_dot_product_attention(q, q, q).dtype == tl.float32
    assert F.scaled_dot_product_attention(q, q, q, attn_mask=tl.zeros(3, 3, dtype=tl.float64)).dtype == tl.float32


@pytest.mark.parametrize("make, match", [
    (lambda q: dict(attn_mask=tl.ones(4, 5, dtype=tl.bool)), r"attn_mask of shape \(4, 5\).*\(L, S\) = \(3, 5\)"),
    (lambda q: dict(attn_mask=tl.ones(3, 5, dtype=tl.int64)), "bool or float"),
    (lambda q: dict(attn_mask=tl.ones(3, 5, dtype=tl.bool), is_causal=True), "is_causal"),
])
def test_sdpa_bad_masks(make, match):
    q, k = tl.randn(2, 3, 4), tl.randn(2, 5, 4)
    with pytest.raises(RuntimeError, match=match):
        F.scaled_dot_product_attention(q, k, k, **make(q))


def test_sdpa_bad_inputs():
    q = tl.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="embedding size"):
        F.scaled_dot_product_attention(q, tl.randn(2, 3, 5), q)
    with pytest.raises(RuntimeError, match="enable_gqa"):
        F.scaled_dot_product_attention(tl.randn(1, 4, 3, 4), tl.randn(1, 2, 3, 4), tl.randn(1, 2, 3, 4))
    with pytest.raises(RuntimeError, match="multiple"):
        F.scaled_dot_product_attention(tl.randn(1, 3, 3, 4), tl.randn(1, 2, 3, 4), tl.randn(1, 2, 3, 4),
                                       enable_gqa=True)
    with pytest.raises(ValueError, match="dropout probability"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)


# ------------------------------------------------------------------------------------- MultiheadAttention
def test_mha_parameters_and_init():
    mha = nn.MultiheadAttention(8, 2)
    assert list(dict(mha.named_parameters())) == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                  "out_proj.bias"]
    assert mha.in_proj_weight.shape == (24, 8) and mha.in_proj_bias.abs().sum().item() == 0
    assert mha.out_proj.bias.abs().sum().item() == 0
    bound = np.sqrt(6 / (24 + 8))  # xavier_uniform_ of the packed (3E, E) weight
    assert mha.in_proj_weight.abs().max().item() <= bound
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)
    shapes = {name: tuple(p.shape) for name, p in separate.named_parameters()}
    assert shapes == {"q_proj_weight": (8, 8), "k_proj_weight": (8, 3), "v_proj_weight": (8, 5), "bias_k": (1, 1, 8),
                      "bias_v": (1, 1, 8), "out_proj.weight": (8, 8)}
    assert type(mha.out_proj).__name__ == "NonDynamicallyQuantizableLinear"


def test_mha_embed_dim_must_divide_by_heads():
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(0, 1)


@pytest.mark.parametrize("kwargs", [{}, {"add_bias_kv": True, "add_zero_attn": True}, {"kdim": 3, "vdim": 5}])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_gradcheck(kwargs, need_weights):
    tl.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, **kwargs).double()
    q = _randn(3, 2, 4)
    k, v = _randn(5, 2, kwargs.get("kdim", 4)), _randn(5, 2, kwargs.get("vdim", 4))
    padding = tl.tensor([[False, False, True, False, True], [False] * 5])
    params = [p for p in mha.parameters()]

    def run(q, k, v, *weights):
        return mha(q, k, v, key_padding_mask=padding, need_weights=need_weights)[0]
    assert gradcheck(run, [q, k, v] + params)


def test_mha_self_attention_unbatched_and_batch_first_agree():
    tl.manual_seed(0)
    mha = nn.MultiheadAttention(6, 3)
    x = tl.randn(4, 6)
    single, weights = mha(x, x, x)
    assert single.shape == (4, 6) and weights.shape == (4, 4)
    batched = mha(x.unsqueeze(1), x.unsqueeze(1), x.unsqueeze(1), need_weights=False)[0]
    np.testing.assert_allclose(batched.squeeze(1).detach().numpy(), single.detach().numpy(), rtol=1e-5, atol=1e-6)
    mha.batch_first = True
    first = mha(x.unsqueeze(0), x.unsqueeze(0), x.unsqueeze(0))[0]
    np.testing.assert_allclose(first.squeeze(0).detach().numpy(), single.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_mha_bad_input_errors_name_layouts():
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(nn.ModuleShapeError, match=r"MultiheadAttention.*\(N, L, E\) \(batch_first=True, as this "
                                                    r"layer; \(L, N, E\) needs batch_first=False\)"):
        mha(tl.randn(2, 3, 4, 8), tl.randn(2, 3, 4, 8), tl.randn(2, 3, 4, 8))
    with pytest.raises(nn.ModuleShapeError, match="8 features"):
        mha(tl.randn(2, 3, 7), tl.randn(2, 3, 7), tl.randn(2, 3, 7))
    x = tl.randn(2, 3, 8)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(4, 4\), but should be \(3, 3\)"):
        mha(x, x, x, attn_mask=tl.zeros(4, 4))
    with pytest.raises(RuntimeError, match=r"3D attn_mask is \(2, 3, 3\), but should be \(4, 3, 3\)"):
        mha(x, x, x, attn_mask=tl.zeros(2, 3, 3))
    with pytest.raises(AssertionError, match=r"key_padding_mask shape of \(2, 3\)"):
        mha(x, x, x, key_padding_mask=tl.zeros(2, 4, dtype=tl.bool))
    with pytest.raises(AssertionError, match="only bool and floating"):
        mha(x, x, x, attn_mask=tl.zeros(3, 3, dtype=tl.int64))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)


# ------------------------------------------------------------------------------------ against PyTorch
torch = pytest.importorskip("torch")


def _pair(*shape, seed=0):
    array = np.random.default_rng(seed).standard_normal(shape)
    return tl.tensor(array, dtype=tl.float64, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_close(ours, theirs, atol=1e-9):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-7, atol=atol)


@pytest.mark.parametrize("case", ["plain", "causal", "bool", "float", "gqa", "fully_masked", "unbatched"])
def test_sdpa_matches_torch(case):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    heads_kv = 2 if case == "gqa" else 4
    (q, tq), (k, tk), (v, tv) = _pair(2, 4, 5, 8, seed=1), _pair(2, heads_kv, 7, 8, seed=2), \
        _pair(2, heads_kv, 7, 6, seed=3)
    if case == "unbatched":
        (q, tq), (k, tk), (v, tv) = _pair(5, 8, seed=1), _pair(7, 8, seed=2), _pair(7, 6, seed=3)
    kwargs, tkwargs, pairs = {}, {}, []
    if case == "causal":
        kwargs = tkwargs = {"is_causal": True}
    if case in ("bool", "fully_masked"):
        mask = np.random.default_rng(4).random((5, 7)) > 0.4
        if case == "fully_masked":
            mask[2] = False
        kwargs, tkwargs = {"attn_mask": tl.tensor(mask)}, {"attn_mask": torch.tensor(mask)}
    if case == "float":
        m, tm = _pair(2, 1, 5, 7, seed=5)
        kwargs, tkwargs, pairs = {"attn_mask": m}, {"attn_mask": tm}, [(m, tm)]
    if case == "gqa":
        kwargs = tkwargs = {"enable_gqa": True}
    out = F.scaled_dot_product_attention(q, k, v, **kwargs)
    with sdpa_kernel(SDPBackend.MATH):
        expected = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **tkwargs)
    grad = np.random.default_rng(6).standard_normal(tuple(expected.shape))
    out.backward(tl.from_numpy(grad))
    expected.backward(torch.tensor(grad))
    assert_close(out, expected)
    for ours, theirs in [(q, tq), (k, tk), (v, tv)] + pairs:
        assert_close(ours.grad, theirs.grad)


def _torch_mha(mha: nn.MultiheadAttention, **kwargs):
    reference = torch.nn.MultiheadAttention(mha.embed_dim, mha.num_heads, batch_first=mha.batch_first,
                                            **kwargs).double()
    mha.load_state_dict({k: tl.tensor(v.numpy()) for k, v in reference.state_dict().items()})
    return reference


def _compare_params(ours: nn.Module, theirs, atol=1e-9):
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad is not None, name
        assert_close(p.grad, theirs_params[name].grad, atol)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "padding", "both", "causal"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_matches_torch(batch_first, masks, need_weights):
    mha = nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    reference = _torch_mha(mha)
    shape = (3, 4, 8) if batch_first else (4, 3, 8)
    x, tx = _pair(*shape, seed=1)
    kwargs, tkwargs = {"need_weights": need_weights}, {"need_weights": need_weights}
    rng = np.random.default_rng(2)
    if masks in ("bool", "both"):
        mask = rng.random((4, 4)) > 0.7
        kwargs["attn_mask"], tkwargs["attn_mask"] = tl.from_numpy(mask), torch.tensor(mask)
    if masks == "float":
        mask = rng.standard_normal((6, 4, 4))
        kwargs["attn_mask"], tkwargs["attn_mask"] = tl.from_numpy(mask), torch.tensor(mask)
    if masks in ("padding", "both"):
        padding = np.array([[False, False, True, True], [False] * 4, [False, True, False, False]])
        kwargs["key_padding_mask"], tkwargs["key_padding_mask"] = tl.tensor(padding), torch.tensor(padding)
    if masks == "causal":
        causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=tl.float64)
        kwargs.update(attn_mask=causal, is_causal=True)
        tkwargs.update(attn_mask=torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64),
                       is_causal=True)
    out, weights = mha(x, x, x, **kwargs)
    expected, expected_weights = reference(tx, tx, tx, **tkwargs)
    assert_close(out, expected)
    if need_weights:
        assert_close(weights, expected_weights)
    else:
        assert weights is None and expected_weights is None
    grad = np.random.default_rng(3).standard_normal(shape)
    out.backward(tl.from_numpy(grad))
    expected.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad)
    _compare_params(mha, reference)


@pytest.mark.parametrize("kwargs", [{"kdim": 3, "vdim": 5}, {"add_bias_kv": True, "add_zero_attn": True},
                                    {"bias": False}])
def test_mha_cross_attention_variants_match_torch(kwargs):
    mha = nn.MultiheadAttention(8, 4, **kwargs).double()
    reference = _torch_mha(mha, **kwargs)
    (q, tq), (k, tk), (v, tv) = _pair(4, 2, 8, seed=1), _pair(6, 2, kwargs.get("kdim", 8), seed=2), \
        _pair(6, 2, kwargs.get("vdim", 8), seed=3)
    padding = np.array([[False] * 5 + [True], [True] + [False] * 5])
    out, weights = mha(q, k, v, key_padding_mask=tl.tensor(padding), average_attn_weights=False)
    expected, expected_weights = reference(tq, tk, tv, key_padding_mask=torch.tensor(padding),
                                           average_attn_weights=False)
    assert_close(out, expected)
    assert_close(weights, expected_weights)
    out.sum().backward()
    expected.sum().backward()
    for ours, theirs in ((q, tq), (k, tk), (v, tv)):
        assert_close(ours.grad, theirs.grad)
    _compare_params(mha, reference)


@pytest.mark.filterwarnings("error")
def test_mha_fully_padded_row_matches_torch():
    """Every key of one sequence padded: PyTorch gives NaN rows (weights path) or zeros (fused path); so do we."""
    mha = nn.MultiheadAttention(4, 2).double()
    reference = _torch_mha(mha)
    x, tx = _pair(3, 2, 4)
    padding = np.array([[True, True, True], [False, False, True]])
    for need_weights in (True, False):
        out = mha(x, x, x, key_padding_mask=tl.tensor(padding), need_weights=need_weights)[0]
        expected = reference(tx, tx, tx, key_padding_mask=torch.tensor(padding), need_weights=need_weights)[0]
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-7, atol=1e-9)
