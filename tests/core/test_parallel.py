"""The intra-op pool (``tensorlib._parallel``) and the convolution chunks it runs: same bits at any thread count."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn.functional as F
from tensorlib import _parallel, _threads
from tensorlib.autograd import gradcheck
from tensorlib.kernels import conv

needs_blas = pytest.mark.skipif(
    _threads.blas_library() is None,
    reason="no controllable BLAS loaded (NumPy on Accelerate or a reference BLAS): one thread only")


@pytest.fixture(autouse=True)
def two_threads():
    saved = tl.get_num_threads()
    tl.set_num_threads(2)
    yield
    tl.set_num_threads(saved)


@pytest.fixture
def parallel_conv(monkeypatch):
    """Every convolution, however small, runs its chunks through the pool: the chunk loops here, and the
    runtime plans that stride-1 convolutions run (made afresh, in one-image chunks)."""
    from tensorlib.jit import runtime

    monkeypatch.setattr(conv, "PARALLEL_MIN_FLOPS", 0)
    monkeypatch.setattr(runtime, "PARALLEL_MIN_MACS", 0)
    monkeypatch.setattr(runtime, "CHUNK_BYTES", 1)
    conv._plans_local.__dict__.clear()
    yield
    conv._plans_local.__dict__.clear()


@needs_blas
def test_every_index_runs_once_in_contiguous_blocks_on_two_threads():
    seen, lock = [], threading.Lock()

    def body(i):
        with lock:
            seen.append((i, threading.get_ident(), _threads.get_num_threads()))

    _parallel.parallel_for(7, body)
    assert sorted(i for i, _, _ in seen) == list(range(7))
    by_thread = {}
    for i, ident, _ in seen:
        by_thread.setdefault(ident, []).append(i)
    assert len(by_thread) == 2 and threading.get_ident() in by_thread
    for indices in by_thread.values():
        assert indices == list(range(indices[0], indices[0] + len(indices)))
    assert {blas for _, _, blas in seen} == {1}  # the BLAS runs one thread per call inside the region
    assert tl.get_num_threads() == 2  # and is restored afterwards


def test_serial_one_thread_and_nested_regions_run_inline_in_order():
    caller = threading.get_ident()
    threads_seen = set()

    def record(i):
        threads_seen.add(threading.get_ident())

    _parallel.parallel_for(5, record, serial=True)
    assert threads_seen == {caller}
    for run in (lambda body: _parallel.parallel_for(5, body, serial=True),
                lambda body: _parallel.parallel_for(1, body)):
        order = []
        run(order.append)
        assert order == list(range(len(order))) and order
    inner = []

    def outer(i):
        _parallel.parallel_for(3, lambda j: inner.append((i, j, threading.get_ident())))

    _parallel.parallel_for(2, outer)
    for i in range(2):
        rows = [row for row in inner if row[0] == i]
        assert [j for _, j, _ in rows] == [0, 1, 2] and len({ident for *_, ident in rows}) == 1


@needs_blas
def test_an_error_in_a_worker_block_is_raised_after_every_block_finished():
    finished = []

    def body(i):
        if i == 3:
            raise ValueError("block failed")
        finished.append(i)

    with pytest.raises(ValueError, match="block failed"):
        _parallel.parallel_for(4, body)
    assert sorted(finished) == [0, 1, 2]
    assert tl.get_num_threads() == 2
    _parallel.parallel_for(2, lambda i: None)  # the pool still works


class _InfEmpty:
    """The array module with ``empty`` returning infinity-filled float arrays: a kernel that reads memory it
    never wrote (even into columns it drops) then meets inf - inf, and NumPy's invalid-value warning, which the
    test turns into an error, instead of passing by the luck of what the allocator returned."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def empty(shape, dtype=float, **kwargs):
        array = np.empty(shape, dtype, **kwargs)
        if array.dtype.kind == "f":
            array.fill(np.inf)
        return array


def _conv_step(x, w, b, **kwargs):
    x.grad = w.grad = None
    if b is not None:
        b.grad = None
    y = F.conv2d(x, w, b, **kwargs)
    (y * y).sum().backward()
    out = [y.detach().numpy().copy(), x.grad.numpy().copy(), w.grad.numpy().copy()]
    return out + ([b.grad.numpy().copy()] if b is not None else [])


CONV_CASES = {  # (N, C, size, OC, kernel, stride, padding, groups, bias): one per path of Convolution
    "rows": (6, 4, 10, 5, 3, 1, 1, 1, True),
    "rows-unpadded-5x5": (5, 3, 12, 4, 5, 1, 0, 1, False),
    "exact-windows-stride2": (5, 4, 11, 6, 3, 2, 1, 1, True),
    "exact-windows-1x1-stride2": (4, 6, 8, 4, 1, 2, 0, 1, False),
    "batch-innermost-stride2": (9, 4, 14, 6, 3, 2, 1, 1, True),
    "batch-innermost-groups": (9, 4, 12, 6, 3, 2, 1, 2, False),
    "rows-groups": (4, 6, 9, 6, 3, 1, 1, 3, True),
    "rows-unpadded-many-chunks": (12, 3, 10, 4, 3, 1, 0, 1, False),
    "rows-wide-batch-innermost-grad-weight": (9, 36, 8, 32, 3, 1, 1, 1, True),
}


