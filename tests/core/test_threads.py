"""``set_num_threads``/``get_num_threads`` control the BLAS NumPy loaded; results don't depend on the count."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn.functional as F
from tensorlib import _threads
from tensorlib.data import DataLoader, Dataset

needs_blas = pytest.mark.skipif(
    _threads.blas_library() is None,
    reason="no controllable BLAS loaded (NumPy on Accelerate or a reference BLAS): set_num_threads only records")
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="per-thread CPU times need /proc")


@pytest.fixture(autouse=True)
def restore_threads():
    saved = tl.get_num_threads()
    yield
    tl.set_num_threads(saved)


def _blas_reports() -> int:
    """The count straight from the BLAS library, not through tensorlib's getter."""
    return _threads.find_blas_libraries()[0].get()


@needs_blas
def test_set_num_threads_round_trips_through_the_blas():
    for n in (1, 3, 2):
        tl.set_num_threads(n)
        assert tl.get_num_threads() == n and _blas_reports() == n
    tl.set_num_threads(np.int64(1))  # any integer type, as PyTorch
    assert tl.get_num_threads() == 1


@pytest.mark.parametrize("bad, message", [(0, "expects a positive integer"), (-2, "expects a positive integer"),
                                          (2.5, "expects an int, but got float"), ("2", "expects an int, but got str"),
                                          (True, "expects an int, but got bool")])
def test_invalid_thread_counts_raise_like_pytorch(bad, message):
    before = tl.get_num_threads()
    with pytest.raises(RuntimeError, match=f"set_num_threads {message}"):
        tl.set_num_threads(bad)
    with pytest.raises(RuntimeError, match=f"set_num_interop_threads {message}"):
        tl.set_num_interop_threads(bad)
    assert tl.get_num_threads() == before


def test_interop_threads_are_set_once_as_in_pytorch(monkeypatch):
    monkeypatch.setitem(_threads._state, "interop", None)
    monkeypatch.setitem(_threads._state, "interop_set", False)
    assert tl.get_num_interop_threads() == _threads.usable_cores()
    tl.set_num_interop_threads(3)
    assert tl.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        tl.set_num_interop_threads(2)


def test_without_a_controllable_blas_the_setting_is_recorded(monkeypatch):
    monkeypatch.setattr(_threads, "find_blas_libraries", lambda: [])
    monkeypatch.setitem(_threads._state, "libraries", [])
    monkeypatch.setitem(_threads._state, "recorded", None)
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert tl.get_num_threads() == 5 and _threads.blas_library() is None
    tl.set_num_threads(3)
    assert tl.get_num_threads() == 3


class _FakeLibrary:
    """A loaded library exposing only the given thread functions, backed by one counter."""

    def __init__(self, setter: str, getter: str) -> None:
        self.count = 4
        setattr(self, setter, lambda n: setattr(self, "count", n))
        setattr(self, getter, lambda: self.count)


@pytest.mark.parametrize("setter, getter", [("openblas_set_num_threads", "openblas_get_num_threads"),
                                            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
                                            ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
                                            ("bli_thread_set_num_threads", "bli_thread_get_num_threads")])
def test_each_blas_flavour_is_recognised_by_its_functions(setter, getter):
    library = _FakeLibrary(setter, getter)
    blas = _threads._bind("libfake.so", library)
    assert blas.get() == 4
    blas.set(1)
    assert blas.get() == 1 and library.count == 1
    assert _threads._bind("libm.so", object()) is None


@needs_blas
def test_default_is_the_blas_count_from_the_environment():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS")}
    code = "import tensorlib; print(tensorlib.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=dict(env, OMP_NUM_THREADS="1"), capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.split() == ["1"]  # (OpenBLAS caps a larger value at the cores it finds)


def _thread_cpu_ticks() -> dict:
    """Clock ticks of user+system CPU time per thread id of this process."""
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat_file:
                stat = stat_file.read()
        except OSError:  # the thread ended
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # fields 3.. of proc(5); utime, stime are fields 14, 15
        ticks[int(tid)] = int(fields[11]) + int(fields[12])
    return ticks


def _matmul_cpu_split(n_threads: int) -> tuple:
    """Run float32 512x512 products for ~0.4 s of main-thread CPU at ``n_threads`` BLAS threads; return
    (main thread's ticks, all other threads' ticks, process CPU time / wall time)."""
    tl.set_num_threads(n_threads)
    a, b = tl.randn(512, 512), tl.randn(512, 512)
    a @ b
    time.sleep(0.3)  # OpenBLAS's idle threads spin briefly after a product before they sleep
    main = threading.get_native_id()
    before, cpu0, wall0, thread0 = _thread_cpu_ticks(), time.process_time(), time.perf_counter(), time.thread_time()
    while time.thread_time() - thread0 < 0.4:
        a @ b
    after, cpu, wall = _thread_cpu_ticks(), time.process_time() - cpu0, time.perf_counter() - wall0
    others = sum(after[t] - before.get(t, 0) for t in after if t != main)
    return after[main] - before[main], others, cpu / wall


