"""The runtime's micro-batches: a one-thread run of a sample-independent program goes through a large batch a few
samples at a time (``MICRO_BATCH_BYTES`` of its largest value), so each op's output is still in cache."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import _threads, nn
from tensorlib.jit import runtime
from tests.helpers.residual_net import ResidualNet


def one_sample_bytes(program, x) -> int:
    """The largest value of one sample's run: what the micro-batch size is measured from."""
    values = program._run([x[:1]])
    return max(v.nbytes for v in values if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == 1)


@pytest.fixture
def saved(tmp_path):
    tl.manual_seed(0)
    model = ResidualNet().eval()
    path = tmp_path / "net.tlj"
    tl.jit.save(tl.jit.trace(model, tl.randn(2, 3, 12, 10)), path)
    return model, path


def test_a_large_batch_runs_in_micro_batches_each_with_the_bits_of_its_own_run(saved, monkeypatch):
    model, path = saved
    x = tl.randn(11, 3, 12, 10).numpy()
    whole = runtime.load(str(path))
    whole._micro = 0  # never split: the reference
    per_sample = one_sample_bytes(whole, x)
    monkeypatch.setattr(runtime, "MICRO_BATCH_BYTES", 3 * per_sample)  # micro-batches of 3 samples
    program = runtime.load(str(path))
    first = program(x)
    assert program._micro == 3
    want = np.concatenate([whole(x[lo:lo + 3]) for lo in range(0, 11, 3)])  # 3, 3, 3 and the 2 left
    np.testing.assert_array_equal(first, want)
    np.testing.assert_array_equal(program(x), want)  # the first call (which measured the size) splits alike
    np.testing.assert_allclose(first, whole(x), rtol=0, atol=1e-6)
    with tl.no_grad():
        np.testing.assert_allclose(first, model(tl.from_numpy(x)).numpy(), rtol=0, atol=1e-5)
    other = tl.randn(11, 3, 12, 10).numpy()
    np.testing.assert_array_equal(program(other)[:3], whole(other[:3]))
    np.testing.assert_array_equal(first, want)  # an earlier result is not a view of the reused buffers
    small = x[:3]
    np.testing.assert_array_equal(program(small), whole(small))  # up to one micro-batch: one run


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        features = self.conv(x).relu()
        return {"map": features, "logits": self.head(features.mean((2, 3)))}


def test_every_output_of_a_structure_is_assembled_from_the_micro_batches(tmp_path, monkeypatch):
    tl.manual_seed(0)
    model = TwoHeads().eval()
    path = tmp_path / "two.tlj"
    tl.jit.save(tl.jit.trace(model, tl.randn(2, 3, 8, 8), strict=False), path)
    x = tl.randn(7, 3, 8, 8).numpy()
    whole = runtime.load(str(path))
    whole._micro = 0
    monkeypatch.setattr(runtime, "MICRO_BATCH_BYTES", 2 * one_sample_bytes(whole, x))
    program = runtime.load(str(path))
    got = program(x)
    assert program._micro == 2 and set(got) == {"map", "logits"}
    for key in got:
        want = np.concatenate([whole(x[lo:lo + 2])[key] for lo in range(0, 7, 2)])
        np.testing.assert_array_equal(got[key], want)


class Centred(nn.Module):
    """Subtracts the batch mean: its samples are not independent."""

    def forward(self, x):
        return (x - x.mean(0, keepdim=True)).relu()


def test_programs_that_mix_samples_and_threaded_programs_never_split(tmp_path, saved, monkeypatch):
    monkeypatch.setattr(runtime, "MICRO_BATCH_BYTES", 1)  # would be one sample per micro-batch
    path = tmp_path / "centred.tlj"
    tl.jit.save(tl.jit.trace(Centred(), tl.randn(4, 5)), path)
    program = runtime.load(str(path))
    x = tl.randn(9, 5).numpy()
    np.testing.assert_allclose(program(x), np.maximum(x - x.mean(0, keepdims=True), 0), rtol=0, atol=1e-6)
    assert program._micro == 0
    threaded = runtime.load(str(saved[1]), threads=2, set_blas_threads=_threads.blas_set_quick)
    threaded(tl.randn(6, 3, 12, 10).numpy())
    assert threaded._micro == 0  # its regions would get shorter


@pytest.mark.skipif(not runtime.processes_supported(), reason="parallel='processes' needs Linux")
def test_each_process_runs_its_slice_in_micro_batches(saved, monkeypatch):
    _, path = saved
    monkeypatch.setattr(runtime, "PROCESS_MIN_SECONDS", 0.0)
    x = tl.randn(10, 3, 12, 10).numpy()
    serial = runtime.load(str(path))
    monkeypatch.setattr(runtime, "MICRO_BATCH_BYTES", 2 * one_sample_bytes(serial, x))
    serial = runtime.load(str(path))  # micro-batches of 2, as each process
    program = runtime.load(str(path), threads=2, set_blas_threads=_threads.blas_set_quick, parallel="processes")
    previous = _threads.blas_set_quick(1)
    try:
        want = np.concatenate([serial(x[:5]), serial(x[5:])])
    finally:
        _threads.blas_set_quick(previous)
    np.testing.assert_array_equal(program(x), want)
    assert serial._micro == 2



def test_the_micro_batch_size_comes_from_per_sample_values_not_weights(saved, monkeypatch):
    _, path = saved
    x = tl.randn(10, 3, 12, 10).numpy()
    reference = runtime.load(str(path))
    per_sample = one_sample_bytes(reference, x)
    monkeypatch.setattr(runtime, "MICRO_BATCH_BYTES", 4 * per_sample)
    program = runtime.load(str(path))
    program._initial.append(np.zeros((1, 64 * per_sample), np.float32))  # a constant whose first dim is 1
    program(x)
    assert program._micro == 4  # not 1, as counting the constant would give
