"""tensorlib.onnx.export: every export model through onnx.checker and onnxruntime (skipped without the extra)."""

from __future__ import annotations

import io

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import nn
from tests.helpers.export_models import build, case_params, flatten

onnx = pytest.importorskip("onnx", reason="the optional 'onnx' package (tensorlib[onnx]) is not installed")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime (tensorlib[onnx]) is not installed")


def export_bytes(model, inputs, **kwargs) -> bytes:
    buffer = io.BytesIO()
    tl.onnx.export(model, inputs, buffer, **kwargs)
    return buffer.getvalue()


def session(payload: bytes):
    return ort.InferenceSession(payload, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", case_params())
def test_onnxruntime_matches_eager(name):
    model, make_inputs = build(name)
    example = make_inputs(2)
    names = [f"input_{i}" for i in range(len(example))]
    payload = export_bytes(model, example, input_names=names,
                           dynamic_axes={n: list(range(a.dim())) for n, a in zip(names, example)})
    onnx.checker.check_model(onnx.load_from_string(payload))
    inputs = make_inputs(3)
    got = session(payload).run(None, {n: a.numpy() for n, a in zip(names, inputs)})
    with tl.no_grad():
        expected = flatten(model(*inputs))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-4 * (1 + np.abs(e).max()))


def test_names_and_static_shapes_follow_torch_onnx_export(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    path = tmp_path / "m.onnx"
    tl.onnx.export(model, (tl.randn(2, 4),), str(path), input_names=["features"], output_names=["probs"],
                   dynamic_axes={"features": {0: "batch"}, "probs": {0: "batch"}})
    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["probs"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 4
    assert proto.opset_import[0].version == 17
    out = session(path.read_bytes()).run(None, {"features": np.ones((5, 4), np.float32)})[0]
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)


def test_unsupported_op_names_op_and_opset():
    class Cumulative(nn.Module):
        def forward(self, x):
            return tl.nn.functional.softplus(x, beta=2.0)

    with pytest.raises(tl.onnx.UnsupportedOperatorError, match=r"'softplus' to ONNX opset version 17"):
        export_bytes(Cumulative(), (tl.randn(2, 3),))
    with pytest.raises(tl.onnx.UnsupportedOperatorError, match=r"'layer_norm' to ONNX opset version 16"):
        export_bytes(nn.LayerNorm(3), (tl.randn(2, 3),), opset_version=16)


def assert_matches(payload: bytes, names, inputs, expected) -> None:
    got = session(payload).run(None, {n: a.numpy() for n, a in zip(names, inputs)})
    expected = [e for e in flatten(expected) if e is not None]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-4 * (1 + np.abs(e).max()))


def test_vit_exports_with_a_dynamic_batch():
    model, make_inputs = build("vit_tiny")
    payload = export_bytes(model, make_inputs(2), input_names=["images"], output_names=["logits"],
                           dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load_from_string(payload)
    onnx.checker.check_model(proto)
    assert {"Softmax", "LayerNormalization", "Erf", "Expand", "Concat"} <= {n.op_type for n in proto.graph.node}
    for batch in (2, 5):
        (x,) = make_inputs(batch)
        with tl.no_grad():
            expected = model(x)
        assert np.abs(expected.numpy()).max() > 0.1
        assert_matches(payload, ["images"], (x,), expected)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_exports(need_weights):
    tl.manual_seed(0)
    attention = nn.MultiheadAttention(16, 4, batch_first=True).eval()

    class CrossAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = attention

        def forward(self, query, memory):
            return self.attention(query, memory, memory, need_weights=need_weights)

    model = CrossAttention()
    names = ["query", "memory"]
    payload = export_bytes(model, (tl.randn(2, 5, 16), tl.randn(2, 7, 16)), input_names=names,
                           dynamic_axes={"query": [0], "memory": [0]})
    onnx.checker.check_model(onnx.load_from_string(payload))
    inputs = (tl.randn(3, 5, 16), tl.randn(3, 7, 16))
    with tl.no_grad():
        expected = model(*inputs)
    assert_matches(payload, names, inputs, expected)


class MaskedEncoder(nn.Module):
    """A batch_first TransformerEncoder with a fixed attention mask: causal, or additive with one query row
    that may see no key (the attention kernel gives zeros there, ONNX's Softmax NaN: the export must match)."""

    def __init__(self, causal: bool):
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        if causal:
            mask = nn.Transformer.generate_square_subsequent_mask(6)
        else:
            mask = tl.zeros(6, 6)
            mask[:, 4:] = float("-inf")
            mask[2] = float("-inf")
        self.register_buffer("mask", mask)

    def forward(self, x):
        return self.encoder(x, mask=self.mask)  # the encoder detects whether the mask is the causal one


@pytest.mark.parametrize("causal", [True, False])
def test_transformer_encoder_exports(causal):
    tl.manual_seed(0)
    model = MaskedEncoder(causal).eval()
    payload = export_bytes(model, (tl.randn(2, 6, 16),), input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    onnx.checker.check_model(onnx.load_from_string(payload))
    x = tl.randn(4, 6, 16)
    with tl.no_grad():
        expected = model(x)
    assert np.isfinite(expected.numpy()).all()
    assert_matches(payload, ["x"], (x,), expected)


def test_grouped_query_attention_is_refused_naming_the_op():
    def attend(q, k, v):
        return tl.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    with pytest.raises(tl.onnx.UnsupportedOperatorError,
                       match=r"'scaled_dot_product_attention' to ONNX opset version 17.*enable_gqa"):
        export_bytes(tl.jit.trace(attend, (tl.randn(1, 4, 3, 8), tl.randn(1, 2, 3, 8), tl.randn(1, 2, 3, 8))),
                     (tl.randn(1, 4, 3, 8), tl.randn(1, 2, 3, 8), tl.randn(1, 2, 3, 8)))


def test_key_padding_mask_exports_as_an_input():
    tl.manual_seed(0)

    class PaddedEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)

        def forward(self, x, padding):
            return self.encoder(x, src_key_padding_mask=padding)

    def padding(lengths):
        return tl.arange(6).unsqueeze(0) >= tl.tensor(lengths).unsqueeze(1)

    model = PaddedEncoder().eval()
    names = ["x", "padding"]
    payload = export_bytes(model, (tl.randn(2, 6, 16), padding([6, 3])), input_names=names,
                           dynamic_axes={"x": {0: "batch"}, "padding": {0: "batch"}})
    onnx.checker.check_model(onnx.load_from_string(payload))
    inputs = (tl.randn(3, 6, 16), padding([2, 6, 4]))
    with tl.no_grad():
        expected = model(*inputs)
    assert_matches(payload, names, inputs, expected)
