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
ONE_OF_EACH = ["mlp", "lenet5", "resnet20", "mobilenet_v2", "vgg11_bn", "text_bag",
               "text_lstm_bidirectional_packed", "text_gru_bidirectional_packed", "gru_lengths_dict_output"]


def test_saved_files_run_in_a_process_without_tensorlib(tmp_path):
    run_saved_files_without_tensorlib(ONE_OF_EACH, tmp_path)


@pytest.mark.slow
def test_every_saved_model_runs_in_a_process_without_tensorlib(tmp_path):
    run_saved_files_without_tensorlib(sorted(cases()), tmp_path)


def run_saved_files_without_tensorlib(names, tmp_path):
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
    worst = json.loads(done.stdout)
    assert len(worst) == len(jobs)
    assert max(worst.values()) < 1e-5, worst


def test_command_line_runner_writes_the_output(tmp_path):
    model, make_inputs = build("lenet5")
    (x,) = make_inputs(2)
    tl.jit.save(tl.jit.trace(model, x), tmp_path / "lenet.tlj")
    np.save(tmp_path / "x.npy", x.numpy())
    done = subprocess.run([sys.executable, "-m", "tensorlib.jit.run", str(tmp_path / "lenet.tlj"),
                           str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with tl.no_grad():
        np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model(x).numpy(), atol=1e-5)


def test_vit_traces_at_its_batch_size_and_the_check_reports_the_baked_batch():
    """MultiheadAttention reshapes by the batch size, so the graph is exact at the traced batch only."""
    from tensorlib.jit import TracingCheckError
    from tensorlib.vision import models

    model = models.vit_tiny(num_classes=10).eval()
    x = tl.randn(2, 3, 32, 32)
    with pytest.raises(TracingCheckError, match="dim 0 is fixed at 2"):
        tl.jit.trace(model, (x,))
    traced = tl.jit.trace(model, (x,), check_trace=False)
    with tl.no_grad():
        np.testing.assert_allclose(traced(x).numpy(), model(x).numpy(), atol=1e-5)
