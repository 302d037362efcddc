"""Transformer layers: PyTorch state_dict layout, parity with copied weights (outputs and every gradient),
initialisation, masks, norm_first, batch_first, errors; PixelShuffle/PixelUnshuffle."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    expected = [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]]
    np.testing.assert_array_equal(mask.numpy(), expected)
    assert mask.dtype == tl.float32


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    np.testing.assert_array_equal(encoder.layers[0].linear1.weight.numpy(), encoder.layers[1].linear1.weight.numpy())


def test_transformer_xavier_init_and_activation_choice():
    model = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, activation="gelu")
    weight = model.encoder.layers[0].linear1.weight  # (16, 8): xavier bound sqrt(6 / 24) = 0.5
    assert weight.abs().max().item() <= 0.5 and weight.abs().max().item() > 0.35
    assert model.encoder.layers[0].activation is F.gelu
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_encoder_layer_gradcheck_with_padding():
    tl.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True).double()
    x = tl.randn(2, 3, 4, dtype=tl.float64, requires_grad=True)
    padding = tl.tensor([[False, False, True], [False, False, False]])
    assert gradcheck(lambda x, *params: layer(x, src_key_padding_mask=padding), [x] + list(layer.parameters()))


def test_errors_name_layer_and_layouts():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
    expected = r"TransformerEncoder.*\(N, S, E\) \(batch_first=True, as this layer; \(S, N, E\) needs " \
               r"batch_first=False\) or unbatched \(S, E\)"
    with pytest.raises(nn.ModuleShapeError, match=expected):
        encoder(tl.randn(2, 3, 4, 8))
    layer = nn.TransformerDecoderLayer(8, 2, 16)
    with pytest.raises(nn.ModuleShapeError, match=r"memory.*\(S, N, E\) \(batch_first=False, as this layer; "
                                                    r"\(N, S, E\) needs batch_first=True\)"):
        layer(tl.randn(3, 2, 8), tl.randn(8))
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        model(tl.randn(3, 2, 8), tl.randn(3, 4, 8))
    with pytest.raises(RuntimeError, match="feature number"):
        model(tl.randn(3, 2, 7), tl.randn(3, 2, 7))
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(4, 4\), but should be \(3, 3\)"):
        model(tl.randn(3, 2, 8), tl.randn(3, 2, 8), src_mask=tl.zeros(4, 4))


def test_unbatched_input_matches_batch_of_one():
    tl.manual_seed(0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2)
    x = tl.randn(5, 8)
    np.testing.assert_allclose(encoder(x).detach().numpy(), encoder(x.unsqueeze(1)).squeeze(1).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("upscale", [2, 3])
def test_pixel_shuffle_roundtrip_and_layout(upscale):
    x = tl.arange(2 * 2 * upscale ** 2 * 3 * 2, dtype=tl.float32).reshape(2, 2 * upscale ** 2, 3, 2)
    y = nn.PixelShuffle(upscale)(x)
    assert y.shape == (2, 2, 3 * upscale, 2 * upscale)
    # out[n, c, h * r + i, w * r + j] = in[n, c * r * r + i * r + j, h, w]
    assert y[1, 1, 1 * upscale + 1, 0 * upscale + 0].item() == x[1, 1 * upscale ** 2 + 1 * upscale + 0, 1, 0].item()
    assert nn.PixelUnshuffle(upscale)(y).equal(x)
    assert repr(nn.PixelShuffle(upscale)) == f"PixelShuffle(upscale_factor={upscale})"


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(tl.randn(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(tl.randn(4, 2), 2)
    with pytest.raises(RuntimeError, match="width to be divisible"):
        F.pixel_unshuffle(tl.randn(1, 1, 4, 3), 2)


# ------------------------------------------------------------------------------------ against PyTorch
torch = pytest.importorskip("torch")


def _copy_from(ours: nn.Module, theirs) -> None:
    ours.load_state_dict({k: tl.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})


def _pair(*shape, seed=0):
    array = np.random.default_rng(seed).standard_normal(shape)
    return tl.tensor(array, dtype=tl.float64, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_close(ours, theirs, atol=1e-8):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=atol)


def _check_backward(ours_out, theirs_out, inputs, ours_module, theirs_module):
    grad = np.random.default_rng(9).standard_normal(tuple(theirs_out.shape))
    ours_out.backward(tl.from_numpy(grad))
    theirs_out.backward(torch.tensor(grad))
    for ours, theirs in inputs:
        assert_close(ours.grad, theirs.grad)
    theirs_params = dict(theirs_module.named_parameters())
    assert set(theirs_params) == {name for name, _ in ours_module.named_parameters()}
    for name, p in ours_module.named_parameters():
        assert_close(p.grad, theirs_params[name].grad)


def _state_dict_layout(module) -> list:
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]


@pytest.mark.parametrize("build", [
    lambda m: m.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True),
    lambda m: m.TransformerEncoderLayer(8, 2, 16, bias=False),
    lambda m: m.TransformerDecoder(m.TransformerDecoderLayer(8, 2, 16), 2, m.LayerNorm(8)),
    lambda m: m.Transformer(8, 2, 2, 1, 16),
])
def test_state_dict_keys_and_shapes_match_torch(build):
    assert _state_dict_layout(build(nn)) == _state_dict_layout(build(torch.nn))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "padding", "causal", "bool"])
def test_encoder_matches_torch(batch_first, norm_first, masks):
    kwargs = dict(dim_feedforward=16, dropout=0.0, batch_first=batch_first, norm_first=norm_first,
                  activation="gelu" if norm_first else "relu")
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kwargs), 2,
                                         norm=torch.nn.LayerNorm(8), enable_nested_tensor=False).double()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kwargs), 2, norm=nn.LayerNorm(8)).double()
    _copy_from(ours, theirs)
    shape = (3, 5, 8) if batch_first else (5, 3, 8)
    x, tx = _pair(*shape)
    call, tcall = {}, {}
    if masks == "padding":
        padding = np.zeros((3, 5), dtype=bool)
        padding[0, 3:] = padding[2, 1:] = True
        call["src_key_padding_mask"], tcall["src_key_padding_mask"] = tl.from_numpy(padding), torch.tensor(padding)
    if masks == "causal":
        call.update(mask=nn.Transformer.generate_square_subsequent_mask(5, dtype=tl.float64), is_causal=True)
        tcall.update(mask=torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64),
                     is_causal=True)
    if masks == "bool":
        mask = np.random.default_rng(1).random((5, 5)) > 0.7
        np.fill_diagonal(mask, False)
        call["mask"], tcall["mask"] = tl.from_numpy(mask), torch.tensor(mask)
    out, expected = ours(x, **call), theirs(tx, **tcall)
    assert_close(out, expected)
    _check_backward(out, expected, [(x, tx)], ours, theirs)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_matches_torch(batch_first, norm_first):
    kwargs = dict(dim_feedforward=16, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, **kwargs), 2).double()
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, **kwargs), 2).double()
    _copy_from(ours, theirs)
    (tgt, ttgt), (memory, tmemory) = (_pair(2, 4, 8, seed=1), _pair(2, 6, 8, seed=2)) if batch_first else \
        (_pair(4, 2, 8, seed=1), _pair(6, 2, 8, seed=2))
    padding = np.array([[False] * 5 + [True], [False] * 6])
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=tl.float64)
    out = ours(tgt, memory, tgt_mask=tgt_mask, memory_key_padding_mask=tl.from_numpy(padding))
    expected = theirs(ttgt, tmemory, tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4).double(),
                      memory_key_padding_mask=torch.tensor(padding))
    assert_close(out, expected)
    _check_backward(out, expected, [(tgt, ttgt), (memory, tmemory)], ours, theirs)


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer_matches_torch(batch_first):
    theirs = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=batch_first).double()
    ours = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=batch_first).double()
    _copy_from(ours, theirs)
    (src, tsrc), (tgt, ttgt) = (_pair(2, 5, 8, seed=1), _pair(2, 3, 8, seed=2)) if batch_first else \
        (_pair(5, 2, 8, seed=1), _pair(3, 2, 8, seed=2))
    padding = np.array([[False] * 4 + [True], [False] * 5])
    out = ours(src, tgt, tgt_mask=ours.generate_square_subsequent_mask(3, dtype=tl.float64),
               src_key_padding_mask=tl.from_numpy(padding), memory_key_padding_mask=tl.from_numpy(padding))
    expected = theirs(tsrc, ttgt, tgt_mask=theirs.generate_square_subsequent_mask(3, dtype=torch.float64),
                      src_key_padding_mask=torch.tensor(padding), memory_key_padding_mask=torch.tensor(padding))
    assert_close(out, expected)
    _check_backward(out, expected, [(src, tsrc), (tgt, ttgt)], ours, theirs)


def test_pixel_shuffle_matches_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 18, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(F.pixel_shuffle(tl.from_numpy(x), 3).numpy(),
                                  torch.nn.functional.pixel_shuffle(torch.tensor(x), 3).numpy())
    y = np.random.default_rng(1).standard_normal((2, 3, 6, 4)).astype(np.float32)
    np.testing.assert_array_equal(F.pixel_unshuffle(tl.from_numpy(y), 2).numpy(),
                                  torch.nn.functional.pixel_unshuffle(torch.tensor(y), 2).numpy())


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_fully_padded_sequence_matches_torch_without_warnings():
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
                                         1, enable_nested_tensor=False).double()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 1).double()
    _copy_from(ours, theirs)
    x, tx = _pair(2, 3, 8)
    padding = np.array([[True, True, True], [False, True, False]])
    out = ours(x, src_key_padding_mask=tl.from_numpy(padding))
    expected = theirs(tx, src_key_padding_mask=torch.tensor(padding))
    assert np.isfinite(out.detach().numpy()).all()
    assert_close(out, expected)
