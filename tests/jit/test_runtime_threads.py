"""The runtime's ``threads``: large convolutions split their batch over worker threads, with identical results."""

from __future__ import annotations

import gc
import multiprocessing
import threading
import time

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.jit import runtime
from tests.helpers.residual_net import ResidualNet


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "PARALLEL_MIN_MACS", 0)  # split even these small convolutions
    monkeypatch.setattr(runtime, "CHUNK_BYTES", 4000)  # several chunks per part, the last one shorter
    tl.manual_seed(0)
    model = ResidualNet().eval()
    path = tmp_path / "net.tlj"
    tl.jit.save(tl.jit.trace(model, tl.randn(2, 3, 12, 10)), path)
    return model, path


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_same_bits_as_one_thread(saved, threads):
    model, path = saved
    serial, parallel = runtime.load(str(path)), runtime.load(str(path), threads=threads)
    for batch in (7, 1, 16):
        x = tl.randn(batch, 3, 12, 10)
        want = serial(x.numpy())
        np.testing.assert_array_equal(parallel(x.numpy()), want)
        with tl.no_grad():
            np.testing.assert_allclose(want, model(x).numpy(), rtol=0, atol=1e-5)
    assert any(thread.name == "tlj-runtime-worker" for thread in threading.enumerate())


def test_the_blas_is_lowered_to_one_thread_inside_parallel_regions_and_restored(saved):
    _, path = saved
    counts = []

    def set_blas_threads(n):
        counts.append(n)
        return 4

    program = runtime.load(str(path), threads=2, set_blas_threads=set_blas_threads)
    program(np.ones((6, 3, 12, 10), np.float32))
    assert counts and counts[0::2] == [1] * (len(counts) // 2) and counts[1::2] == [4] * (len(counts) // 2)


def test_a_failing_part_is_raised_after_every_part_has_finished():
    workers = runtime._Workers(3)
    finished = []

    def fails():
        raise ValueError("part two broke")

    with pytest.raises(ValueError, match="part two broke"):
        workers.run([lambda: finished.append(0), fails, lambda: finished.append(2)])
    assert sorted(finished) == [0, 2]
    workers.run([lambda: finished.append(3), lambda: finished.append(4)])  # the workers still serve
    assert sorted(finished) == [0, 2, 3, 4]


def test_a_forked_child_restarts_the_workers(saved):
    _, path = saved
    program = runtime.load(str(path), threads=2)
    want = program(np.ones((5, 3, 12, 10), np.float32))  # workers started in the parent
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(program(np.ones((5, 3, 12, 10), np.float32))))
    child.start()
    got = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_a_bad_thread_count_is_refused(saved, threads):
    _, path = saved
    with pytest.raises(ValueError, match="threads must be a positive int"):
        runtime.load(str(path), threads=threads)


def test_a_traced_module_splits_its_convolutions_over_tensorlib_s_threads(monkeypatch):
    monkeypatch.setattr(runtime, "PARALLEL_MIN_MACS", 0)
    monkeypatch.setattr(runtime, "CHUNK_BYTES", 4000)
    tl.manual_seed(1)
    model = ResidualNet().eval()
    traced = tl.jit.trace(model, tl.randn(2, 3, 12, 10))
    x = tl.randn(6, 3, 12, 10)
    previous = tl.get_num_threads()
    try:
        tl.set_num_threads(1)
        one = traced(x).numpy()
        tl.set_num_threads(2)
        two = traced(x).numpy()
    finally:
        tl.set_num_threads(previous)
    np.testing.assert_array_equal(one, two)
    assert [traced._programs[n].threads for n in (1, 2)] == [1, 2]
    assert any(thread.name == "tlj-runtime-worker" for thread in threading.enumerate())


def test_the_workers_end_with_their_program(saved):
    _, path = saved

    def workers():
        return sum(thread.name == "tlj-runtime-worker" for thread in threading.enumerate())

    before = workers()
    program = runtime.load(str(path), threads=3)
    program(np.ones((4, 3, 12, 10), np.float32))
    assert workers() == before + 2
    del program
    gc.collect()
    for _ in range(100):
        if workers() == before:
            break
        time.sleep(0.01)
    assert workers() == before
