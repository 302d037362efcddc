"""RNN / LSTM / GRU layers and cells: gradients, packed input, shapes, parameters, errors, PyTorch parity."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlib as tl
import tensorlib.nn as nn
from tensorlib.autograd import gradcheck
from tensorlib.nn.modules.module import ModuleShapeError
from tensorlib.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

SEQ, BATCH, FEAT, HIDDEN = 3, 2, 3, 2


def _layer(kind: str, *args, **kwargs):
    if kind == "relu":
        return nn.RNN(*args, nonlinearity="relu", **kwargs)
    return {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](*args, **kwargs)


def _randn(*shape, requires_grad=True):
    return tl.randn(*shape, dtype=tl.float64).requires_grad_(requires_grad)


def _states(model, batch):
    layers = model.num_layers * (2 if model.bidirectional else 1)
    h0 = _randn(layers, batch, model.proj_size or model.hidden_size)
    if model.mode == "LSTM":
        return (h0, _randn(layers, batch, model.hidden_size))
    return h0


def _flatten_result(result):
    output, state = result
    output = output.data if isinstance(output, nn.utils.rnn.PackedSequence) else output
    return (output,) + (tuple(state) if isinstance(state, tuple) else (state,))


def _check_layer_grads(model, x, hx=None, lengths=None):
    """gradcheck w.r.t. the input, the initial states and every parameter."""
    model = model.double()
    states = () if hx is None else (hx if isinstance(hx, tuple) else (hx,))
    params = tuple(model.parameters())

    def run(inp, *rest):
        state = rest[:len(states)]
        hx_arg = None if not state else (tuple(state) if len(state) == 2 else state[0])
        if lengths is not None:
            inp = pack_padded_sequence(inp, lengths, batch_first=model.batch_first, enforce_sorted=False)
        return _flatten_result(model(inp, hx_arg))

    assert gradcheck(run, (x,) + states + params)


# ---------------------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("kind", ["rnn", "relu", "lstm", "gru"])
def test_single_layer_gradcheck_with_initial_state(kind):
    model = _layer(kind, FEAT, HIDDEN)
    _check_layer_grads(model, _randn(SEQ, BATCH, FEAT), _states(model, BATCH))


@pytest.mark.parametrize("kind", ["rnn", "relu", "lstm", "gru"])
def test_two_layer_bidirectional_gradcheck(kind):
    model = _layer(kind, FEAT, HIDDEN, num_layers=2, bidirectional=True, batch_first=True)
    _check_layer_grads(model, _randn(BATCH, SEQ, FEAT), _states(model, BATCH))


def test_lstm_projection_gradcheck():
    model = nn.LSTM(FEAT, 3, proj_size=2, num_layers=2, bidirectional=True)
    _check_layer_grads(model, _randn(SEQ, BATCH, FEAT), _states(model, BATCH))


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_gradcheck_without_bias_or_state(kind):
    model = _layer(kind, FEAT, HIDDEN, bias=False)
    _check_layer_grads(model, _randn(SEQ, BATCH, FEAT))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("lengths", [None, [3, 1, 2]])
def test_output_gradient_at_some_steps_only(kind, lengths):
    # steps with an all-zero output gradient are skipped by the kernel; the others must still arrive
    model = _layer(kind, FEAT, HIDDEN, bidirectional=True).double()
    x = _randn(SEQ + 1, 3, FEAT)

    def run(inp, *params):
        if lengths is None:
            return model(inp)[0][[0, -1]]
        packed = pack_padded_sequence(inp, lengths, enforce_sorted=False)
        return pad_packed_sequence(model(packed)[0])[0][1]

    assert gradcheck(run, (x,) + tuple(model.parameters()))


@pytest.mark.parametrize("axes", [(0, 1, 2), (1, 0, 2), (2, 1, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_recurrent_kernels_find_the_steps_with_an_output_gradient_in_any_layout(axes, dtype):
    """The steps the LSTM and GRU backward add an output gradient at: those with any non-zero entry (a -0.0 may count:
    adding it changes nothing), read from any memory layout, empty batches included."""
    from tensorlib.kernels._feature_major import steps_with_gradient

    rng = np.random.default_rng(1)
    dout = np.zeros((7, 5, 4), dtype)
    dout[[1, 4, 6], rng.integers(0, 5, 3), rng.integers(0, 4, 3)] = [2.0, -1e-30, 3.5]
    dout[2, 0, 0] = -0.0
    view = np.ascontiguousarray(dout.transpose(axes)).transpose(np.argsort(axes))  # dout's values, other memory
    found = steps_with_gradient(view)
    assert [found[t] for t in (0, 1, 3, 4, 5, 6)] == [False, True, False, True, False, True]
    assert steps_with_gradient(view[::-1]) == found[::-1]
    assert steps_with_gradient(np.zeros((3, 0, 4), dtype)) == [False] * 3


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_packed_input_gradcheck(kind):
    model = _layer(kind, FEAT, HIDDEN, bidirectional=True)
    _check_layer_grads(model, _randn(SEQ, 3, FEAT), _states(model, 3), lengths=[2, 3, 1])


def test_packed_projection_gradcheck():
    model = nn.LSTM(FEAT, 3, proj_size=2, batch_first=True)
    _check_layer_grads(model, _randn(3, SEQ, FEAT), _states(model, 3), lengths=[1, 3, 2])


@pytest.mark.parametrize("cell", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_gradcheck(cell):
    model = cell(FEAT, HIDDEN).double()
    x, h = _randn(BATCH, FEAT), _randn(BATCH, HIDDEN)
    if cell is nn.LSTMCell:
        c = _randn(BATCH, HIDDEN)
        assert gradcheck(lambda *a: model(a[0], (a[1], a[2])), (x, h, c) + tuple(model.parameters()))
    else:
        assert gradcheck(lambda *a: model(a[0], a[1]), (x, h) + tuple(model.parameters()))


# ---------------------------------------------------------------------------------------------- packing
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_matches_running_each_sequence_alone(kind, bidirectional):
    model = _layer(kind, 4, 5, num_layers=2, bidirectional=bidirectional, batch_first=True)
    lengths = [3, 6, 1, 4]
    x = tl.randn(4, 6, 4)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    output, state = model(packed)
    padded, out_lengths = pad_packed_sequence(output, batch_first=True)
    assert out_lengths.tolist() == lengths
    assert padded.shape == (4, 6, 10 if bidirectional else 5)
    h_n = state[0] if kind == "lstm" else state
    for b, length in enumerate(lengths):
        alone_out, alone_state = model(x[b:b + 1, :length])
        alone_h = alone_state[0] if kind == "lstm" else alone_state
        np.testing.assert_allclose(padded[b, :length].numpy(), alone_out[0].numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h_n[:, b].numpy(), alone_h[:, 0].numpy(), rtol=1e-5, atol=1e-6)
        if kind == "lstm":
            np.testing.assert_allclose(state[1][:, b].numpy(), alone_state[1][:, 0].numpy(), rtol=1e-5, atol=1e-6)
        assert np.all(padded[b, length:].numpy() == 0)


def test_packed_output_keeps_permutation():
    model = nn.GRU(3, 2)
    packed = pack_padded_sequence(tl.randn(4, 3, 3), [2, 4, 3], enforce_sorted=False)
    output, _ = model(packed)
    assert output.batch_sizes.tolist() == packed.batch_sizes.tolist()
    assert output.sorted_indices.tolist() == [1, 2, 0]
    assert output.unsorted_indices.tolist() == [2, 0, 1]
    assert output.data.shape == (9, 2)


# ---------------------------------------------------------------------------------------------- cells
@pytest.mark.parametrize("kind,cell", [("rnn", nn.RNNCell), ("lstm", nn.LSTMCell), ("gru", nn.GRUCell)])
def test_cell_matches_one_step_layer(kind, cell):
    layer, step = _layer(kind, 4, 3), cell(4, 3)
    step.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x, h = tl.randn(5, 4), tl.randn(5, 3)
    if kind == "lstm":
        c = tl.randn(5, 3)
        out, (h_n, c_n) = layer(x.unsqueeze(0), (h.unsqueeze(0), c.unsqueeze(0)))
        h1, c1 = step(x, (h, c))
        np.testing.assert_allclose(c1.numpy(), c_n[0].numpy(), rtol=1e-6)
    else:
        out, h_n = layer(x.unsqueeze(0), h.unsqueeze(0))
        h1 = step(x, h)
    np.testing.assert_allclose(h1.numpy(), h_n[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(h1.numpy(), out[0].numpy(), rtol=1e-6)


def test_cell_unbatched_and_default_state():
    cell = nn.LSTMCell(4, 3)
    h, c = cell(tl.randn(4))
    assert h.shape == (3,) and c.shape == (3,)
    h_batched = nn.GRUCell(4, 3)(tl.randn(2, 4))
    assert h_batched.shape == (2, 3)
    with pytest.raises(ValueError, match="1D or 2D"):
        cell(tl.randn(1, 2, 4))
    with pytest.raises(ModuleShapeError, match=r"expected hidden state of shape \(2, 3\), got \(2, 4\)"):
        nn.RNNCell(4, 3)(tl.randn(2, 4), tl.randn(2, 4))


# ---------------------------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_output_shapes_batch_first_and_unbatched(kind):
    model = _layer(kind, 4, 6, num_layers=3, bidirectional=True, batch_first=True)
    output, state = model(tl.randn(2, 7, 4))
    h_n = state[0] if kind == "lstm" else state
    assert output.shape == (2, 7, 12)
    assert h_n.shape == (6, 2, 6)
    np.testing.assert_allclose(output[:, -1, :6].numpy(), h_n[4].numpy(), rtol=1e-6)
    np.testing.assert_allclose(output[:, 0, 6:].numpy(), h_n[5].numpy(), rtol=1e-6)
    single, single_state = model(tl.randn(7, 4))
    assert single.shape == (7, 12)
    assert (single_state[0] if kind == "lstm" else single_state).shape == (6, 6)


def test_lstm_projection_shapes():
    model = nn.LSTM(4, 6, proj_size=3, num_layers=2)
    output, (h_n, c_n) = model(tl.randn(5, 2, 4))
    assert output.shape == (5, 2, 3) and h_n.shape == (2, 2, 3) and c_n.shape == (2, 2, 6)
    assert model.weight_hr_l1.shape == (3, 6) and model.weight_ih_l1.shape == (24, 3)


def test_float32_stays_float32():
    output, (h_n, c_n) = nn.LSTM(3, 4)(tl.randn(2, 2, 3))
    assert output.dtype == tl.float32 and h_n.dtype == tl.float32 and c_n.dtype == tl.float32


# ---------------------------------------------------------------------------------------------- parameters
def test_parameter_names_and_shapes():
    model = nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert shapes["weight_ih_l0"] == (80, 10) and shapes["weight_hh_l0"] == (80, 5)
    assert shapes["weight_ih_l1_reverse"] == (80, 10) and shapes["weight_hr_l1_reverse"] == (5, 20)
    assert len(shapes) == 20
    gru = nn.GRU(3, 4, bias=False)
    assert list(gru.state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert gru.weight_ih_l0.shape == (12, 3)
    cell = nn.LSTMCell(3, 4)
    assert [(k, tuple(v.shape)) for k, v in cell.named_parameters()] == [
        ("weight_ih", (16, 3)), ("weight_hh", (16, 4)), ("bias_ih", (16,)), ("bias_hh", (16,))]
    assert len(model.all_weights) == 4 and len(model.all_weights[0]) == 5


def test_default_init_bounds():
    for model in (nn.LSTM(8, 25, num_layers=2), nn.GRUCell(8, 25)):
        bound = 1 / math.sqrt(25)
        values = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
        assert values.min() >= -bound and values.max() <= bound
        assert values.min() < -0.9 * bound and values.max() > 0.9 * bound


def test_repr_matches_pytorch_style():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(nn.GRU(3, 4, bias=False, bidirectional=True)) == "GRU(3, 4, bias=False, bidirectional=True)"
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    nn.LSTM(3, 4).flatten_parameters()


def test_dropout_between_layers_only_in_training():
    model = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = tl.randn(5, 2, 3)
    first, second = model(x)[0], model(x)[0]
    assert not np.allclose(first.numpy(), second.numpy())
    model.eval()
    np.testing.assert_array_equal(model(x)[0].numpy(), model(x)[0].numpy())


# ---------------------------------------------------------------------------------------------- errors
def test_bad_inputs_name_expected_and_actual_shapes():
    model = nn.LSTM(10, 20, num_layers=2)
    with pytest.raises(ModuleShapeError, match=r"expected input with 10 features \(input_size\), got \(5, 3, 8\)"):
        model(tl.randn(5, 3, 8))
    with pytest.raises(ModuleShapeError, match=r"expected hidden state of shape \(2, 3, 20\), got \(1, 3, 20\)"):
        model(tl.randn(5, 3, 10), (tl.zeros(1, 3, 20), tl.zeros(2, 3, 20)))
    with pytest.raises(ModuleShapeError, match=r"expected cell state of shape \(2, 3, 20\), got \(2, 3, 5\)"):
        model(tl.randn(5, 3, 10), (tl.zeros(2, 3, 20), tl.zeros(2, 3, 5)))
    with pytest.raises(ModuleShapeError, match=r"expected hidden state of shape \(1, 4\)"):
        nn.GRU(3, 4)(tl.randn(5, 3), tl.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="2D or 3D"):
        nn.GRU(3, 4)(tl.randn(5))
    seq = nn.Sequential(nn.GRU(3, 4))
    with pytest.raises(ModuleShapeError, match=r"^0 \(GRU\(3, 4\)\) expected input with 3 features"):
        seq(tl.randn(2, 2, 5))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_empty_sequence_raises_and_empty_batch_runs(kind):
    model = _layer(kind, 4, 6, batch_first=True)
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        model(tl.randn(3, 0, 4))
    x = tl.randn(0, 5, 4, requires_grad=True)  # PyTorch runs a batch of none
    output, state = model(x)
    assert tuple(output.shape) == (0, 5, 6)
    (output.sum() + (state[0] if kind == "lstm" else state).sum()).backward()
    assert tuple(x.grad.shape) == (0, 5, 4)


def test_constructor_validation():
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)


# ---------------------------------------------------------------------------------------------- PyTorch parity
CONFIGS = [
    ("rnn", {}), ("relu", {"num_layers": 2}), ("lstm", {}), ("gru", {}),
    ("lstm", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("gru", {"num_layers": 2, "bidirectional": True}),
    ("rnn", {"bidirectional": True, "batch_first": True}),
    ("lstm", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("lstm", {"bias": False}),
]


def _torch_layer(torch, kind, *args, **kwargs):
    if kind == "relu":
        return torch.nn.RNN(*args, nonlinearity="relu", **kwargs)
    return {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](*args, **kwargs)


@pytest.mark.torch
@pytest.mark.parametrize("kind,kwargs", CONFIGS)
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_matches_pytorch(kind, kwargs, packed, with_state):
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as torch_rnn

    ours = _layer(kind, 4, 3, **kwargs).double()
    theirs = _torch_layer(torch, kind, 4, 3, **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(0)
    batch_first = kwargs.get("batch_first", False)
    x = rng.standard_normal((5, 6, 4) if batch_first else (6, 5, 4))
    lengths = [4, 6, 1, 5, 4]
    layers = ours.num_layers * (2 if ours.bidirectional else 1)
    states = [rng.standard_normal((layers, 5, ours.proj_size or 3))]
    if kind == "lstm":
        states.append(rng.standard_normal((layers, 5, 3)))

    def run(lib, model, pack, pad, make):
        inp = make(x)
        hx = [make(s) for s in states] if with_state else []
        arg = inp
        if packed:
            arg = pack(inp, lengths, batch_first=batch_first, enforce_sorted=False)
        hx_arg = None if not hx else (tuple(hx) if kind == "lstm" else hx[0])
        output, state = model(arg, hx_arg)
        if packed:
            output = pad(output, batch_first=batch_first)[0]
        state = list(state) if kind == "lstm" else [state]
        upstream = [lib.from_numpy(np.random.default_rng(1).standard_normal(tuple(t.shape))) for t in
                    [output] + state]
        loss = sum((t * u).sum() for t, u in zip([output] + state, upstream))
        loss.backward()
        return [output] + state, [inp] + hx

    def make_ours(a):
        return tl.from_numpy(a.copy()).requires_grad_()

    def make_theirs(a):
        return torch.from_numpy(a.copy()).requires_grad_()

    got, got_in = run(tl, ours, pack_padded_sequence, pad_packed_sequence, make_ours)
    want, want_in = run(torch, theirs, torch_rnn.pack_padded_sequence, torch_rnn.pad_packed_sequence, make_theirs)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9)
    for a, b in zip(got_in, want_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-9)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


@pytest.mark.torch
@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_pytorch(cell):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, cell)(4, 3).double()
    theirs = getattr(torch.nn, cell)(4, 3).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4))
    got = ours(tl.from_numpy(x.copy()))
    want = theirs(torch.from_numpy(x.copy()))
    got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, tuple) else (want,))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("which", [0, 1])
def test_gradient_through_final_states_only(which):
    model = nn.LSTM(FEAT, HIDDEN, bidirectional=True).double()
    x = _randn(SEQ, BATCH, FEAT)
    assert gradcheck(lambda inp, *p: model(inp)[1][which], (x,) + tuple(model.parameters()))


def test_backward_twice_with_retain_graph_accumulates():
    model = nn.GRU(FEAT, HIDDEN).double()
    x = _randn(SEQ, BATCH, FEAT)
    output, h_n = model(x)
    loss = output.sum() + (h_n * 2).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-12)


def test_mixed_dtypes_are_rejected():
    model = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="does not match the parameters' dtype"):
        model(tl.randn(2, 1, 3, dtype=tl.float64))
    with pytest.raises(RuntimeError, match="not the same dtype"):
        model(tl.randn(2, 1, 3), (tl.zeros(1, 1, 4, dtype=tl.float64), tl.zeros(1, 1, 4)))
    with pytest.raises(TypeError, match="floating point"):
        nn.GRUCell(3, 4)(tl.zeros(2, 3, dtype=tl.int64))


def test_dropout_uses_tensorlib_rng():
    model = nn.LSTM(3, 4, num_layers=3, dropout=0.3)
    x = tl.randn(4, 2, 3)
    tl.manual_seed(7)
    first = model(x)[0]
    tl.manual_seed(7)
    np.testing.assert_array_equal(first.numpy(), model(x)[0].numpy())


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_lengths_keyword_ignores_padding_and_matches_packing(cls):
    tl.manual_seed(0)
    layer = cls(3, 4, batch_first=True, bidirectional=True)
    x = tl.randn(3, 5, 3)
    lengths = tl.tensor([5, 2, 3])
    output, hidden = layer(x, lengths=lengths)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    expected_output, expected_hidden = layer(packed)
    expected_output, _ = pad_packed_sequence(expected_output, batch_first=True, total_length=5)
    np.testing.assert_allclose(output.detach().numpy(), expected_output.detach().numpy())
    first = hidden[0] if cls is nn.LSTM else hidden
    x_other_padding = x.clone()
    x_other_padding[1, 2:] = 99.0  # whatever sits in the padding must not matter
    other = layer(x_other_padding, lengths=lengths)[1]
    np.testing.assert_allclose((other[0] if cls is nn.LSTM else other).detach().numpy(), first.detach().numpy())
    assert not output.detach().numpy()[1, 2:].any()  # padded steps come back as zeros
    with pytest.raises(ValueError, match="lengths= needs a padded 3-D batch"):
        layer(tl.randn(5, 3), lengths=[5])


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["lstm", "gru"]), lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       features=st.integers(1, 3), hidden=st.integers(1, 3), proj=st.booleans(), bias=st.booleans(),
       reverse=st.booleans(), with_state=st.booleans(), seed=st.integers(0, 2**16))
def test_packed_kernel_matches_each_sequence_alone(kind, lengths, features, hidden, proj, bias, reverse, with_state,
                                                   seed):
    # a packed batch runs every step on its active columns only and hands the states over where that width
    # changes; each sequence run alone (an unpacked batch of one) must give the same outputs, final states and
    # gradients (the shared weights' summed over the sequences)
    from tensorlib.functional.rnn import recurrent_sequence

    rng = np.random.default_rng(seed)
    lengths = sorted(lengths, reverse=True)
    steps, batch = lengths[0], len(lengths)
    sizes = tuple(sum(length > t for length in lengths) for t in range(steps))
    lstm = kind == "lstm"
    out_size = hidden - 1 if lstm and proj and hidden > 1 else hidden
    gates = 4 if lstm else 3

    def t(*shape):
        return tl.tensor(rng.standard_normal(shape), dtype=tl.float64, requires_grad=True)

    x = t(steps, batch, features)
    h0 = t(batch, out_size) if with_state else None
    c0 = t(batch, hidden) if with_state and lstm else None
    w_ih, w_hh = t(gates * hidden, features), t(gates * hidden, out_size)
    b_ih, b_hh = (t(gates * hidden), t(gates * hidden)) if bias else (None, None)
    w_hr = t(out_size, hidden) if out_size != hidden else None
    weights = [a for a in (w_ih, w_hh, b_ih, b_hh, w_hr) if a is not None]
    up = [tl.tensor(rng.standard_normal(shape)) for shape in
          ((steps, batch, out_size), (batch, out_size), (batch, hidden))]

    def run(inp, h, c, batch_sizes):
        out, h_n, c_n = recurrent_sequence(inp, h, c, w_ih, w_hh, b_ih, b_hh, w_hr, mode=kind.upper(),
                                           reverse=reverse, batch_sizes=batch_sizes)
        return out, h_n, c_n

    out, h_n, c_n = run(x, h0, c0, sizes)
    loss = (out * up[0]).sum() + (h_n * up[1]).sum() + ((c_n * up[2]).sum() if lstm else 0)
    loss.backward()
    packed = [a.grad.numpy().copy() for a in weights]
    x_grad = x.grad.numpy().copy()
    states = [a for a in (h0, c0) if a is not None]
    state_grads = [a.grad.numpy().copy() for a in states]
    for a in weights:
        a.grad = None
    for j, length in enumerate(lengths):
        h = None if h0 is None else h0[j:j + 1]
        c = None if c0 is None else c0[j:j + 1]
        alone, h_alone, c_alone = run(x[:length, j:j + 1], h, c, None)
        np.testing.assert_allclose(out.detach().numpy()[:length, j], alone.detach().numpy()[:, 0], atol=1e-12)
        assert not out.detach().numpy()[length:, j].any()
        np.testing.assert_allclose(h_n.detach().numpy()[j], h_alone.detach().numpy()[0], atol=1e-12)
        part = (alone * up[0][:length, j:j + 1]).sum() + (h_alone * up[1][j:j + 1]).sum()
        if lstm:
            np.testing.assert_allclose(c_n.detach().numpy()[j], c_alone.detach().numpy()[0], atol=1e-12)
            part = part + (c_alone * up[2][j:j + 1]).sum()
        grads = tl.autograd.grad(part, [x] + states, retain_graph=True)
        np.testing.assert_allclose(x_grad[:length, j], grads[0].numpy()[:length, j], atol=1e-10)
        for got, want in zip(state_grads, grads[1:]):
            np.testing.assert_allclose(got[j], want.numpy()[j], atol=1e-10)
        part.backward()
    assert not x_grad[np.arange(steps)[:, None] >= np.array(lengths)[None, :]].any()
    for got, a in zip(packed, weights):
        np.testing.assert_allclose(got, a.grad.numpy(), atol=1e-10)
