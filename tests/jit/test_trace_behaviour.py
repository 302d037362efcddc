"""Trace semantics: data-dependent control flow, baked shapes, eval mode, buffer mutation, output structures."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import nn


class Branchy(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # data-dependent branch
            return x * 3
        return x - 1


BRANCH_LINE = inspect.getsourcelines(Branchy.forward)[1] + 1


def test_python_if_on_traced_tensor_raises_under_strict():
    with pytest.raises(tl.jit.TracingError, match=r"bool\(\).*data-dependent control flow") as info:
        tl.jit.trace(Branchy(), tl.ones(2, 3))
    assert f"test_trace_behaviour.py:{BRANCH_LINE}" in str(info.value)


def test_python_if_warns_once_with_its_line_when_not_strict():
    with pytest.warns(tl.jit.TracerWarning) as record:
        traced = tl.jit.trace(Branchy(), tl.ones(2, 3), strict=False)
    messages = [str(w.message) for w in record if issubclass(w.category, tl.jit.TracerWarning)]
    assert len(messages) == 1 and f"test_trace_behaviour.py:{BRANCH_LINE}" in messages[0]
    np.testing.assert_allclose(traced(tl.ones(1, 3)).numpy(), 3.0)  # the branch taken was baked in


class Thresholded(nn.Module):
    """Branches on comparisons: of two buffers (fixed for every input), or of the input with a buffer (data)."""

    def __init__(self, on_input: bool):
        super().__init__()
        self.on_input = on_input
        self.register_buffer("low", tl.zeros(3))
        self.register_buffer("high", tl.ones(3))

    def forward(self, x):
        if self.on_input and (x > self.high).any():
            return x.clamp(max=1.0)
        if (self.low < self.high).all():
            return x * 2
        return x


def test_comparisons_of_model_state_are_not_data_but_of_inputs_are():
    traced = tl.jit.trace(Thresholded(on_input=False), tl.randn(2, 3))
    np.testing.assert_allclose(traced(tl.ones(4, 3)).numpy(), 2.0)
    with pytest.raises(tl.jit.TracingError, match=r"bool\(\).*data-dependent control flow"):
        tl.jit.trace(Thresholded(on_input=True), tl.randn(2, 3))


def test_check_inputs_taking_the_other_branch_name_the_differing_op():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.jit.TracerWarning)
        with pytest.raises(tl.jit.TracingCheckError, match=r"check_inputs\[0\].*recorded mul.*eager ran sub"):
            tl.jit.trace(Branchy(), tl.ones(2, 3), check_inputs=[(-tl.ones(2, 3),)], strict=False)


@pytest.mark.parametrize("read", [lambda x: x.max().item(), lambda x: x.tolist(), lambda x: int(x[0, 0]),
                                  lambda x: float(x.mean())], ids=["item", "tolist", "int", "float"])
def test_python_values_of_traced_tensors_are_detected(read):
    def forward(x):
        read(x)
        return x + 1

    with pytest.raises(tl.jit.TracingError, match="depends on the traced inputs"):
        tl.jit.trace(forward, tl.ones(2, 3))


def test_python_values_of_parameters_are_fine():
    layer = nn.Linear(3, 2)

    def forward(x):
        scale = float(layer.bias.abs().sum()) + 1  # model state, not data: no warning
        return layer(x) * scale

    traced = tl.jit.trace(forward, tl.ones(2, 3))
    with tl.no_grad():
        np.testing.assert_allclose(traced(tl.ones(4, 3)).numpy(), forward(tl.ones(4, 3)).numpy(), rtol=1e-6)


class FixedView(nn.Module):
    def forward(self, x):
        return x.view(4, -1) * 2


def test_baked_reshape_is_reported_by_the_check():
    with pytest.raises(tl.jit.TracingCheckError, match=r"batch size 8.*op #0 reshape.*\[8, 6\] traced vs \[4, 12\] "
                                                        r"eager.*baked in at trace time"):
        tl.jit.trace(FixedView(), tl.randn(4, 3, 2))


def test_constants_captured_at_trace_time_are_listed():
    traced = tl.jit.trace(lambda x: x + tl.ones(4, 1), tl.randn(4, 3), check_trace=False)
    assert traced.baked and "constant captured at trace time: constant_0 [4, 1]" in traced.baked[0]


def test_batch_dependent_view_stays_dynamic():
    traced = tl.jit.trace(lambda x: x.view(x.shape[0], -1), tl.randn(4, 3, 2))
    assert traced(tl.randn(1000, 3, 2)).shape == (1000, 6)


class Stateful(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.bn(self.conv(x)))


def test_dropout_and_batchnorm_are_recorded_in_eval_mode_and_it_says_so():
    model = Stateful().train()
    x = tl.randn(3, 1, 6, 6)
    traced = tl.jit.trace(model, x)
    assert model.training  # restored
    assert "recorded in eval mode" in traced.graph and "recorded in eval mode" in traced.code
    with tl.no_grad():
        np.testing.assert_allclose(traced(x).numpy(), model.eval()(x).numpy(), atol=1e-5)
    with pytest.raises(RuntimeError, match="eval mode"):
        traced.train()


def test_train_mode_buffer_update_is_refused():
    model = Stateful().train()
    before = model.bn.running_mean.numpy().copy()
    with pytest.raises(RuntimeError, match=r"buffer 'bn.running_mean'.*in place"):
        tl.jit.trace(model, tl.randn(3, 1, 6, 6), eval_mode=False)
    np.testing.assert_array_equal(model.bn.running_mean.numpy(), before)


def test_output_structures_are_preserved():
    def forward(x, y):
        return {"sum": x + y, "parts": [x * 2, (y - 1, None)], "n": 3}

    traced = tl.jit.trace(forward, (tl.ones(2), tl.ones(2)))
    out = traced(tl.ones(5), tl.zeros(5))
    assert set(out) == {"sum", "parts", "n"} and out["n"] == 3
    assert isinstance(out["parts"], list) and isinstance(out["parts"][1], tuple) and out["parts"][1][1] is None
    np.testing.assert_array_equal(out["parts"][1][0].numpy(), -np.ones(5))


def test_graph_and_code_show_one_op_per_line():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    traced = tl.jit.trace(model, tl.randn(2, 4))
    lines = traced.graph.splitlines()
    assert lines[0] == "graph(%input: float32[N, 4]):"
    assert [line.split(" = ")[1].split("(")[0] for line in lines[2:-1]] == ["linear", "relu", "linear"]
    assert 'linear(v2, self["2.weight"], self["2.bias"])' in traced.code
    assert list(traced.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_unsupported_op_is_named():
    with pytest.raises(tl.jit.TracingError, match="Cumsum"):
        tl.jit.trace(lambda x: x.cumsum(0), tl.ones(3))


def test_script_without_example_explains_trace():
    with pytest.raises(RuntimeError, match=r"tensorlib.jit.trace\(model, example_input\)"):
        tl.jit.script(nn.Linear(2, 2))
    traced = tl.jit.script(nn.Linear(2, 2), example_inputs=[(tl.ones(1, 2),)])
    assert traced(tl.ones(3, 2)).shape == (3, 2)


def test_inplace_relu_is_followed():
    def forward(x):
        y = x * 3
        y.relu_()
        return y + 1

    traced = tl.jit.trace(forward, tl.randn(4, 2))
    x = tl.randn(6, 2)
    np.testing.assert_allclose(traced(x).numpy(), np.maximum(x.numpy() * 3, 0) + 1, rtol=1e-6)


def test_public_names_follow_torch_paths():
    import tensorlib

    assert {"trace", "script", "save", "load"} <= set(dir(tensorlib.jit))
    assert callable(tensorlib.onnx.export)


def test_traced_weights_are_a_snapshot():
    layer = nn.Linear(3, 2)
    traced = tl.jit.trace(layer, tl.ones(1, 3))
    before = traced(tl.ones(1, 3)).numpy()
    with tl.no_grad():
        layer.weight.add_(1.0)
    np.testing.assert_array_equal(traced(tl.ones(1, 3)).numpy(), before)
