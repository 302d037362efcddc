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