@needs_blas
@needs_proc
def test_one_thread_really_runs_single_threaded():
    main, others, _ = _matmul_cpu_split(2)  # control: the measurement sees a second BLAS thread working
    assert others >= 0.2 * main, (main, others)
    main, others, cpu_over_wall = _matmul_cpu_split(1)
    assert _blas_reports() == 1
    assert others <= 0.1 * main + 2, (main, others)  # ticks are 10 ms: allow a couple for bookkeeping threads
    assert cpu_over_wall < 1.25


class _ThreadCountDataset(Dataset):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> int:
        return tl.get_num_threads()


def _raise_to_two(worker_id: int) -> None:
    tl.set_num_threads(2)


@needs_blas
def test_dataloader_workers_run_single_threaded_unless_worker_init_fn_says_otherwise():
    tl.set_num_threads(2)
    batches = list(DataLoader(_ThreadCountDataset(), batch_size=2, num_workers=1))
    assert batches[0].tolist() == [1, 1]
    batches = list(DataLoader(_ThreadCountDataset(), batch_size=2, num_workers=1, worker_init_fn=_raise_to_two))
    assert batches[0].tolist() == [2, 2]
    assert tl.get_num_threads() == 2  # the main process keeps its own count


# ------------------------------------------------------------------------------------ determinism across counts
def _tensor(rng, *shape, grad=False):
    return tl.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad)


def _matmul(rng):
    a, b, c = _tensor(rng, 384, 256), _tensor(rng, 256, 320), _tensor(rng, 4, 64, 128)
    d, v = _tensor(rng, 4, 128, 96), _tensor(rng, 256)
    return lambda: [(a @ b).numpy(), (c @ d).numpy(), (a @ v).numpy(), tl.dot(v, v).numpy()]


def _conv(n, c, size, out, stride, groups):
    def build(rng):
        x, w, b = _tensor(rng, n, c, size, size, grad=True), _tensor(rng, out, c // groups, 3, 3, grad=True), \
            _tensor(rng, out, grad=True)

        def step():
            x.grad = w.grad = b.grad = None
            y = F.conv2d(x, w, b, stride=stride, padding=1, groups=groups)
            (y * y).sum().backward()
            return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]
        return step
    return build


def _linear(rng):
    x, w, b = _tensor(rng, 256, 512, grad=True), _tensor(rng, 256, 512, grad=True), _tensor(rng, 256, grad=True)

    def step():
        x.grad = w.grad = b.grad = None
        y = F.linear(x, w, b)
        (y * y).sum().backward()
        return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]
    return step


def _module_step(module, x):
    def step():
        module.zero_grad()
        x.grad = None
        y = module(x)
        y = y[0] if isinstance(y, tuple) else y
        (y * y).sum().backward()
        return [y.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in module.parameters()]
    return step


def _lstm(rng):
    tl.manual_seed(0)
    return _module_step(tl.nn.LSTM(64, 128, num_layers=2, batch_first=True), _tensor(rng, 16, 12, 64, grad=True))


def _batch_norm(rng):
    return _module_step(tl.nn.BatchNorm2d(16), _tensor(rng, 32, 16, 16, 16, grad=True))


DETERMINISM_CASES = {
    "matmul": _matmul,
    "conv2d": _conv(8, 16, 16, 32, 1, 1),
    "conv2d-stride2": _conv(8, 16, 32, 32, 2, 1),
    "conv2d-groups4": _conv(8, 32, 16, 32, 1, 4),
    "conv2d-stride2-groups2-odd": _conv(4, 16, 33, 16, 2, 2),
    "conv2d-depthwise": _conv(4, 16, 16, 16, 1, 16),
    "linear": _linear,
    "lstm": _lstm,
    "batch_norm": _batch_norm,
}


@needs_blas
@pytest.mark.parametrize("case", DETERMINISM_CASES)
def test_results_are_bit_identical_at_one_and_two_threads(case):
    step = DETERMINISM_CASES[case](np.random.default_rng(0))
    results = {}
    for n in (1, 2):
        tl.set_num_threads(n)
        results[n] = [array.copy() for array in step()]
    assert len(results[1]) == len(results[2])
    for one, two in zip(results[1], results[2]):
        assert one.dtype == two.dtype and one.tobytes() == two.tobytes()
