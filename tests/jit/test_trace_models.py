"""Every export model traced: the graph equals eager at several batch sizes, and a saved file runs in a fresh
process that can import nothing from tensorlib but the runtime file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import nn
from tests.helpers.export_models import build, case_params, cases, flatten

RUNTIME = Path(tl.jit.runtime.__file__)


def assert_close(got, expected):
    for g, e in zip(flatten(got), flatten(expected), strict=True):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-5 * (1 + np.abs(e).max()))


@pytest.mark.parametrize("name", case_params())
def test_traced_equals_eager_at_other_batch_sizes(name):
    model, make_inputs = build(name)
    traced = tl.jit.trace(model, make_inputs(2))
    for batch in (2, 1, 5):
        inputs = make_inputs(batch)
        with tl.no_grad():
            expected = model(*inputs)
        assert_close(traced(*inputs), expected)


@pytest.mark.parametrize("name", ["mlp", "gru_lengths_dict_output", "text_bag"])
def test_load_gives_same_outputs_and_structure(name, tmp_path):
    model, make_inputs = build(name)
    traced = tl.jit.trace(model, make_inputs(3))
    traced.save(tmp_path / "model.tlj")
    loaded = tl.jit.load(tmp_path / "model.tlj")
    inputs = make_inputs(4)
    got, expected = loaded(*inputs), traced(*inputs)
    assert type(got) is type(expected)
    assert_close(got, expected)
    assert list(loaded.state_dict()) == list(traced.state_dict())


BLOCKED_RUN = r'''
import importlib.abc, importlib.util, json, sys
import numpy as np

class BlockTensorlib(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tensorlib" or name.startswith("tensorlib."):
            raise ImportError(f"blocked import of {name}")
        return None

sys.meta_path.insert(0, BlockTensorlib())
try:
    import tensorlib  # noqa: F401
    raise SystemExit("the import hook did not block tensorlib")
except ImportError:
    pass
spec = importlib.util.spec_from_file_location("vendored_runtime", sys.argv[1])
runtime = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runtime)
worst = {}
for case in json.loads(sys.argv[2]):
    program = runtime.load(case["file"])
    inputs = [np.load(p) for p in case["inputs"]]
    out = program(*inputs)
    flat = []
    def walk(o):
        if isinstance(o, (tuple, list)):
            for x in o: walk(x)
        elif isinstance(o, dict):
            for v in o.values(): walk(v)
        else:
            flat.append(o)
    walk(out)
    expected = [np.load(p) for p in case["expected"]]
    assert len(flat) == len(expected), case["file"]
    worst[case["file"]] = max(float(np.abs(a - b).max() / (1 + np.abs(b).max())) for a, b in zip(flat, expected))
assert not [m for m in sys.modules if m.startswith("tensorlib")]
print(json.dumps(worst))
'''


# one of each architecture (every op kind); the slow test below runs all of them
ONE_OF_EACH = ["mlp", "lenet5", "resnet20", "mobilenet_v2", "vgg11_bn", "vit_tiny", "text_bag",
               "text_lstm_bidirectional_packed", "text_gru_bidirectional_packed", "gru_lengths_dict_output"]


def test_saved_files_run_in_a_process_without_tensorlib(tmp_path):
    worst = run_saved_files_without_tensorlib(ONE_OF_EACH, tmp_path)
    assert len(worst) == len(ONE_OF_EACH) and max(worst.values()) < 1e-5, worst


@pytest.mark.slow
def test_every_saved_model_runs_in_a_process_without_tensorlib(tmp_path):
    names = sorted(cases())
    worst = run_saved_files_without_tensorlib(names, tmp_path)
    assert len(worst) == len(names) and max(worst.values()) < 1e-5, worst


def run_saved_files_without_tensorlib(names, tmp_path) -> dict:
    jobs = []
    for name in names:
        model, make_inputs = build(name)
        traced = tl.jit.trace(model, make_inputs(2), check_trace=False)
        path = tmp_path / f"{name}.tlj"
        tl.jit.save(traced, path)
        inputs = make_inputs(3)
        with tl.no_grad():
            expected = flatten(model(*inputs))
        input_files, expected_files = [], []
        for i, array in enumerate(inputs):
            input_files.append(str(tmp_path / f"{name}.in{i}.npy"))
            np.save(input_files[-1], array.numpy())
        for i, array in enumerate(expected):
            expected_files.append(str(tmp_path / f"{name}.out{i}.npy"))
            np.save(expected_files[-1], array)
        jobs.append({"file": str(path), "inputs": input_files, "expected": expected_files})
    done = subprocess.run([sys.executable, "-c", BLOCKED_RUN, str(RUNTIME), json.dumps(jobs)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # file -> worst relative difference from eager


@pytest.mark.parametrize("threads", ["1", "2"])
def test_command_line_runner_writes_the_output(tmp_path, threads):
    model, make_inputs = build("lenet5")
    (x,) = make_inputs(2)
    tl.jit.save(tl.jit.trace(model, x), tmp_path / "lenet.tlj")
    np.save(tmp_path / "x.npy", x.numpy())
    done = subprocess.run([sys.executable, "-m", "tensorlib.jit.run", str(tmp_path / "lenet.tlj"),
                           str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"), "--threads", threads],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with tl.no_grad():
        np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model(x).numpy(), atol=1e-5)


def test_vit_takes_its_batch_size_from_the_input(tmp_path):
    """The class token is expanded to the input's batch and multi-head attention derives the batch in its
    reshapes: nothing in the ViT graph is fixed at the traced batch of 2."""
    model, make_inputs = build("vit_tiny")
    traced = tl.jit.trace(model, make_inputs(2))
    assert not [b for b in traced.baked if "fixed at 2" in b], traced.baked
    assert "expand_as" in [node["op"] for node in traced._graph["nodes"]]
    tl.jit.save(traced, tmp_path / "vit.tlj")
    program = tl.jit.runtime.load(str(tmp_path / "vit.tlj"))
    for batch in (1, 5):
        (x,) = make_inputs(batch)
        with tl.no_grad():
            expected = model(x).numpy()
        assert np.abs(expected).max() > 0.1  # a real comparison, not of zeros
        assert_close(program(x.numpy()), expected)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_traces_with_a_dynamic_batch(need_weights):
    tl.manual_seed(0)
    attention = nn.MultiheadAttention(16, 4, batch_first=True).eval()

    def attend(query, memory):
        return attention(query, memory, memory, need_weights=need_weights)

    traced = tl.jit.trace(attend, (tl.randn(2, 5, 16), tl.randn(2, 7, 16)))
    for batch in (1, 6):
        inputs = (tl.randn(batch, 5, 16), tl.randn(batch, 7, 16))
        with tl.no_grad():
            expected = attend(*inputs)
        assert_close([o for o in traced(*inputs) if o is not None], [o for o in expected if o is not None])


def test_transformer_encoder_with_a_registered_causal_mask_traces_with_a_dynamic_batch():
    """TransformerEncoder compares the mask with the causal one (``bool((mask == causal).all())``): on a buffer
    that is not data-dependent control flow, and the mask built for the comparison leaves no op in the graph."""
    tl.manual_seed(0)

    class CausalEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, activation="gelu")
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(6))

        def forward(self, x):
            return self.encoder(x, mask=self.mask)

    model = CausalEncoder().eval()
    traced = tl.jit.trace(model, tl.randn(2, 6, 16))
    ops = [node["op"] for node in traced._graph["nodes"]]
    assert "where" not in ops and not [b for b in traced.baked if "constant" in b], (ops, traced.baked)
    assert all(node["attrs"]["causal"] for node in traced._graph["nodes"]
               if node["op"] == "scaled_dot_product_attention")
    x = tl.randn(5, 6, 16)
    with tl.no_grad():
        assert_close(traced(x), model(x))


def test_key_padding_mask_is_a_graph_input_with_a_dynamic_batch():
    """A boolean src_key_padding_mask passed to the traced model is followed (not captured as a constant)."""
    tl.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
    encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False).eval()

    def encode(x, padding):
        return encoder(x, src_key_padding_mask=padding)

    def padding(lengths):
        return tl.arange(6).unsqueeze(0) >= tl.tensor(lengths).unsqueeze(1)

    traced = tl.jit.trace(encode, (tl.randn(2, 6, 16), padding([6, 3])))
    assert not [b for b in traced.baked if "[2, 6]" in b], traced.baked  # the mask is not captured
    x, mask = tl.randn(3, 6, 16), padding([2, 6, 4])
    with tl.no_grad():
        assert_close(traced(x, mask), encode(x, mask))