@needs_blas
@pytest.mark.parametrize("case", CONV_CASES)
def test_parallel_convolution_chunks_give_the_same_bits_at_one_and_two_threads(case, parallel_conv, monkeypatch):
    monkeypatch.setattr(conv, "xp", _InfEmpty())
    n, c, size, oc, k, stride, padding, groups, bias = CONV_CASES[case]
    rng = np.random.default_rng(0)
    x = tl.tensor(rng.standard_normal((n, c, size, size), dtype=np.float32), requires_grad=True)
    w = tl.tensor(rng.standard_normal((oc, c // groups, k, k), dtype=np.float32), requires_grad=True)
    b = tl.tensor(rng.standard_normal(oc, dtype=np.float32), requires_grad=True) if bias else None
    kwargs = dict(stride=stride, padding=padding, groups=groups)
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # junk columns read across chunks must never produce NaN warnings
        for threads in (1, 2):
            tl.set_num_threads(threads)
            results[threads] = _conv_step(x, w, b, **kwargs)
    for one, two in zip(results[1], results[2]):
        assert one.tobytes() == two.tobytes()
    # and the chunked result is the convolution (a float64 reference)
    x64 = tl.from_numpy(x.detach().numpy().astype(np.float64))
    w64 = tl.from_numpy(w.detach().numpy().astype(np.float64))
    b64 = None if b is None else tl.from_numpy(b.detach().numpy().astype(np.float64))
    reference = F.conv2d(x64, w64, b64, **kwargs).numpy()
    np.testing.assert_allclose(results[2][0], reference, rtol=1e-4, atol=1e-4)


@needs_blas
@pytest.mark.parametrize("case", ["rows", "exact-windows-stride2", "batch-innermost-groups"])
def test_parallel_convolution_gradients_pass_gradcheck(case, parallel_conv):
    n, c, size, oc, k, stride, padding, groups, bias = CONV_CASES[case]
    n, size = min(n, 9), min(size, 9)
    rng = np.random.default_rng(1)
    x = tl.from_numpy(rng.standard_normal((n, c, size, size))).requires_grad_()
    w = tl.from_numpy(rng.standard_normal((oc, c // groups, k, k))).requires_grad_()
    b = tl.from_numpy(rng.standard_normal(oc)).requires_grad_()
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding, groups=groups), (x, w, b))


@needs_blas
def test_parallel_depthwise_blocks_give_the_same_bits_at_one_and_two_threads(monkeypatch):
    from tensorlib.kernels import _depthwise

    monkeypatch.setattr(_depthwise, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(_depthwise, "PARALLEL_BLOCK_ELEMENTS", 2 * 2 * 5 * 6)  # 2 of 7 channels per block
    monkeypatch.setattr(_depthwise, "BLOCK_ELEMENTS", 3 * 2 * 5 * 6)  # 3 per block, serially
    rng = np.random.default_rng(3)
    x = tl.tensor(rng.standard_normal((5, 7, 9, 11), dtype=np.float32), requires_grad=True)
    w = tl.tensor(rng.standard_normal((14, 1, 3, 3), dtype=np.float32), requires_grad=True)
    b = tl.tensor(rng.standard_normal(14, dtype=np.float32), requires_grad=True)
    results = {}
    for threads in (1, 2):
        tl.set_num_threads(threads)
        results[threads] = _conv_step(x, w, b, stride=2, padding=1, groups=7)
    for one, two in zip(results[1], results[2]):
        assert one.tobytes() == two.tobytes()
    x64 = tl.from_numpy(x.detach().numpy().astype(np.float64))
    w64 = tl.from_numpy(w.detach().numpy().astype(np.float64))
    reference = F.conv2d(x64, w64, tl.from_numpy(b.detach().numpy().astype(np.float64)), stride=2, padding=1,
                         groups=7).numpy()
    np.testing.assert_allclose(results[2][0], reference, rtol=1e-4, atol=1e-4)


@needs_blas
@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1)])  # tiled, and overlapping windows
def test_max_pool_halves_give_the_same_bits_at_one_and_two_threads(kernel, stride, padding, monkeypatch):
    from tensorlib import _parallel

    rng = np.random.default_rng(6)
    raw = rng.standard_normal((7, 5, 9, 9), dtype=np.float32)  # (C, N, H, W): channels-first, odd lead axis
    raw[:, :, 0, :2] = 1.0  # ties: the first maximum wins
    x = tl.tensor(raw).permute(1, 0, 2, 3).detach().requires_grad_()
    results = {}
    for threads, min_bytes in ((1, 1 << 40), (2, 0)):
        monkeypatch.setattr(_parallel, "HALVES_MIN_BYTES", min_bytes)
        tl.set_num_threads(threads)
        x.grad = None
        y, idx = F.max_pool2d(x, kernel, stride, padding, return_indices=True)
        (y * y).sum().backward()
        results[threads] = [y.detach().numpy().copy(), idx.numpy().copy(), x.grad.numpy().copy()]
    for one, two in zip(results[1], results[2]):
        assert one.tobytes() == two.tobytes()


@needs_blas
@pytest.mark.parametrize("name", ["relu", "relu6"])
def test_relu_and_relu6_in_halves_on_two_threads_are_the_plain_formulas(name, monkeypatch):
    from tensorlib import _parallel

    monkeypatch.setattr(_parallel, "HALVES_MIN_BYTES", 0)
    rng = np.random.default_rng(4)
    raw = rng.standard_normal((6, 5, 7, 3), dtype=np.float32) * 4
    raw[0, 0, 0, :] = 0.0  # the gradient is 0 on the bounds
    raw[0, 1, 0, :] = 6.0
    x = tl.tensor(raw).permute(1, 0, 2, 3).detach().requires_grad_()  # non-contiguous, odd first axis
    g = rng.standard_normal(x.shape, dtype=np.float32)
    results = {}
    for threads in (1, 2):
        tl.set_num_threads(threads)
        x.grad = None
        y = getattr(F, name)(x)
        y.backward(tl.tensor(g))
        results[threads] = (y.detach().numpy().copy(), x.grad.numpy().copy())
    xn = raw.transpose(1, 0, 2, 3)
    high = np.inf if name == "relu" else 6
    want_y, want_g = np.clip(xn, 0, high), g * ((xn > 0) & (xn < high))
    for y, gx in results.values():
        assert y.tobytes() == want_y.tobytes() and gx.tobytes() == want_g.tobytes()


@needs_blas
def test_parallel_batch_norm_blocks_give_the_same_bits_at_one_and_two_threads(monkeypatch):
    from tensorlib import _parallel

    monkeypatch.setattr(_parallel, "HALVES_MIN_BYTES", 0)
    rng = np.random.default_rng(2)
    x = tl.tensor(rng.standard_normal((6, 7, 5, 5), dtype=np.float32), requires_grad=True)
    bn = tl.nn.BatchNorm2d(7)
    results = {}
    for threads in (1, 2):
        tl.set_num_threads(threads)
        bn.zero_grad()
        x.grad = None
        y = bn(x)
        (y * y * tl.arange(7.0).reshape(1, 7, 1, 1)).sum().backward()
        results[threads] = [y.detach().numpy().copy(), x.grad.numpy().copy(), bn.weight.grad.numpy().copy(),
                            bn.bias.grad.numpy().copy()]
    for one, two in zip(results[1], results[2]):
        assert one.tobytes() == two.tobytes()
    x64 = tl.from_numpy(rng.standard_normal((4, 5, 3, 3))).requires_grad_()
    w64 = tl.from_numpy(rng.standard_normal(5)).requires_grad_()
    b64 = tl.from_numpy(rng.standard_normal(5)).requires_grad_()
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x64, w64, b64))


