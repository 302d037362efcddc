"""Op coverage beyond the model zoo: RNN variants with explicit states, dilated/grouped convs, pooling modes,
layer norm and activations, through the runtime and (when installed) ONNX."""

from __future__ import annotations

import io

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import nn
from tests.helpers.export_models import flatten


class StatefulLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True)

    def forward(self, x, h, c):
        return self.lstm(x, (h, c))


def zoo():
    mixed = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=2, dilation=2), nn.GELU(),
        nn.AvgPool2d(3, 2, 1, count_include_pad=False), nn.Conv2d(8, 8, 3, groups=8), nn.SiLU(),
        nn.MaxPool2d(3, 2, ceil_mode=True), nn.Flatten(), nn.LayerNorm(72), nn.Linear(72, 5), nn.Hardswish(),
        nn.LeakyReLU(0.1), nn.LogSoftmax(1))
    return {
        "lstm_states": (StatefulLSTM(), lambda b: (tl.randn(7, b, 4), tl.randn(4, b, 5), tl.randn(4, b, 5))),
        "rnn_relu_batch_first": (nn.RNN(4, 3, nonlinearity="relu", batch_first=True), lambda b: (tl.randn(b, 5, 4),)),
        "mixed_ops": (mixed, lambda b: (tl.randn(b, 3, 15, 15),)),
    }


@pytest.mark.parametrize("name", sorted(zoo()))
def test_runtime_matches_eager(name):
    tl.manual_seed(0)
    model, make = zoo()[name]
    traced = tl.jit.trace(model, make(2))
    inputs = make(5)
    with tl.no_grad():
        expected = flatten(model.eval()(*inputs))
    for got, want in zip(flatten(traced(*inputs)), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * (1 + np.abs(want).max()))


@pytest.mark.parametrize("name", sorted(zoo()))
def test_onnx_matches_eager(name):
    pytest.importorskip("onnx", reason="the optional 'onnx' package (tensorlib[onnx]) is not installed")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime (tensorlib[onnx]) is not installed")
    tl.manual_seed(0)
    model, make = zoo()[name]
    inputs = make(2)
    buffer = io.BytesIO()
    tl.onnx.export(model, inputs, buffer)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    got = session.run(None, {i.name: a.numpy() for i, a in zip(session.get_inputs(), inputs)})
    with tl.no_grad():
        expected = flatten(model.eval()(*inputs))
    for g, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, want, rtol=0, atol=1e-4 * (1 + np.abs(want).max()))


def test_modules_in_a_traced_functions_closure_are_recorded_whole():
    tl.manual_seed(0)
    embedding, gru = nn.Embedding(10, 3), nn.GRU(3, 4, batch_first=True)

    def encode(ids):
        return gru(embedding(ids))[1]

    traced = tl.jit.trace(encode, tl.tensor([[1, 2, 3], [4, 5, 6]]))
    assert [line.split(" = ")[1].split("(")[0] for line in traced.graph.splitlines()[2:-1]] == ["embedding", "rnn"]
    ids = tl.tensor([[1, 2, 3, 4], [4, 5, 6, 7], [0, 1, 2, 3]])  # other batch size and length
    np.testing.assert_allclose(traced(ids).numpy(), encode(ids).numpy(), atol=1e-6)
