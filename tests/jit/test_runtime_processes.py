"""The runtime's ``parallel="processes"``: large batches split over forked copies of the program."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import _threads, nn
from tensorlib.jit import runtime
from tests.helpers.processes import process_alive as alive
from tests.helpers.processes import wait_until
from tests.helpers.residual_net import ResidualNet

pytestmark = pytest.mark.skipif(not runtime.processes_supported(), reason="parallel='processes' needs Linux")


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "PROCESS_MIN_SECONDS", 0.0)  # split every batch
    tl.manual_seed(0)
    model = ResidualNet().eval()
    path = tmp_path / "net.tlj"
    tl.jit.save(tl.jit.trace(model, tl.randn(2, 3, 12, 10)), path)
    return model, path


def load(path, threads=2):
    return runtime.load(str(path), threads=threads, set_blas_threads=_threads.blas_set_quick, parallel="processes")


def split_once(path, batch: int = 6):
    """A program whose worker runs (one split call made), the call's input batch and its outputs."""
    program = load(path)
    x = tl.randn(batch, 3, 12, 10).numpy()
    return program, x, program(x)


def one_thread_run(program, x):
    previous = _threads.blas_set_quick(1)
    try:
        return program(x)
    finally:
        _threads.blas_set_quick(previous)


@pytest.mark.parametrize("threads", [2, 3])
def test_each_slice_gets_the_bits_of_a_one_process_run(saved, threads):
    model, path = saved
    serial, program = runtime.load(str(path)), load(path, threads)
    for batch in (7, 16):
        x = tl.randn(batch, 3, 12, 10).numpy()
        first, again = program(x), program(x)
        bounds = [batch * i // threads for i in range(threads + 1)]
        want = np.concatenate([one_thread_run(serial, x[lo:hi]) for lo, hi in zip(bounds, bounds[1:])])
        np.testing.assert_array_equal(first, want)
        np.testing.assert_array_equal(again, want)
        np.testing.assert_allclose(want, one_thread_run(serial, x), rtol=0, atol=1e-6)  # the whole batch at once
        with tl.no_grad():
            np.testing.assert_allclose(first, model(tl.from_numpy(x)).numpy(), rtol=0, atol=1e-5)
    pids = [child.pid for child in program._processes._children]
    assert len(pids) == threads - 1 and os.getpid() not in pids and all(alive(pid) for pid in pids)


def test_batches_smaller_than_the_process_count_run_here(saved):
    _, path = saved
    program = load(path, threads=3)
    x = tl.randn(2, 3, 12, 10).numpy()
    np.testing.assert_array_equal(program(x), program(x))
    assert program._processes._children == []


def test_quick_calls_are_not_split(saved, monkeypatch):
    _, path = saved
    monkeypatch.setattr(runtime, "PROCESS_MIN_SECONDS", 60.0)
    program = load(path)
    x = tl.randn(8, 3, 12, 10).numpy()
    program(x)
    program(x)
    assert program._processes._children == []


@pytest.fixture
def splits(monkeypatch):
    """The batch sizes of the calls that were split."""
    seen, split_run = [], runtime._Processes._split_run

    def recording(self, program, arrays, n):
        seen.append(n)
        return split_run(self, program, arrays, n)

    monkeypatch.setattr(runtime._Processes, "_split_run", recording)
    return seen


def test_the_split_decision_follows_the_measured_time_per_sample(saved, monkeypatch, splits):
    _, path = saved
    program = load(path)
    x = tl.randn(9, 3, 12, 10).numpy()
    program(x)  # no time measured yet: one sample is timed, then the batch is split
    assert splits == [9]
    monkeypatch.setattr(runtime, "PROCESS_MIN_SECONDS", 1.0)
    pool = program._processes
    pool._per_sample = 0.1
    program(x)  # expected to take 0.9 s: run here, and measured
    assert splits == [9] and pool._per_sample != 0.1
    pool._per_sample = 0.12
    program(x[:8])  # 0.96 s: here
    pool._per_sample = 0.12
    program(x)  # 1.08 s: split, and measured (each process ran 4 or 5 samples)
    assert splits == [9, 9] and pool._per_sample < 0.12
    program(x)  # the estimate from the split call says it is quick: run here
    assert splits == [9, 9]


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        features = self.conv(x).relu().mean((2, 3))
        return {"logits": self.fc(features), "parts": (features, features * 2)}


def test_output_structure_survives_the_split(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "PROCESS_MIN_SECONDS", 0.0)
    tl.manual_seed(1)
    path = tmp_path / "heads.tlj"
    tl.jit.save(tl.jit.trace(TwoHeads().eval(), tl.randn(2, 3, 8, 8)), path)
    program = load(path)
    x = tl.randn(5, 3, 8, 8).numpy()
    whole, split = program(x), program(x)
    assert program._processes._children
    assert set(split) == {"logits", "parts"} and isinstance(split["parts"], tuple)
    np.testing.assert_allclose(split["logits"], whole["logits"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(split["parts"][1], 2 * split["parts"][0], rtol=0, atol=1e-6)
    assert split["logits"].shape == (5, 2)


class BatchSum(nn.Module):
    def forward(self, x):
        return x.relu() + x.sum(0)


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 4)

    def forward(self, x):
        return self.rnn(x)[0]


@pytest.mark.parametrize("module, example, op", [(BatchSum(), (4, 3), "'sum'"), (Recurrent(), (5, 2, 3), "'rnn'")])
def test_programs_that_mix_samples_are_refused(tmp_path, module, example, op):
    path = tmp_path / "mix.tlj"
    tl.jit.save(tl.jit.trace(module.eval(), tl.randn(*example)), path)
    with pytest.raises(ValueError, match=rf"parallel='processes' .* op {op}"):
        load(path)
    runtime.load(str(path), threads=2)  # threads remain available


def test_bad_parallel_arguments_are_refused(saved, monkeypatch):
    _, path = saved
    with pytest.raises(ValueError, match="parallel must be 'threads' or 'processes'"):
        runtime.load(str(path), threads=2, parallel="fork")
    monkeypatch.setattr(runtime, "processes_supported", lambda: False)
    with pytest.raises(ValueError, match="needs Linux"):
        load(path)
    assert runtime.load(str(path), parallel="processes")._processes is None  # one process: nothing to split


def test_a_killed_worker_is_reported_and_replaced(saved):
    _, path = saved
    program, x, want = split_once(path)
    (pid,) = [child.pid for child in program._processes._children]
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"worker process exited \(killed by signal 9\)"):
        program(x)
    np.testing.assert_array_equal(program(x), want)
    assert program._processes._children[0].pid != pid


def test_workers_end_with_their_program(saved):
    _, path = saved
    program, x, _ = split_once(path)
    (pid,) = [child.pid for child in program._processes._children]
    del program
    gc.collect()
    assert wait_until(lambda: not alive(pid))


def test_workers_end_when_their_parent_is_killed(saved, tmp_path):
    _, path = saved
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time, numpy as np\n"
        "from tensorlib.jit import runtime\n"
        "runtime.PROCESS_MIN_SECONDS = 0.0\n"
        f"program = runtime.load({str(path)!r}, threads=2, parallel='processes')\n"
        "x = np.zeros((6, 3, 12, 10), np.float32)\n"
        "program(x); program(x)\n"
        "print(program._processes._children[0].pid, flush=True)\n"
        "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        assert alive(pid)
    finally:
        parent.kill()
        parent.wait()
    assert wait_until(lambda: not alive(pid))


class FeatureMap(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)

    def forward(self, x):
        return self.conv(x).relu()


def test_large_slices_grow_the_shared_memory_and_leave_nothing_in_dev_shm(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "PROCESS_MIN_SECONDS", 0.0)
    before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    tl.manual_seed(2)
    path = tmp_path / "features.tlj"
    tl.jit.save(tl.jit.trace(FeatureMap().eval(), tl.randn(2, 3, 32, 32)), path)
    program = load(path)
    x = tl.randn(40, 3, 32, 32).numpy()  # the child's 20 outputs alone take 1.3 MB: more than it starts with
    whole, split = program(x), program(x)
    (child,) = program._processes._children
    assert child.size >= x[20:].nbytes + split[20:].nbytes > 1 << 20
    np.testing.assert_allclose(split, whole, rtol=0, atol=1e-5)
    serial = runtime.load(str(path))
    want = np.concatenate([one_thread_run(serial, x[lo:hi]) for lo, hi in ((0, 15), (15, 30))])
    np.testing.assert_array_equal(program(x[:30]), want)
    after = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    assert after == before


def test_an_interrupted_call_does_not_leave_its_reply_to_the_next(saved):
    _, path = saved
    program = load(path)
    x, y = tl.randn(8, 3, 12, 10).numpy(), tl.randn(8, 3, 12, 10).numpy()
    program(x)
    want = program(y)
    (child,) = program._processes._children
    pid = child.pid
    child.start([x], 4, 8)  # as if the caller was interrupted after sending a slice: its reply is never read
    np.testing.assert_array_equal(program(y), want)
    assert program._processes._children[0] is not child and not alive(pid)


def _run_in_fork(program, x, results):
    results.put(program(x))


def test_a_forked_copy_of_the_parent_starts_its_own_workers(saved):
    _, path = saved
    program, x, want = split_once(path)
    results = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_run_in_fork, args=(program, x, results))
    child.start()
    got = results.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(program(x), want)  # the parent's worker was not disturbed


def test_the_command_line_splits_with_parallel_processes(saved, tmp_path, splits):
    _, path = saved
    x = tl.randn(4, 3, 12, 10).numpy()
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "y.npy"
    assert runtime.main([str(path), str(tmp_path / "x.npy"), "--output", str(out), "--threads", "2",
                         "--parallel", "processes"]) == 0
    assert splits == [4]  # its one call (PROCESS_MIN_SECONDS is 0 here)
    np.testing.assert_allclose(np.load(out), runtime.load(str(path))(x), rtol=0, atol=1e-6)


def test_ctrl_c_is_left_to_the_caller(saved):
    _, path = saved
    program, x, want = split_once(path)
    (pid,) = [child.pid for child in program._processes._children]
    os.kill(pid, signal.SIGINT)  # as a terminal's Ctrl-C reaches every process of the group
    np.testing.assert_array_equal(program(x), want)
    assert program._processes._children[0].pid == pid