_IDLE_SPIN_PROBE = """
import os, sys, time
import numpy as np
import tensorlib as tl
from tensorlib import _parallel
_parallel.parallel_for(2, lambda i: None)  # the first parallel region
a = np.ones((400, 400), np.float32)
a @ a  # a threaded product; its idle threads then spin until their timeout
start = time.process_time()
time.sleep(0.3)
print(os.environ.get("OPENBLAS_THREAD_TIMEOUT"), time.process_time() - start)
"""


@needs_blas
@pytest.mark.parametrize("preset", [None, "28"])
def test_openblas_idle_threads_sleep_soon_after_a_product_unless_the_user_set_the_timeout(preset):
    import os
    import subprocess
    import sys

    if "scipy_openblas" not in (_threads.blas_library() or "") and "openblas" not in (_threads.blas_library() or ""):
        pytest.skip("the idle spin is an OpenBLAS setting")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_NUM_THREADS")}
    env["OPENBLAS_NUM_THREADS"] = "2"
    if preset is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = preset
    out = subprocess.run([sys.executable, "-c", _IDLE_SPIN_PROBE], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    timeout, idle_cpu = out[0], float(out[1])
    if preset is None:
        assert timeout == "20"
        assert idle_cpu < 0.02  # measured: 0.001 s; the default (2**28 cycles) spins 0.05-0.1 s of a core
    else:
        assert timeout == preset  # the user's setting wins
