"""NumPy-only runtime for ``.tlj`` files written by ``tensorlib.jit.save``: load a traced graph and run it.

This file imports nothing but the standard library and NumPy, so it can be copied into another project as is
(``cp tensorlib/jit/runtime.py myproject/tlj_runtime.py``) and used there without tensorlib::

    import tlj_runtime
    program = tlj_runtime.load("model.tlj")
    logits = program(images)                 # NumPy arrays in, NumPy arrays (same structure as traced) out

or from the command line: ``python runtime.py model.tlj input.npy --output out.npy``.

File format: a safetensors file (8-byte header length, JSON header, raw little-endian tensor bytes). The header's
``__metadata__`` holds ``tensorlib.jit`` (the graph as JSON text), ``graph_sha256`` (its digest) and ``sha256``
(digest of the tensor bytes). The graph lists ``inputs`` (name, dtype, shape with ``null`` for dynamic dims),
``nodes`` (``op``, ``inputs``: value names, ``null`` or number literals, ``outputs``, ``attrs``) and ``outputs``
(a structure of value names). Running it: constants are folded first (batch norm into the preceding
convolution, weights pre-transposed, bias as one more GEMM column), residual adds and activations are fused into
the convolution or op before them, and every value gets a slot in one list. Each op keeps a plan per input shape
(views, scratch and output buffers made on the first call with that shape and reused after), so a call is only
the NumPy kernels writing into the same arrays (so a ``Program`` serves one thread at a time: give each thread
its own ``load``). ``load(path, threads=N)`` runs on N cores: large convolutions split over threads, or with
``parallel="processes"`` (Linux) large batches split over forked copies of the program (see ``Program``).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import mmap
import operator
import os
import queue
import signal
import struct
import sys
import threading
import time
import warnings
import weakref

import numpy as np

FORMAT = "tensorlib.jit"
FORMAT_VERSION = 1
_MAX_HEADER = 100 * 1024 * 1024
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


class CorruptFileError(RuntimeError):
    """The file is truncated, tampered with, of an unknown format version or not a ``.tlj`` file."""


class UnsupportedOpError(RuntimeError):
    """The graph uses an op this runtime does not know (a file written by a newer version)."""


# ------------------------------------------------------------------------------------------------ file reading
def read_file(path: str) -> tuple[dict, dict]:
    """``(graph, weights)`` of a ``.tlj`` file; raises :class:`CorruptFileError` naming the reason."""
    with open(path, "rb") as handle:
        raw = handle.read()
    return parse_bytes(raw, str(path))


def parse_bytes(raw: bytes, source: str = "<bytes>") -> tuple[dict, dict]:
    if len(raw) < 8:
        raise CorruptFileError(f"{source}: file is truncated ({len(raw)} bytes): not a .tlj file")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > min(_MAX_HEADER, len(raw) - 8):
        raise CorruptFileError(f"{source}: header length {header_len} exceeds the file size: file is truncated or "
                               "not a .tlj file")
    try:
        header = json.loads(raw[8:8 + header_len].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"{source}: unreadable header ({exc})") from None
    metadata = header.pop("__metadata__", None) or {}
    graph_text = metadata.get(FORMAT)
    if graph_text is None:
        raise CorruptFileError(f"{source}: no traced graph in this file (a plain checkpoint? use tensorlib.load)")
    if hashlib.sha256(graph_text.encode()).hexdigest() != metadata.get("graph_sha256"):
        raise CorruptFileError(f"{source}: checksum mismatch: the graph was modified or corrupted")
    graph = json.loads(graph_text)
    version = graph.get("version")
    if graph.get("format") != FORMAT or version != FORMAT_VERSION:
        raise CorruptFileError(f"{source}: unknown format version {version!r} (this runtime reads version "
                               f"{FORMAT_VERSION}); re-export the model or update the runtime")
    data = memoryview(raw)[8 + header_len:]
    end = max((info["data_offsets"][1] for info in header.values()), default=0)
    if end > len(data):
        raise CorruptFileError(f"{source}: file is truncated: tensor data needs {end} bytes, found {len(data)}")
    if hashlib.sha256(data[:end]).hexdigest() != metadata.get("sha256"):
        raise CorruptFileError(f"{source}: checksum mismatch: the tensor data was modified or corrupted")
    weights = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise CorruptFileError(f"{source}: tensor '{name}' has unsupported dtype {info['dtype']}")
        start, stop = info["data_offsets"]
        shape = tuple(info["shape"])
        if stop - start != math.prod(shape) * np.dtype(dtype).itemsize:
            raise CorruptFileError(f"{source}: tensor '{name}' byte range does not match its shape {list(shape)}")
        weights[name] = np.frombuffer(data[start:stop], dtype=np.dtype(dtype).newbyteorder("<")).astype(
            dtype).reshape(shape)
    return graph, weights


# ------------------------------------------------------------------------------------------------ plans
# Ops that do real work keep a *plan* per input shape (and memory layout): the views, scratch arrays and output
# buffers are made on the first call with that shape, so every later call is only the NumPy kernels writing
# into the same arrays (no allocation, no shape arithmetic, no ``as_strided``, which alone costs ~10 us).
MAX_PLANS = 8  # distinct input shapes remembered per op (memory stays bounded under changing batch sizes)


def _remember(plans: dict, key, plan):
    if len(plans) >= MAX_PLANS:
        plans.clear()
    plans[key] = plan
    return plan


def _empty_like_layout(shape, strides, dtype) -> np.ndarray:
    """An empty ``shape`` array laid out in the memory order that ``strides`` describe (a convolution's
    channels-first output stays channels-first through the elementwise ops after it, so the next convolution
    reads it without a transposing copy)."""
    order = sorted(range(len(shape)), key=lambda i: -strides[i])
    return np.empty([shape[i] for i in order], dtype).transpose(np.argsort(order))


class _Scratch:
    """One column-matrix buffer shared by the convolutions of a program: they run one after another, so it stays
    in cache from op to op instead of each op bringing its own. It grows by replacement (plans made earlier keep
    the smaller buffer they took), and a program serves one thread at a time, so nothing else writes it."""

    def __init__(self):
        self.buffer = np.empty(0, np.uint8)

    def take(self, shape, dtype) -> np.ndarray:
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        if self.buffer.nbytes < nbytes:  # zeros: columns no copy writes (row_pad) hold finite numbers
            self.buffer = np.zeros(nbytes, np.uint8)
        return self.buffer[:nbytes].view(dtype).reshape(shape)


class _Workers:
    """``threads - 1`` daemon threads that run the parts of a large op beside the calling thread.

    NumPy releases the GIL inside its copies and products, so the parts run on separate cores. Each part's
    matrix products must then run on one BLAS thread (two callers of a multi-threaded OpenBLAS wait for each
    other's threads): ``set_blas_threads(n) -> previous`` lowers it for the region and restores it after; without
    one, give the BLAS one thread yourself (``OPENBLAS_NUM_THREADS=1``). Threads are restarted after a fork."""

    def __init__(self, threads: int, set_blas_threads=None):
        self.threads, self._set_blas_threads, self._pid = threads, set_blas_threads, None

    def _start(self):
        self._inboxes = [queue.SimpleQueue() for _ in range(self.threads - 1)]
        self._done = queue.SimpleQueue()
        for inbox in self._inboxes:
            threading.Thread(target=self._serve, args=(inbox, self._done), daemon=True,
                             name="tlj-runtime-worker").start()
        weakref.finalize(self, self._stop, self._inboxes)  # the threads end with the program that owns them
        self._pid = os.getpid()

    @staticmethod
    def _stop(inboxes):
        for inbox in inboxes:
            inbox.put(None)

    @staticmethod
    def _serve(inbox, done):
        while True:
            part = inbox.get()
            if part is None:
                return
            try:
                part()
                done.put(None)
            except BaseException as exc:  # handed to the calling thread, which raises it
                done.put(exc)

    def run(self, parts) -> None:
        """Call every callable of ``parts`` (at most ``threads``) concurrently; the first on this thread."""
        if self._pid != os.getpid():
            self._start()
        previous = self._set_blas_threads(1) if self._set_blas_threads is not None else 1
        try:
            for inbox, part in zip(self._inboxes, parts[1:]):
                inbox.put(part)
            error = None
            try:
                parts[0]()
            except BaseException as exc:
                error = exc
            for _ in parts[1:]:  # wait for every part, even after a failure: they write shared buffers
                failure = self._done.get()
                error = error or failure
            if error is not None:
                raise error
        finally:
            if previous != 1:
                self._set_blas_threads(previous)


class _Context:
    """What the ops of one program share: a scratch per thread, and the workers when it runs on several."""

    def __init__(self, threads: int = 1, set_blas_threads=None, workers=None):
        """``workers``: another pool with ``threads`` and ``run(parts)`` (``_Workers``'s interface) to use."""
        self.scratches = [_Scratch() for _ in range(threads)]
        self.workers = workers if workers is not None or threads <= 1 else _Workers(threads, set_blas_threads)
        # convolution output buffers by id: their junk columns hold computed (finite) numbers, so a residual
        # read from one may be added over whole rows (``_widened``)
        self.conv_outputs = weakref.WeakValueDictionary()


# ------------------------------------------------------------------------------------------------ processes
PROCESS_MIN_SECONDS = 0.005  # a batch expected to take this long in one process is split over the processes

# a one-thread run of a sample-independent program goes through its batch this many bytes of the largest value
# at a time, so each op's output is still in L2 when the next op reads it (ResNet-8, batch 128 on one core:
# 55.0 ms whole, 50.3 ms in micro-batches of 16 = 1.1 MB)
MICRO_BATCH_BYTES = 1 << 20


_ALIGN = 64


def _aligned(nbytes: int) -> int:
    return -(-nbytes // _ALIGN) * _ALIGN


def _send(fd: int, message: dict) -> None:
    data = json.dumps(message).encode()
    data = struct.pack("<Q", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def _receive(fd: int):
    """The next message on ``fd``, or None when the other end has closed it."""
    chunks, want, length = [], 8, None
    while want:
        chunk = os.read(fd, want)
        if not chunk:
            return None
        chunks.append(chunk)
        want -= len(chunk)
        if not want and length is None:
            (length,) = struct.unpack("<Q", b"".join(chunks))
            chunks, want = [], length
    return json.loads(b"".join(chunks).decode())


def _arena_arrays(buffer: np.ndarray, specs) -> list:
    """Arrays laid out in ``buffer`` (the shared memory) by ``(offset, shape, dtype)`` specs."""
    return [buffer[offset:offset + math.prod(shape) * np.dtype(dtype).itemsize].view(dtype).reshape(shape)
            for offset, shape, dtype in specs]


def _write_arrays(memfd: int, arena, size: int, offset: int, arrays):
    """Copy ``arrays`` into the shared memory from ``offset`` on, growing it if they do not fit; returns
    ``(arena, size, specs, end)``."""
    need = offset + sum(_aligned(a.nbytes) for a in arrays)
    if need > size:
        size = max(need, 2 * size)
        os.ftruncate(memfd, size)
        arena = mmap.mmap(memfd, size)
    buffer = np.frombuffer(arena, np.uint8)
    specs = []
    for array in arrays:
        spec = (offset, list(array.shape), array.dtype.str)
        np.copyto(_arena_arrays(buffer, [spec])[0], array)
        specs.append(spec)
        offset += _aligned(array.nbytes)
    return arena, size, specs, offset


class _Child:
    """One forked copy of a program, running the slices of batches it is sent.

    Inputs and outputs travel through a shared memory file (``memfd_create``: nothing on disk or in /dev/shm; it
    grows on demand) and each call is one small JSON message each way through a pipe. The child runs its slice on
    one BLAS thread, and ends when its pipe closes (the program was garbage-collected or the parent exited) or,
    through ``PR_SET_PDEATHSIG``, when the parent is killed."""

    def __init__(self, program, set_blas_threads):
        self.memfd = os.memfd_create("tlj-runtime", os.MFD_CLOEXEC)
        self.size = 1 << 20
        os.ftruncate(self.memfd, self.size)
        self.arena = mmap.mmap(self.memfd, self.size)
        commands, self.commands = os.pipe()
        self.replies, replies = os.pipe()
        self.pending = False  # a slice was sent and its reply not read (the caller was interrupted)
        parent = os.getpid()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns about forking a multi-threaded process (here: the BLAS's threads); the child
                # only runs NumPy code, and OpenBLAS resets its threads after a fork
                warnings.simplefilter("ignore", DeprecationWarning)
                self.pid = os.fork()
        except OSError:
            for fd in (commands, self.commands, self.replies, replies, self.memfd):
                os.close(fd)
            raise
        if self.pid == 0:
            code = 1
            try:
                os.close(self.commands)
                os.close(self.replies)
                _serve(program, self.memfd, self.arena, self.size, commands, replies, parent, set_blas_threads)
                code = 0
            finally:
                os._exit(code)  # never the parent's atexit handlers, finalizers or buffered output
        os.close(commands)
        os.close(replies)

    def start(self, arrays, lo: int, hi: int) -> None:
        """Send the child rows ``lo:hi`` of every input."""
        self.arena, self.size, specs, end = _write_arrays(self.memfd, self.arena, self.size, 0,
                                                          [a[lo:hi] for a in arrays])
        self.pending = True
        try:
            _send(self.commands, {"size": self.size, "inputs": specs, "free": end})
        except BrokenPipeError:
            pass  # the child has died: ``finish`` finds its reply pipe closed and says how it ended

    def finish(self) -> list:
        """The child's outputs (views of the shared memory, valid until the next ``start``)."""
        reply = _receive(self.replies)
        self.pending = False
        if reply is None:
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
            raise RuntimeError(f"runtime worker process exited ({_exit_reason(status)}) while running its part "
                               "of the batch; it is restarted on the next call")
        if "error" in reply:
            raise RuntimeError(f"runtime worker process failed on its part of the batch: {reply['error']}")
        if reply["size"] != self.size:
            self.size = reply["size"]
            self.arena = mmap.mmap(self.memfd, self.size)
        return _arena_arrays(np.frombuffer(self.arena, np.uint8), reply["outputs"])

    def close_descriptors(self) -> None:
        """Close this end of the pipes and the shared memory file."""
        for fd in (self.commands, self.replies, self.memfd):
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> None:
        """Close the pipes (the child exits on that) and reap the child; one still computing a slice nobody will
        read is killed."""
        if self.pid is not None and self.pending:
            os.kill(self.pid, signal.SIGKILL)
        self.close_descriptors()
        if self.pid is not None:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = None


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # without it the child still ends when its command pipe closes
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _serve(program, memfd, arena, size, commands, replies, parent, set_blas_threads) -> None:
    """The child's loop: run the program on each slice sent, write its outputs after the inputs, reply."""
    _die_with_parent(parent)
    # Ctrl-C is the caller's to handle (it reaches the whole process group): a worker ends with its caller
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if set_blas_threads is not None:
        set_blas_threads(1)
    while True:
        message = _receive(commands)
        if message is None:
            return
        try:
            if message["size"] != size:
                size = message["size"]
                arena = mmap.mmap(memfd, size)
            arrays = _arena_arrays(np.frombuffer(arena, np.uint8), message["inputs"])
            outputs = [np.asarray(out) for out in program._outputs(arrays)]
            arena, size, specs, _ = _write_arrays(memfd, arena, size, message["free"], outputs)
            reply = {"size": size, "outputs": specs}
        except Exception as exc:  # reported to the parent, which raises it after its own part
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        _send(replies, reply)


class _Processes:
    """``count - 1`` forked copies of a program that each run one slice of a batch beside the calling process.

    Threads of one process hand NumPy's GIL over at every NumPy call, and on a VM each hand-off can wait
    microseconds for a sleeping core: the short calls of a convolution's chunks then scale about 1.5x over two
    threads, where processes, sharing nothing, scale 2x. The children are forked on the first call worth
    splitting (and again after they die or the parent forks), each runs on one BLAS thread, and the parent runs
    the first slice on one BLAS thread too (``set_blas_threads``), so the processes never oversubscribe the cores.
    Slices are contiguous runs of samples, and every op of a program allowed to run this way treats samples
    independently (``_batch_mixing_op``): each slice's outputs are bit for bit those of the program run on that
    slice alone, which agree with a whole-batch run to float rounding (the BLAS may sum in another order for
    another number of columns), as the outputs of different batch sizes do."""

    def __init__(self, count: int, set_blas_threads=None):
        self.count, self._set_blas_threads = count, set_blas_threads
        self._children: list = []
        self._pid = None
        self._per_sample = None  # one process's seconds per sample, measured by the last call
        _POOLS.add(self)
        weakref.finalize(self, _Processes._close_all, self._children)

    @staticmethod
    def _close_all(children) -> None:
        for child in children:
            child.close()
        children.clear()

    def forget(self) -> None:
        """In a forked copy of the parent: close the inherited ends (the children must see EOF when the real
        parent exits) and start afresh if this copy runs the program."""
        for child in self._children:
            child.close_descriptors()
            child.pid = None
        self._children.clear()

    def run(self, program, arrays) -> list:
        """The output arrays of ``program`` on ``arrays``: split when the batch is expected to take at least
        ``PROCESS_MIN_SECONDS`` here (its size times the time per sample measured by the last call, split or not;
        before any, one sample is timed first), else computed here with the BLAS as it is."""
        n = arrays[0].shape[0] if arrays and all(a.ndim for a in arrays) else 0
        if n >= self.count and all(a.shape[0] == n for a in arrays):
            if self._per_sample is None:
                self._per_sample = program._probe(arrays)
            if n * self._per_sample >= PROCESS_MIN_SECONDS:
                previous = self._set_blas_threads(1) if self._set_blas_threads is not None else 1
                start = time.perf_counter()
                try:
                    return self._split_run(program, arrays, n)
                finally:
                    # each process ran about n / count samples: a wrong (noisy) estimate corrects itself
                    self._per_sample = (time.perf_counter() - start) * self.count / n
                    if previous != 1:
                        self._set_blas_threads(previous)
        start = time.perf_counter()
        outputs = program._outputs(arrays)
        if n:
            self._per_sample = (time.perf_counter() - start) / n
        return outputs

    def _split_run(self, program, arrays, n: int) -> list:
        # (re)start the children when there are none for this process, one died, or one still owes the reply to
        # a call that was interrupted (reading it now would return another batch's outputs)
        if self._pid != os.getpid() or any(child.pid is None or child.pending for child in self._children):
            self._close_all(self._children)
            self._children.extend(_Child(program, self._set_blas_threads) for _ in range(self.count - 1))
            self._pid = os.getpid()
        bounds = [n * i // self.count for i in range(self.count + 1)]
        for child, lo, hi in zip(self._children, bounds[1:], bounds[2:]):
            child.start(arrays, lo, hi)
        error, parts = None, []
        try:
            parts.append(program._outputs([a[:bounds[1]] for a in arrays]))
        except BaseException as exc:
            error = exc
        for child in self._children:  # every child is waited for, even after a failure
            try:
                parts.append(child.finish())
            except RuntimeError as exc:
                error = error or exc
        if error is not None:
            raise error
        return [np.concatenate(outputs) for outputs in zip(*parts)]


_POOLS: weakref.WeakSet = weakref.WeakSet()


def _forget_pools_in_child() -> None:
    for pool in list(_POOLS):
        pool.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)


def processes_supported() -> bool:
    """Whether ``parallel="processes"`` can run here (Linux: ``fork`` and ``memfd_create``)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "memfd_create")


_SHARES_CONTEXT = ("conv2d",)  # ops whose factory receives the program's ``_Context`` as attrs["_context"]


def _activation(spec):
    """In-place activation from a fused ``(name, params)`` spec; ``None`` when there is none."""
    if spec is None:
        return None
    name, params = spec
    if name == "relu":
        return lambda y: np.maximum(y, 0, out=y)
    if name == "hardtanh":
        low, high = params["min_val"], params["max_val"]
        return lambda y: np.clip(y, low, high, out=y)
    raise UnsupportedOpError(f"cannot fuse activation {name!r}")


_FUSABLE_ACTIVATIONS = ("relu", "hardtanh")


# ------------------------------------------------------------------------------------------------ op kernels
# an image gets a GEMM of its own (batch-major output) from this many output elements per channel and this many
# multiply-adds (measured: ResNet's 16x16 and 32x32 layers gain ~20%; LeNet's and 8x8 layers lose)
BATCH_MAJOR_MIN_RUN = 128


BATCH_MAJOR_MIN_MACS = 1 << 20


CHUNK_BYTES = 512 << 10  # one chunk's window copy, with its padded input and output slice, stays in L2 (measured)


PARALLEL_MIN_MACS = 16 << 20  # a convolution is split over the program's threads from this many multiply-adds


# OpenBLAS multiplies a product of at most this many multiply-adds with kernels that skip packing its operands
# (SkylakeX and later): the GEMM of a convolution with at most SMALL_GEMM_MAX_ROWS output channels, cut into
# equal column pieces that small (each at least SMALL_GEMM_MIN_COLUMNS wide) and run as one stacked matmul,
# is 5% (ResNet's 16-channel 3x3 layers) to 35% (its 3-channel stem) faster (its stride-2 16 -> 32 layer: 12%);
# with 64 channels it is slower
SMALL_GEMM_MACS = 1_000_000


SMALL_GEMM_MAX_ROWS = 32


SMALL_GEMM_MIN_COLUMNS = 128


def _column_pieces(rows: int, depth: int, columns: int) -> int:
    """How many equal column pieces a ``(rows, depth) @ (depth, columns)`` product is cut into (1: none): the
    fewest that bring each to ``SMALL_GEMM_MACS``, if ``columns`` divides into them and they stay wide."""
    need = -(-rows * depth * columns // SMALL_GEMM_MACS)
    if rows > SMALL_GEMM_MAX_ROWS or need <= 1:
        return 1
    for count in range(need, need + 8):
        if columns % count == 0 and columns // count >= SMALL_GEMM_MIN_COLUMNS:
            return count
    return 1


def _split_columns(a: np.ndarray, count: int) -> np.ndarray:
    """``a`` (..., R, C) as (..., count, R, C / count): its column pieces stacked, over the same memory."""
    if count == 1:
        return a
    *lead, rows, columns = a.shape
    *lead_strides, row_stride, column_stride = a.strides
    width = columns // count
    return np.lib.stride_tricks.as_strided(a, (*lead, count, rows, width),
                                           (*lead_strides, width * column_stride, row_stride, column_stride))


_byte_bounds = getattr(getattr(np.lib, "array_utils", None), "byte_bounds", None) or np.byte_bounds  # NumPy 1.x


def _widened(view: np.ndarray, width: int, context: _Context):
    """``view`` (..., W) widened to ``width`` columns over the same memory (rows ``width`` apart), or None unless
    it views one of the program's convolution outputs that holds the extra columns."""
    owner = view
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if context.conv_outputs.get(id(owner)) is not owner:
        return None
    wide = np.lib.stride_tricks.as_strided(view, view.shape[:-1] + (width,), view.strides, writeable=False)
    low, high = _byte_bounds(wide)
    owner_low, owner_high = _byte_bounds(owner)
    return wide if owner_low <= low and high <= owner_high else None


def _phase_layout(kernel, stride, dilation, groups: int):
    """``[(a, b, taps down, taps across), ...]`` for a strided, undilated, ungrouped convolution, else None.

    Phase ``(a, b)`` of the zero-padded input is its every ``stride``-th row from ``a`` and column from ``b``.
    Kernel offset ``(a + sh*i, b + sw*j)`` of output ``(y, x)`` reads that phase at ``(y + i, x + j)``: within a
    phase plane stored in full-width rows, every offset of all output rows is one contiguous run (as for stride
    1), where the strided windows are runs of one output row with a gap between elements."""
    (kh, kw), (sh, sw) = kernel, stride
    if (sh, sw) == (1, 1) or tuple(dilation) != (1, 1) or groups != 1 or sh > kh or sw > kw:
        return None
    return [(a, b, len(range(a, kh, sh)), len(range(b, kw, sw))) for a in range(sh) for b in range(sw)]


def _phase_buffers(phases, matrix, c: int, m: int, batch_major: bool, plane_rows: int, width: int, oh: int,
                   pads, size, stride):
    """(interior copies, window copies, None) of one chunk of ``m`` images for ``_conv_plan``'s phase path.

    The phase planes (phase, C, m, plane_rows, width) are zero where no input row or column lands (the padding,
    written once); each call copies the input into its phases (``interior``: plane region, input row slice,
    column slice), then each phase's offsets into its block of window rows of ``matrix`` (``windows``)."""
    (top, left), (h, wd), (sh, sw) = pads, size, stride
    item = matrix.itemsize
    plane = plane_rows * width
    flat = np.zeros(len(phases) * c * m * plane + width, matrix.dtype)  # the tail: reads of the last junk column
    planes = flat[:len(phases) * c * m * plane].reshape(len(phases), c, m, plane_rows, width)
    interior, windows, row = [], [], 0
    for index, (a, b, down, across) in enumerate(phases):
        u0, v0 = max(0, -(-(top - a) // sh)), max(0, -(-(left - b) // sw))  # first plane row/column holding input
        r0, q0 = sh * u0 + a - top, sw * v0 + b - left  # ... and the input row/column it holds
        rows_in = min(plane_rows - u0, max(0, -(-(h - r0) // sh)))
        columns_in = min(width - v0, max(0, -(-(wd - q0) // sw)))
        if rows_in > 0 and columns_in > 0:
            interior.append((planes[index, :, :, u0:u0 + rows_in, v0:v0 + columns_in],
                             slice(r0, r0 + sh * (rows_in - 1) + 1, sh), slice(q0, q0 + sw * (columns_in - 1) + 1, sw)))
        s_c, s_n = planes.strides[1:3]
        view = np.lib.stride_tricks.as_strided(
            flat[index * c * m * plane:], shape=(c, down, across, m, oh * width),
            strides=(s_c, width * item, item, s_n, item), writeable=False)
        block = row + c * down * across
        if batch_major:
            target = matrix[:, row:block].reshape(m, c, down, across, oh * width).transpose(1, 2, 3, 0, 4)
        else:
            target = matrix[row:block].reshape(c, down, across, m, oh * width)
        windows.append((target, view))
        row = block
    return interior, windows, None


def _op_conv2d(attrs, consts):
    """im2col + GEMM in cache-sized batch chunks, planned once per input shape (see ``_conv_plan``).

    A fused residual (``optimize`` turns ``relu(conv(x) + r)`` into one conv2d) arrives as a fourth input."""
    w, b = consts[1], consts[2] if len(consts) > 2 else None
    if w is None:
        raise UnsupportedOpError("conv2d with a computed (non-constant) weight is not supported by the runtime")
    oc, cg, kh, kw = w.shape
    g = attrs["groups"]
    spec = dict(pads=attrs["pads"], stride=attrs["stride"], dilation=attrs["dilation"], kernel=(kh, kw),
                weight=np.ascontiguousarray(w.reshape(g, oc // g, cg * kh * kw)),
                bias=None if b is None else b.reshape(g, oc // g, 1), act=_activation(attrs.get("_act")),
                context=attrs.get("_context") or _Context(), row_pad=attrs.get("_row_pad", 0))
    plans = {}

    def conv2d(x, w=None, b=None, residual=None):
        key = (x.shape, x.dtype)
        run = plans.get(key)
        if run is None:
            run = _remember(plans, key, _conv_plan(x.shape, x.dtype, **spec))
        return run(x, residual)

    return conv2d


def _conv_plan(shape, dtype, pads, stride, dilation, kernel, weight, bias, act, context, row_pad=0):
    """``run(x, residual)`` computing the convolution of inputs of ``shape`` into one reused output buffer.

    Work goes through the batch in chunks sized so one chunk's window copy stays in cache: the chunk's images
    are copied into a small zero-bordered buffer (border written once), their windows into the column matrix
    (plus a row of ones that multiplies the bias column of the weights), and the GEMM writes the chunk's part of
    the output, where the residual and activation run while it is in cache. So the input is read once and the
    output written once. Stride-1 convolutions use full-width rows: an output row keeps all columns of a padded
    row, so a kernel offset of an image is one contiguous run of the padded buffer; the few junk columns are
    never read back (the result is a view that skips them). Strided multi-offset kernels do the same within
    the input's stride phases (``_phase_layout``); dilated strided ones copy the exact windows; 1x1
    convolutions without padding read their (strided) input directly. The result is an (N, OC, OH, OW) view of
    the output buffer, which the next convolution reads in whatever memory order it has.
    """
    n, c, h, wd = shape
    (top, bottom), (left, right) = pads
    (sh, sw), (dh, dw), (kh, kw) = stride, dilation, kernel
    g, ocg, ckk = weight.shape
    if c != g * ckk // (kh * kw):
        raise ValueError(f"conv2d: input has {c} channels, the weight expects {g * ckk // (kh * kw)}")
    hp, wp = h + top + bottom, wd + left + right
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"conv2d: input {list(shape)} (padded {hp}x{wp}) is smaller than the kernel {kh}x{kw}")
    ones_row = g == 1 and bias is not None  # bias as one more GEMM column of weights times a row of ones: free
    # strided multi-offset kernels split the padded input into its stride phases (``_phase_layout``): the window
    # rows are then ordered phase by phase, and so are the weight's columns
    phases = _phase_layout(kernel, stride, dilation, g) if kh * kw > 1 else None

    def arrange(weight, bias):
        """(GEMM weight matrix, bias left to add or None) from a (G, OCG, CKK) weight and a (G, OCG, 1) bias."""
        weight = weight.astype(dtype, copy=False)
        bias = None if bias is None else bias.astype(dtype, copy=False)
        if phases is not None:
            taps = weight.reshape(g, ocg, c, kh, kw)
            weight = np.concatenate([taps[:, :, :, a::sh, b::sw].reshape(g, ocg, -1) for a, b, _, _ in phases],
                                    axis=2)
        if g == 1:
            weight, bias = weight[0], None if bias is None else bias[0]
            if ones_row:
                weight, bias = np.concatenate([weight, bias], axis=1), None
        return np.ascontiguousarray(weight), bias

    weight, bias = arrange(weight, bias)
    rows = sh == sw == 1 and kh * kw > 1
    direct = kh == kw == 1 and not (top or bottom or left or right)
    span = dw * (kw - 1)
    # full-width rows: neighbouring rows share one zero gap as right and left padding (row width W + max(l, r)),
    # so each output row computes only span - min(l, r) junk columns (unless the padding exceeds the kernel span)
    gap = rows and min(left, right) <= span
    row_width, col0 = (wd + max(left, right), 0) if gap else (wp, left)  # padded row width, first data column
    # columns computed per output row, junk ones included; a direct convolution whose output is added into a
    # full-width-row one computes as many junk columns as that one (``row_pad``), so the add runs over whole rows
    width = row_width if rows else ow + (row_pad if direct else 0)
    if phases is not None:  # full-width rows of each phase plane: (kw - 1) // sw junk columns per output row
        width = ow + (kw - 1) // sw
        phase_rows = oh + (kh - 1) // sh
    run_len, item = oh * width, np.dtype(dtype).itemsize
    # memory layout: per-image output blocks (N, OC, OH, W) when an image is worth a GEMM of its own (its output
    # is then written contiguously); channels-first (OC, N, OH, W) for small images, whose chunk of several
    # images is one wider GEMM. The views below are always (C or OC, N, ...) whatever the memory order.
    batch_major = run_len >= BATCH_MAJOR_MIN_RUN and g * ocg * g * ckk * run_len >= BATCH_MAJOR_MIN_MACS
    out = np.empty((n, g * ocg, oh, width), dtype).transpose(1, 0, 2, 3) if batch_major else \
        np.empty((g * ocg, n, oh, width), dtype)
    owner = out if out.base is None else out.base
    context.conv_outputs[id(owner)] = owner
    step = max(1, min(n, CHUNK_BYTES // max(c * kh * kw * run_len * item, 1)))

    def chunk_buffers(m, scratch):
        """(padded interior or None, windows, cols target, cols matrix, ones row or None) for ``m`` images."""
        rows_k = g * ckk + ones_row
        if batch_major:  # (m, K, L) stacked matrices, one GEMM per image
            matrix = scratch.take((m, rows_k, run_len), dtype)
            body = matrix[:, :g * ckk]
            cols = body.reshape(m, c, kh, kw, run_len).transpose(1, 2, 3, 0, 4)
            ones = matrix[:, g * ckk:] if ones_row else None
            matrix = matrix if g == 1 else matrix.reshape(m, g, ckk, run_len)
            direct_target = body.reshape(m, c, oh, width)[..., :ow].transpose(1, 0, 2, 3) if direct else None
        else:  # (K, m*L): one GEMM for the chunk
            matrix = scratch.take((rows_k, m * run_len), dtype)
            cols = matrix[:g * ckk].reshape(c, kh, kw, m, run_len)
            ones = matrix[g * ckk:] if ones_row else None
            matrix = matrix if g == 1 else matrix.reshape(g, ckk, m * run_len)
            direct_target = cols.reshape(c, m, oh, width)[..., :ow] if direct else None
        if direct:
            return None, None, direct_target, matrix, ones
        if phases is not None:
            return _phase_buffers(phases, matrix, c, m, batch_major, phase_rows, width, oh, (top, left), (h, wd),
                                  (sh, sw)) + (matrix, ones)
        lead = left - col0 if rows else 0  # zeros before the first row: its left padding is the gap before it
        flat = np.zeros(lead + c * m * hp * row_width + (span if rows else 0), dtype)
        planes = flat[lead:lead + c * m * hp * row_width]
        planes = planes.reshape(m, c, hp, row_width).transpose(1, 0, 2, 3) if batch_major else \
            planes.reshape(c, m, hp, row_width)
        s_c, s_n, s_h, s_w = planes.strides
        if rows:  # offset (i, j) of output row r, column q reads row r + i*dh, column q + j*dw - left
            windows = np.lib.stride_tricks.as_strided(
                flat, shape=(c, kh, kw, m, run_len), strides=(s_c, dh * s_h, dw * item, s_n, item), writeable=False)
        else:
            windows = np.lib.stride_tricks.as_strided(
                planes, shape=(c, kh, kw, m, oh, ow), strides=(s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
                writeable=False)
        return planes[:, :, top:top + h, col0:col0 + wd], windows, cols.reshape(windows.shape), matrix, ones

    # with workers, a large convolution splits its chunks into one contiguous run of images per thread, each with
    # its own buffers (the padded input, the scratch) so the parts never write the same memory
    parts = 1
    if context.workers is not None and g * ocg * g * ckk * oh * ow * n >= PARALLEL_MIN_MACS:
        parts = min(context.workers.threads, -(-n // step))
    shared = {}
    groups = [[] for _ in range(parts)]
    starts = range(0, n, step)
    for index, n0 in enumerate(starts):
        m, part = min(n, n0 + step) - n0, index * parts // len(starts)
        key = part, m
        interior, windows, target, matrix, ones = shared[key] if key in shared else \
            chunk_buffers(m, context.scratches[part])
        if key not in shared:
            shared[key] = interior, windows, target, matrix, None  # the ones row outlives later chunks' copies
        if batch_major:
            product = out.transpose(1, 0, 2, 3).reshape(n, g, ocg, run_len)[n0:n0 + m]
            product = product[:, 0] if g == 1 else product
        else:
            product = out.reshape(g, ocg, n * run_len)[:, :, n0 * run_len:(n0 + m) * run_len]
            product = product[0] if g == 1 else product
        pieces = _column_pieces(ocg, matrix.shape[-2], matrix.shape[-1]) if g == 1 else 1
        groups[part].append((n0, n0 + m, interior, windows, target, _split_columns(matrix, pieces), ones,
                             product, _split_columns(product, pieces), out[:, n0:n0 + m]))
    result = out[..., :ow].transpose(1, 0, 2, 3)
    matmul, copyto, add = np.matmul, np.copyto, np.add

    def load_weight(new_weight, new_bias=None) -> None:
        """Make later runs use ``new_weight`` (G, OCG, CKK) and ``new_bias`` (G, OCG, 1), written into the plan's
        own arrays (a plan made with a bias needs one): a training step's convolution reuses its plan."""
        arranged, rest = arrange(new_weight, new_bias)
        copyto(weight, arranged)
        if rest is not None:
            copyto(bias, rest)

    def run(x, residual=None, into=None):
        """The convolution of ``x`` (plus ``residual``, activated) as a view of the plan's output buffer, which
        the next run overwrites; or, given ``into`` (an (N, OC, OH, OW) array, without a residual), written
        there chunk by chunk while in cache."""
        if into is not None:
            compute(x, None, act, into.transpose(1, 0, 2, 3))
            return into
        if residual is not None and residual.shape != result.shape and residual.dtype == result.dtype:
            try:
                residual = np.broadcast_to(residual, result.shape)
            except ValueError:
                pass  # the add broadcasts the convolution's output up
        if residual is not None and (residual.shape != result.shape or residual.dtype != result.dtype):
            compute(x, None, None, None)  # not fusable chunk by chunk: add (and activate) afterwards, as eager
            y = add(result, residual)
            return y if act is None else act(y)
        compute(x, residual, act, None)
        return result

    run.load_weight = load_weight
    last_residual = [None, None]  # (residual view, its widened view or None)

    def compute(x, residual, act, into):
        xc = x.transpose(1, 0, 2, 3)
        if direct and (sh > 1 or sw > 1):
            xc = xc[:, :, ::sh, ::sw]
        full_rows = False
        if residual is not None:
            # a residual whose rows are laid out like this output's (another convolution's output, junk columns
            # included) is added over whole rows: one contiguous run per image plane instead of one per row. The
            # residual is usually the same view of another plan's buffer on every call: decided once for it
            if residual is not last_residual[0]:
                last_residual[:] = [residual, _widened(residual, width, context)
                                    if width > ow and residual.strides[2:] == result.strides[2:] else None]
            wide = last_residual[1]
            full_rows = wide is not None
            residual = (wide if full_rows else residual).transpose(1, 0, 2, 3)
        if parts == 1:
            compute_chunks(groups[0], xc, residual, full_rows, act, into)
        else:
            context.workers.run([functools.partial(compute_chunks, group, xc, residual, full_rows, act, into)
                                 for group in groups])

    def compute_chunks(chunks, xc, residual, full_rows, act, into):
        for n0, n1, interior, windows, target, cols, ones, product, gemm_out, block in chunks:
            if direct:
                copyto(target, xc[:, n0:n1])
            elif phases is not None:  # interior: (phase plane region, input rows, columns); windows: (target, view)
                images = xc[:, n0:n1]
                for region, source_rows, source_columns in interior:
                    copyto(region, images[:, :, source_rows, source_columns])
                for tap_target, tap_windows in windows:
                    copyto(tap_target, tap_windows)
            else:
                copyto(interior, xc[:, n0:n1])
                copyto(target, windows)
            if ones is not None:
                ones.fill(1)
            matmul(weight, cols, out=gemm_out)
            if bias is not None:
                product += bias
            if residual is not None:
                valid = block if full_rows else block[..., :ow]
                add(valid, residual[:, n0:n1], out=valid)
            if act is not None:
                act(product)
            if into is not None:
                copyto(into[:, n0:n1], block[..., :ow])

    return run


def _op_linear(attrs, consts):
    w, b = consts[1], consts[2]
    act = _activation(attrs.get("_act"))
    if w is None:
        def linear_dynamic(x, w, b=None):
            y = x @ w.T
            return y if b is None else y + b
        return linear_dynamic
    wt = np.ascontiguousarray(w.T)  # constant folding: the transpose is done once, not per call
    outs = {}
    matmul = np.matmul

    def linear(x, *_):
        if x.ndim != 2:
            y = x @ wt
        else:
            key = (x.shape[0], x.dtype)
            y = outs.get(key)
            if y is None:
                y = _remember(outs, key, np.empty((x.shape[0], wt.shape[1]), np.result_type(x, wt)))
            matmul(x, wt, out=y)
        if b is not None:
            y += b
        if act is not None:
            act(y)
        return y

    return linear


def _bn_scale_shift(consts, eps):
    weight, bias, mean, var = consts[1], consts[2], consts[3], consts[4]
    scale = 1.0 / np.sqrt(var.astype(np.float64) + eps)
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    return scale, shift


def _op_batch_norm(attrs, consts):
    """Batch norm not folded into a convolution: ``x * scale + shift`` per channel, into a reused buffer."""
    scale, shift = _bn_scale_shift(consts, attrs["eps"])
    act = _activation(attrs.get("_act"))
    plans = {}

    def batch_norm(x, *_):
        key = (x.shape, x.strides, x.dtype)
        plan = plans.get(key)
        if plan is None:
            shape = (1, -1) + (1,) * (x.ndim - 2)
            plan = _remember(plans, key, (scale.astype(x.dtype).reshape(shape), shift.astype(x.dtype).reshape(shape),
                                          _empty_like_layout(x.shape, x.strides, x.dtype)))
        s, t, y = plan
        np.multiply(x, s, out=y)
        y += t
        if act is not None:
            act(y)
        return y

    return batch_norm


def _binary(ufunc):
    def factory(attrs, consts):
        act = _activation(attrs.get("_act"))
        outs = {}

        def binary(a, b):
            if a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.shape == b.shape \
                    and a.dtype == b.dtype:
                key = (a.shape, a.strides, a.dtype)
                y = outs.get(key)
                if y is None:
                    y = _remember(outs, key, _empty_like_layout(a.shape, a.strides, a.dtype))
                ufunc(a, b, out=y)
            else:
                y = np.asarray(ufunc(a, b))
            if act is not None:
                act(y)
            return y
        return binary
    return factory


def _unary(fn):
    return lambda attrs, consts: fn


def _erf(x):
    # Abramowitz-Stegun 7.1.26 is too coarse for 1e-5 parity: use math.erf vectorised (exact to float64)
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


def _op_gelu(attrs, consts):
    if attrs.get("approximate", "none") == "tanh":
        return lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi).astype(x.dtype) * (x + 0.044715 * x ** 3)))
    return lambda x: (0.5 * x * (1 + _erf(x / np.sqrt(2)))).astype(x.dtype)


def _op_leaky_relu(attrs, consts):
    slope = attrs["negative_slope"]
    return lambda x: np.where(x > 0, x, x * x.dtype.type(slope))


def _op_elu(attrs, consts):
    alpha, scale, input_scale = attrs["alpha"], attrs["scale"], attrs["input_scale"]
    return lambda x: (scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) * input_scale))).astype(x.dtype)


def _op_softplus(attrs, consts):
    beta, threshold = attrs["beta"], attrs["threshold"]
    return lambda x: np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(x * beta, threshold))) / beta
                              ).astype(x.dtype)


def _op_hardtanh(attrs, consts):
    low, high = attrs["min_val"], attrs["max_val"]
    return lambda x: np.clip(x, low, high)


def _op_clamp(attrs, consts):
    def clamp(x, low=None, high=None):
        if low is not None:
            x = np.maximum(x, low)
        if high is not None:
            x = np.minimum(x, high)
        return np.asarray(x)
    return clamp


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _op_attention(attrs, consts):
    """softmax(q k^T * scale + mask) v over the last two dims; fully masked rows give zeros, as the kernel."""
    scale, causal, groups = attrs["scale"], attrs["causal"], attrs["groups"]

    def attention(q, k, v, mask=None):
        if groups > 1:
            k, v = np.repeat(k, groups, axis=-3), np.repeat(v, groups, axis=-3)
        scores = np.matmul(q * np.asarray(scale, q.dtype), np.swapaxes(k, -1, -2))
        if mask is not None:
            scores += mask
        if causal:
            scores += np.where(np.tri(*scores.shape[-2:], dtype=bool), 0, -np.inf).astype(q.dtype)
        top = scores.max(axis=-1, keepdims=True)
        top[~np.isfinite(top)] = 0
        weights = np.exp(scores - top)
        total = weights.sum(axis=-1, keepdims=True)
        total[total == 0] = 1
        return np.matmul(weights / total, v).astype(q.dtype, copy=False)
    return attention


def _log_softmax(x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _reduction(fn):
    def factory(attrs, consts):
        axes = attrs.get("axes")
        axes = None if axes is None else tuple(axes)
        keepdim = attrs.get("keepdim", False)
        dtype = attrs.get("dtype")
        if dtype is None:
            return lambda x: np.asarray(fn(x, axis=axes, keepdims=keepdim))
        return lambda x: np.asarray(fn(x, axis=axes, keepdims=keepdim, dtype=dtype))
    return factory


def _pool_geometry(x, attrs):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = attrs["kernel"], attrs["stride"], attrs["padding"], attrs["dilation"]
    n, c, h, w = x.shape
    ceil = attrs.get("ceil_mode", False)
    sizes = []
    for size, k, s, p, d in ((h, kh, sh, ph, dh), (w, kw, sw, pw, dw)):
        span = size + 2 * p - d * (k - 1) - 1
        out = (span + (s - 1 if ceil else 0)) // s + 1
        if ceil and (out - 1) * s >= size + p:
            out -= 1
        sizes.append(out)
    return sizes


def _op_max_pool2d(attrs, consts):
    """Running maximum of the KH*KW strided window views into a reused buffer (in the input's memory order)."""
    plans = {}

    def max_pool2d(x):
        key = (x.shape, x.strides, x.dtype)
        run = plans.get(key)
        if run is None:
            run = _remember(plans, key, _pool_plan(x, attrs, "max"))
        return run(x)

    return max_pool2d


def _op_avg_pool2d(attrs, consts):
    plans = {}

    def avg_pool2d(x):
        key = (x.shape, x.strides, x.dtype)
        run = plans.get(key)
        if run is None:
            run = _remember(plans, key, _pool_plan(x, dict(attrs, dilation=(1, 1)), "avg"))
        return run(x)

    return avg_pool2d


def _pool_plan(x, attrs, mode):
    """``run(x)`` for max or average pooling of inputs shaped and laid out like ``x``.

    Padding (and ceil mode's extra windows) reads a bordered copy whose border (-inf for max, 0 for average)
    is written once; the windows are KH*KW strided views combined with ``np.maximum``/``np.add`` in place."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = attrs["kernel"], attrs["stride"], attrs["padding"], attrs["dilation"]
    n, c, h, w = x.shape
    oh, ow = _pool_geometry(x, attrs)
    hp = max(h + 2 * ph, (oh - 1) * sh + dh * (kh - 1) + 1)
    wp = max(w + 2 * pw, (ow - 1) * sw + dw * (kw - 1) + 1)
    bordered = None
    if hp != h or wp != w or ph or pw:
        bordered = _empty_like_layout((n, c, hp, wp), x.strides, x.dtype)
        bordered.fill(-np.inf if mode == "max" else 0)
    interior = None if bordered is None else bordered[:, :, ph:ph + h, pw:pw + w]
    bounds = [(i * dh, i * dh + sh * (oh - 1) + 1, j * dw, j * dw + sw * (ow - 1) + 1)
              for i in range(kh) for j in range(kw)]
    out = _empty_like_layout((n, c, oh, ow), x.strides, x.dtype)
    combine = np.maximum if mode == "max" else np.add
    divisor = None
    if mode == "avg":
        override = attrs.get("divisor_override")
        if override:
            divisor = x.dtype.type(override)
        else:  # windows count the padding (count_include_pad) but never the ceil-mode overhang
            ones = np.zeros((hp, wp), x.dtype)
            if attrs.get("count_include_pad", True):
                ones[:h + 2 * ph, :w + 2 * pw] = 1
            else:
                ones[ph:ph + h, pw:pw + w] = 1
            count = sum(ones[r0:r1:sh, c0:c1:sw] for r0, r1, c0, c1 in bounds)
            divisor = np.maximum(count, 1)

    def run(x):
        if interior is not None:
            np.copyto(interior, x)
            x = bordered
        if len(bounds) == 1:
            r0, r1, c0, c1 = bounds[0]
            np.copyto(out, x[:, :, r0:r1:sh, c0:c1:sw])
        else:
            (a0, a1, b0, b1), (r0, r1, c0, c1) = bounds[0], bounds[1]
            combine(x[:, :, a0:a1:sh, b0:b1:sw], x[:, :, r0:r1:sh, c0:c1:sw], out=out)
            for r0, r1, c0, c1 in bounds[2:]:
                combine(out, x[:, :, r0:r1:sh, c0:c1:sw], out=out)
        if divisor is not None:
            np.divide(out, divisor, out=out)
        return out

    return run


def _adaptive_bins(size: int, out: int):
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _op_adaptive_pool2d(reduce):
    def factory(attrs, consts):
        out_h, out_w = attrs["out_hw"]
        outs = {}

        def adaptive_pool2d(x):
            n, c, h, w = x.shape
            oh, ow = out_h or h, out_w or w
            if oh == ow == 1:  # global pooling: one reduction into a reused buffer
                key = (x.shape, x.dtype)
                y = outs.get(key)
                if y is None:
                    y = _remember(outs, key, np.empty((n, c, 1, 1), x.dtype))
                if reduce is np.mean:
                    np.add.reduce(x, axis=(2, 3), keepdims=True, out=y)
                    return np.divide(y, h * w, out=y)
                return np.maximum.reduce(x, axis=(2, 3), keepdims=True, out=y)
            if h % oh == 0 and w % ow == 0:
                return reduce(x.reshape(n, c, oh, h // oh, ow, w // ow), axis=(3, 5))
            out = np.empty((n, c, oh, ow), x.dtype)
            for i, (h0, h1) in enumerate(_adaptive_bins(h, oh)):
                for j, (w0, w1) in enumerate(_adaptive_bins(w, ow)):
                    out[:, :, i, j] = reduce(x[:, :, h0:h1, w0:w1], axis=(2, 3))
            return out
        return adaptive_pool2d
    return factory


def _op_reshape(attrs, consts):
    shape = attrs["shape"]

    def reshape(x):
        return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(shape)])
    return reshape


def _op_expand(attrs, consts):
    shape = attrs["shape"]
    return lambda x: np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(shape)))


def _decode_index(items):
    out = []
    for item in items:
        if isinstance(item, list):
            out.append(slice(*item))
        elif item == "...":
            out.append(Ellipsis)
        else:
            out.append(item)  # an int, or None for a new axis
    return tuple(out)


def _op_slice(attrs, consts):
    index = _decode_index(attrs["index"])
    return lambda x: x[index]


def _op_constant_pad(attrs, consts):
    pairs, value = attrs["pairs"], attrs["value"]

    def constant_pad(x):
        widths = [(0, 0)] * x.ndim
        for dim, before, after in pairs:
            widths[dim] = (before, after)
        crop = tuple(slice(-min(b, 0) or None, (x.shape[d] + min(a, 0)) or None) if (b < 0 or a < 0)
                     else slice(None) for d, (b, a) in enumerate(widths))
        return np.pad(x[crop], [(max(b, 0), max(a, 0)) for b, a in widths], constant_values=value)
    return constant_pad


def _op_embedding(attrs, consts):
    return lambda indices, weight: weight[indices]


def _op_embedding_bag(attrs, consts):
    mode, include_last, padding_idx = attrs["mode"], attrs["include_last_offset"], attrs["padding_idx"]

    def embedding_bag(indices, offsets, weight, per_sample_weights=None):
        if indices.ndim == 2:
            bags, length = indices.shape
            flat = indices.reshape(-1)
            starts = np.arange(0, bags * length, length)
        else:
            flat = indices
            starts = offsets[:-1] if include_last else offsets
            if include_last:
                flat = flat[:offsets[-1]]
        rows = weight[flat]
        valid = np.ones(len(flat), weight.dtype) if padding_idx is None else (flat != padding_idx).astype(
            weight.dtype)
        bags = len(starts)
        ends = np.append(starts[1:], len(flat)).astype(np.int64)
        counts_all = ends - starts
        out = np.zeros((bags, weight.shape[1]), weight.dtype)
        nonempty = counts_all > 0
        if len(flat) == 0 or not nonempty.any():
            return out
        starts_ne = starts[nonempty]
        if mode == "max":
            masked = np.where(valid[:, None] > 0, rows, -np.inf)
            reduced = np.maximum.reduceat(masked, starts_ne, axis=0)
            reduced[np.isinf(reduced)] = 0
            out[nonempty] = reduced
            return out
        weighted = rows * valid[:, None]
        if per_sample_weights is not None:
            weighted = weighted * per_sample_weights[:len(flat), None]
        sums = np.add.reduceat(weighted, starts_ne, axis=0)
        if mode == "mean":
            counts = np.add.reduceat(valid, starts_ne)
            sums = sums / np.maximum(counts, 1)[:, None]
        out[nonempty] = sums
        return out

    return embedding_bag


def _op_layer_norm(attrs, consts):
    eps, ndim = attrs["eps"], attrs["normalized_ndim"]

    def layer_norm(x, weight=None, bias=None):
        axes = tuple(range(x.ndim - ndim, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + x.dtype.type(eps))
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        return y.astype(x.dtype)
    return layer_norm


def _sigmoid(x):
    return np.asarray(1 / (1 + np.exp(-x)), dtype=x.dtype)


def _rnn_direction(mode, x_proj, h, c, w_hh_t, b_hh, mask, reverse, outputs):
    """One direction of one layer over time-major ``x_proj (T, N, G)`` (input projection done); writes ``outputs``
    (T, N, H) and returns the final ``(h, c)``. ``mask`` (T, N, 1) marks valid steps of padded sequences."""
    steps = range(x_proj.shape[0] - 1, -1, -1) if reverse else range(x_proj.shape[0])
    hidden = h.shape[1]
    for t in steps:
        gates_h = h @ w_hh_t
        if b_hh is not None:
            gates_h += b_hh
        xt = x_proj[t]
        if mode == "LSTM":
            gates = xt + gates_h
            i = _sigmoid(gates[:, :hidden])
            f = _sigmoid(gates[:, hidden:2 * hidden])
            g = np.tanh(gates[:, 2 * hidden:3 * hidden])
            o = _sigmoid(gates[:, 3 * hidden:])
            c_new = f * c + i * g
            h_new = o * np.tanh(c_new)
        elif mode == "GRU":
            r = _sigmoid(xt[:, :hidden] + gates_h[:, :hidden])
            z = _sigmoid(xt[:, hidden:2 * hidden] + gates_h[:, hidden:2 * hidden])
            n = np.tanh(xt[:, 2 * hidden:] + r * gates_h[:, 2 * hidden:])
            h_new, c_new = (1 - z) * n + z * h, c
        else:
            pre = xt + gates_h
            h_new, c_new = (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), c
        if mask is None:
            h, c = h_new, c_new
            outputs[t] = h_new
        else:
            m = mask[t]
            h = np.where(m, h_new, h)
            if c is not None:
                c = np.where(m, c_new, c)
            outputs[t] = np.where(m, h_new, 0)
    return h, c


def _op_rnn(attrs, consts):
    mode, layers, directions = attrs["mode"], attrs["num_layers"], 2 if attrs["bidirectional"] else 1
    hidden, batch_first, has_bias = attrs["hidden_size"], attrs["batch_first"], attrs["bias"]
    per = 4 if has_bias else 2
    weights = consts[4:]
    folded = []  # per (layer, direction): W_ih^T, b_ih, W_hh^T, b_hh (transposes folded once)
    for k in range(layers * directions):
        group = weights[k * per:(k + 1) * per]
        w_ih, w_hh = group[0], group[1]
        b_ih, b_hh = (group[2], group[3]) if has_bias else (None, None)
        folded.append((np.ascontiguousarray(w_ih.T), b_ih, np.ascontiguousarray(w_hh.T), b_hh))

    def rnn(x, lengths=None, h0=None, c0=None, *_):
        seq = x.transpose(1, 0, 2) if batch_first else x  # (T, N, I)
        steps, batch = seq.shape[:2]
        mask = None
        if lengths is not None:
            mask = (np.arange(steps)[:, None] < np.asarray(lengths).reshape(1, -1))[:, :, None]
        layer_input = seq
        h_n, c_n = [], []
        for layer in range(layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                w_ih_t, b_ih, w_hh_t, b_hh = folded[k]
                proj = layer_input @ w_ih_t
                if b_ih is not None:
                    proj += b_ih
                h = np.zeros((batch, hidden), x.dtype) if h0 is None else h0[k]
                c = None
                if mode == "LSTM":
                    c = np.zeros((batch, hidden), x.dtype) if c0 is None else c0[k]
                out = np.empty((steps, batch, hidden), x.dtype)
                h, c = _rnn_direction(mode, proj, h, c, w_hh_t, b_hh, mask, d == 1, out)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            layer_input = outs[0] if directions == 1 else np.concatenate(outs, axis=2)
        output = layer_input.transpose(1, 0, 2) if batch_first else layer_input
        h_stack = np.stack(h_n).astype(x.dtype)
        if mode == "LSTM":
            return output, h_stack, np.stack(c_n).astype(x.dtype)
        return output, h_stack

    return rnn


def _op_cast(attrs, consts):
    dtype = np.dtype(attrs["dtype"])
    return lambda x: x.astype(dtype)


def _where(condition, a, b):
    return np.where(condition, a, b)


OPS = {
    "conv2d": _op_conv2d,
    "linear": _op_linear,
    "matmul": _unary(np.matmul),
    "batch_norm": _op_batch_norm,
    "layer_norm": _op_layer_norm,
    "add": _binary(np.add),
    "sub": _binary(np.subtract),
    "mul": _binary(np.multiply),
    "div": _binary(np.true_divide),
    "pow": _unary(lambda a, b: np.asarray(np.power(a, b))),
    "maximum": _unary(np.maximum),
    "minimum": _unary(np.minimum),
    "where": _unary(_where),
    "neg": _unary(np.negative),
    "abs": _unary(np.abs),
    "exp": _unary(np.exp),
    "log": _unary(np.log),
    "sqrt": _unary(np.sqrt),
    "rsqrt": _unary(lambda x: 1 / np.sqrt(x)),
    "reciprocal": _unary(lambda x: 1 / x),
    "sin": _unary(np.sin),
    "cos": _unary(np.cos),
    "tanh": _unary(np.tanh),
    "sigmoid": _unary(_sigmoid),
    "relu": _unary(lambda x: np.maximum(x, 0)),
    "gelu": _op_gelu,
    "silu": _unary(lambda x: x * _sigmoid(x)),
    "hardsigmoid": _unary(lambda x: np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype)),
    "hardswish": _unary(lambda x: (x * np.clip(x / 6 + 0.5, 0, 1)).astype(x.dtype)),
    "hardtanh": _op_hardtanh,
    "leaky_relu": _op_leaky_relu,
    "elu": _op_elu,
    "softplus": _op_softplus,
    "clamp": _op_clamp,
    "identity": _unary(lambda x: x),
    "cast": _op_cast,
    "sum": _reduction(np.sum),
    "mean": _reduction(np.mean),
    "amax": lambda attrs, consts: _reduction(np.amax)(dict(attrs, dtype=None), consts),
    "amin": lambda attrs, consts: _reduction(np.amin)(dict(attrs, dtype=None), consts),
    "softmax": lambda attrs, consts: (lambda x: _softmax(x, attrs["dim"])),
    "scaled_dot_product_attention": _op_attention,
    "log_softmax": lambda attrs, consts: (lambda x: _log_softmax(x, attrs["dim"])),
    "max_pool2d": _op_max_pool2d,
    "avg_pool2d": _op_avg_pool2d,
    "adaptive_avg_pool2d": _op_adaptive_pool2d(np.mean),
    "adaptive_max_pool2d": _op_adaptive_pool2d(np.max),
    "reshape": _op_reshape,
    "permute": lambda attrs, consts: (lambda x: x.transpose(attrs["dims"])),
    "expand": _op_expand,
    "slice": _op_slice,
    "cat": lambda attrs, consts: (lambda *xs: np.concatenate(xs, axis=attrs["dim"])),
    "stack": lambda attrs, consts: (lambda *xs: np.stack(xs, axis=attrs["dim"])),
    "constant_pad": _op_constant_pad,
    "embedding": _op_embedding,
    "embedding_bag": _op_embedding_bag,
    "rnn": _op_rnn,
    "expand_as": lambda attrs, consts: (lambda x, like: np.broadcast_to(x, like.shape)),
}


# ------------------------------------------------------------------------------------------------ graph passes
def _consumers(nodes, outputs_used):
    counts = dict.fromkeys(outputs_used, 1)
    for node in nodes:
        for ref in node["inputs"]:
            if isinstance(ref, str):
                counts[ref] = counts.get(ref, 0) + 1
    return counts


def _output_names(structure, found):
    if isinstance(structure, dict):
        if "tensor" in structure:
            found.append(structure["tensor"])
        for key in ("tuple", "list"):
            for item in structure.get(key, ()):
                _output_names(item, found)
        for _, item in structure.get("dict", ()):
            _output_names(item, found)
    return found


def _fusable_residual_conv(ins, producer, used):
    """The conv2d (without activation or residual yet) whose output only this add reads, if any."""
    for ref in ins:
        node = producer.get(ref)
        if (node is not None and node["op"] == "conv2d" and used.get(ref) == 1 and ins[0] != ins[1]
                and "_act" not in node["attrs"] and "_residual" not in node["attrs"]):
            return node
    return None


def _is_direct(conv, weights) -> bool:
    """A 1x1 convolution without padding (it reads its input without a window copy)."""
    w = weights.get(conv["inputs"][1])
    return w is not None and w.shape[2:] == (1, 1) and not any(p for side in conv["attrs"]["pads"] for p in side)


def _junk_columns(conv, weights) -> int:
    """How many junk columns per output row a conv2d computes (see ``_conv_plan``): a stride-1 multi-offset
    kernel computes full-width rows, others none."""
    w = weights.get(conv["inputs"][1])
    attrs = conv["attrs"]
    if w is None or tuple(attrs["stride"]) != (1, 1) or w.shape[2] * w.shape[3] == 1:
        return 0
    (left, right), span = attrs["pads"][1], attrs["dilation"][1] * (w.shape[3] - 1)
    return span - min(left, right) if min(left, right) <= span else span


def optimize(graph: dict, weights: dict) -> tuple[list, dict]:
    """Fold constants and fuse elementwise chains; returns ``(nodes, weights)`` (the inputs are not modified).

    conv2d -> batch_norm becomes one conv2d with scaled weights; conv2d -> add (a residual connection) one
    conv2d that adds the other operand; relu/relu6 after conv2d, linear, add or batch_norm runs in place on that
    op's output buffer (each only when nothing else reads the intermediate value).
    """
    weights = dict(weights)
    nodes = [dict(node, attrs=dict(node.get("attrs", {})), inputs=list(node["inputs"])) for node in graph["nodes"]]
    used = _consumers(nodes, _output_names(graph["outputs"], []))
    producer = {}
    result = []
    for node in nodes:
        ins = node["inputs"]
        source = producer.get(ins[0]) if ins and isinstance(ins[0], str) else None
        if (node["op"] == "batch_norm" and source is not None and source["op"] == "conv2d"
                and used.get(ins[0]) == 1 and "_act" not in source["attrs"]
                and all(r is None or r in weights for r in ins[1:])
                and all(r is None or r in weights for r in source["inputs"][1:])):
            consts = [None] + [None if r is None else weights[r] for r in ins[1:]]
            scale, shift = _bn_scale_shift(consts, node["attrs"]["eps"])
            w = weights[source["inputs"][1]]
            b = source["inputs"][2] if len(source["inputs"]) > 2 else None
            base = weights[b] if b is not None else np.zeros(w.shape[0], w.dtype)
            name = node["outputs"][0]
            weights[name + ".folded_weight"] = (w * scale.reshape(-1, 1, 1, 1)).astype(w.dtype)
            weights[name + ".folded_bias"] = (base * scale + shift).astype(w.dtype)
            source["inputs"] = [source["inputs"][0], name + ".folded_weight", name + ".folded_bias"]
            source["outputs"] = node["outputs"]
            producer[name] = source
            continue
        if node["op"] == "add" and len(ins) == 2 and all(isinstance(r, str) for r in ins):
            conv = _fusable_residual_conv(ins, producer, used)
            if conv is not None:  # conv(x) + r: r is added to each output chunk while it is in cache
                other = ins[1] if producer.get(ins[0]) is conv else ins[0]
                conv["inputs"] = (conv["inputs"] + [None])[:3] + [other]
                conv["attrs"]["_residual"] = True
                shortcut = producer.get(other)
                if shortcut is not None and shortcut["op"] == "conv2d" and _is_direct(shortcut, weights):
                    shortcut["attrs"]["_row_pad"] = _junk_columns(conv, weights)
                conv["outputs"] = node["outputs"]
                producer[node["outputs"][0]] = conv
                result.remove(conv)  # runs where the add was: r may be computed after the convolution
                result.append(conv)
                continue
        if (node["op"] in _FUSABLE_ACTIVATIONS and source is not None
                and source["op"] in ("conv2d", "linear", "add", "batch_norm")
                and used.get(ins[0]) == 1 and "_act" not in source["attrs"]):
            source["attrs"]["_act"] = (node["op"], node.get("attrs", {}))
            source["outputs"] = node["outputs"]
            producer[node["outputs"][0]] = source
            continue
        for out in node["outputs"]:
            producer[out] = node
        result.append(node)
    return result, weights


# ops that treat each sample (index of dim 0) on its own whatever their attributes, given a batched first input
_PER_SAMPLE = {"conv2d", "linear", "batch_norm", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
               "adaptive_max_pool2d", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos",
               "tanh", "sigmoid", "relu", "gelu", "silu", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu",
               "elu", "softplus", "identity", "cast", "embedding"}
_ELEMENTWISE = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "where", "clamp"}  # operands broadcast


def _batch_mixing_op(graph: dict, nodes: list, weights: dict):
    """Why ``graph`` cannot run as independent slices of its batch (dim 0 of every input and output), or None.

    Conservative: only ops known to treat samples independently, with every other operand a constant, pass."""
    ndim = {}  # batched values -> their number of dims (None: unknown)
    for spec in graph["inputs"]:
        if not spec["shape"] or spec["shape"][0] is not None:
            return f"input {spec['name']!r} has no dynamic batch dimension first"
        ndim[spec["name"]] = len(spec["shape"])

    def const_ndim(ref):
        if ref is None or not isinstance(ref, str):
            return 0
        return weights[ref].ndim if ref in weights else None

    for node in nodes:
        op, ins, attrs = node["op"], node["inputs"], node.get("attrs", {})
        what = f"op {op!r} ({', '.join(node['outputs'])})"
        batched = [r for r in ins if isinstance(r, str) and r in ndim]
        if not batched:
            continue  # constants only
        first = ins[0] if ins[0] in ndim else None
        rank = ndim.get(first)
        if op in _PER_SAMPLE and first is not None and batched == [first] + ([ins[3]] if len(ins) > 3 else []):
            out = rank if op != "embedding" else (None if rank is None else rank + 1)
        elif op in _ELEMENTWISE:
            ranks = {ndim[r] for r in batched}
            others = [const_ndim(r) for r in ins if r not in ndim]
            if len(ranks) != 1 or None in ranks or any(d is None or d >= next(iter(ranks)) for d in others):
                return f"{what} broadcasts an operand against the batch dimension"
            out = next(iter(ranks))
        elif op == "reshape" and first is not None and list(attrs.get("shape", [None]))[:1] == [0]:
            out = len(attrs["shape"])
        elif op == "permute" and first is not None and list(attrs["dims"])[:1] == [0]:
            out = rank
        elif op in ("softmax", "log_softmax") and first is not None and rank is not None \
                and attrs["dim"] % rank != 0:
            out = rank
        elif op in ("sum", "mean", "amax", "amin") and first is not None and rank is not None \
                and attrs.get("axes") is not None and all(a % rank != 0 for a in attrs["axes"]):
            out = rank if attrs.get("keepdim") else rank - len(set(a % rank for a in attrs["axes"]))
        else:
            return f"{what} may combine or move samples of the batch"
        for name in node["outputs"]:
            ndim[name] = out
    for name in _output_names(graph["outputs"], []):
        if name not in ndim:
            return f"output {name!r} does not depend on the batch"
    return None


# ------------------------------------------------------------------------------------------------ program
def _describe(spec) -> str:
    shape = ", ".join("N" if d is None else str(d) for d in spec["shape"])
    return f"{spec['name']}: {spec['dtype']}[{shape}]"


class Program:
    """A loaded graph ready to run: ``program(*arrays)`` returns the traced output structure of arrays.

    Compiled once: every value (input, weight, literal, op output) gets a slot in one list and each node becomes
    ``(kernel, slot getter, output slots)``, so a run is a loop of kernel calls with list indexing only.

    ``threads`` (default 1): convolutions of at least ``PARALLEL_MIN_MACS`` multiply-adds split their batch over
    that many threads, each part's products on one BLAS thread. ``set_blas_threads(n)`` (returning the previous
    count; ``tensorlib._threads.blas_set_quick`` is one) lowers the BLAS for those regions; without it, start
    the process with ``OPENBLAS_NUM_THREADS=1`` (or your BLAS's variable). Results are the same for any count.

    ``parallel="processes"`` (Linux) runs on ``threads`` cores differently: a batch expected to take at least
    ``PROCESS_MIN_SECONDS`` here is cut into ``threads`` runs of samples, one computed here and the others by
    forked copies of the program (``_Processes``). Every process, this one included, computes its slice on one
    BLAS thread (pass ``set_blas_threads``, or start with ``OPENBLAS_NUM_THREADS=1``): each slice's outputs are
    bit for bit those of ``threads=1`` with a one-thread BLAS on that slice. Smaller calls run here as usual.
    Processes share no lock, so this scales better than threads (ResNet-8 at batch 256: 1.9x-2x on two cores,
    against 1.5x-1.7x). Only programs whose every op treats samples independently may run this way (others
    raise ``ValueError`` naming the op); the children are forked on first use, hold a copy of the program, and
    end with it or with this process."""

    def __init__(self, graph: dict, weights: dict, source: str = "<graph>", fold: bool = True, threads: int = 1,
                 set_blas_threads=None, parallel: str = "threads"):
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        if parallel not in ("threads", "processes"):
            raise ValueError(f"parallel must be 'threads' or 'processes', got {parallel!r}")
        self.graph, self.source, self.threads, self.parallel = graph, source, threads, parallel
        self.weights = weights
        self.inputs = graph["inputs"]
        self._dtypes = [np.dtype(spec["dtype"]) for spec in self.inputs]
        nodes, folded = optimize(graph, weights) if fold else (graph["nodes"], dict(weights))
        self._processes = None
        mixing = _batch_mixing_op(graph, nodes, folded)
        if parallel == "processes" and threads > 1:
            if not processes_supported():
                raise ValueError("parallel='processes' needs Linux (fork and memfd_create); use parallel='threads'")
            if mixing is not None:
                raise ValueError(f"{source}: parallel='processes' runs slices of the batch in separate processes, "
                                 f"but {mixing}; use parallel='threads'")
            self._processes = _Processes(threads, set_blas_threads)
        # samples per micro-batch of a one-thread run (``_outputs``): 0 = never split (batch-mixing ops, or
        # threads, whose regions would get shorter), None = not measured yet
        self._micro = 0 if mixing is not None or (threads > 1 and self._processes is None) else None
        self._env = folded
        self._slots, self._initial = {}, []
        self._input_slots = [self._slot(spec["name"]) for spec in self.inputs]
        known = set(folded) | {spec["name"] for spec in self.inputs}
        self._steps, self._nodes = [], []
        context = _Context(threads if self._processes is None else 1, set_blas_threads)
        for node in nodes:
            factory = OPS.get(node["op"])
            if factory is None:
                raise UnsupportedOpError(f"{source}: op {node['op']!r} is not known to this runtime (the file was "
                                         "written by a newer tensorlib); update tensorlib/jit/runtime.py")
            missing = [r for r in node["inputs"] if isinstance(r, str) and r not in known]
            if missing:
                raise CorruptFileError(f"{source}: op {node['op']!r} reads {missing[0]!r}, which is neither an "
                                       "input, a weight nor an earlier op's output")
            consts = [folded.get(r) if isinstance(r, str) else r for r in node["inputs"]]
            attrs = node.get("attrs", {})
            fn = factory(dict(attrs, _context=context) if node["op"] in _SHARES_CONTEXT else attrs, consts)
            ins = [self._slot(r) for r in node["inputs"]]
            outs = [self._slot(r) for r in node["outputs"]]
            known.update(node["outputs"])
            get = operator.itemgetter(*ins) if ins else (lambda values: ())
            self._steps.append((fn, get, len(ins) == 1, outs[0] if len(outs) == 1 else outs))
            self._nodes.append(node)
        self._output_slots = [(name, self._slot(name)) for name in _output_names(graph["outputs"], [])]

    def _slot(self, ref) -> int:
        """The slot of a value name (allocated on first use, holding its weight if it is one) or of a literal."""
        if isinstance(ref, str):
            index = self._slots.get(ref)
            if index is None:
                index = self._slots[ref] = len(self._initial)
                self._initial.append(self._env.get(ref))
            return index
        self._initial.append(ref)
        return len(self._initial) - 1

    @property
    def signature(self) -> str:
        return "(" + ", ".join(_describe(spec) for spec in self.inputs) + ")"

    def _check_inputs(self, args) -> list:
        if len(args) != len(self.inputs):
            raise TypeError(f"expected {len(self.inputs)} input(s) {self.signature}, got {len(args)}")
        arrays = []
        for value, spec, want in zip(args, self.inputs, self._dtypes):
            array = value if value.__class__ is np.ndarray else np.asarray(value)
            if array.dtype != want:
                if want.kind in "iu" and array.dtype.kind in "iu":
                    array = array.astype(want)
                else:
                    raise TypeError(f"input '{spec['name']}' has dtype {array.dtype}, expected {want}; "
                                    f"signature {self.signature}")
            shape = spec["shape"]
            if array.ndim != len(shape) or any(d is not None and d != s for d, s in zip(shape, array.shape)):
                raise ValueError(f"input '{spec['name']}' has shape {list(array.shape)}, expected "
                                 f"[{', '.join('N' if d is None else str(d) for d in shape)}]; "
                                 f"signature {self.signature}")
            arrays.append(array)
        return arrays

    def __call__(self, *args):
        arrays = self._check_inputs(args)
        outputs = self._processes.run(self, arrays) if self._processes is not None else self._outputs(arrays)
        return _build(self.graph["outputs"], {name: out for (name, _), out in zip(self._output_slots, outputs)})

    run = __call__

    def evaluate(self, *args) -> dict:
        """Every value of the graph (inputs, weights, op outputs) by name, after one run."""
        values = self._run(self._check_inputs(args))
        env = dict(self._env)
        env.update((name, values[slot]) for name, slot in self._slots.items())
        return env

    def _outputs(self, arrays) -> list:
        """The output arrays on ``arrays``; a one-thread run of a sample-independent program goes through a large
        batch in micro-batches of about ``MICRO_BATCH_BYTES`` of its largest value (sized by ``_probe`` on first
        use), each micro-batch's outputs copied out before the next reuses the buffers. Each slice's
        outputs are bit for bit those of a run on that slice alone (the BLAS may sum in another order for another
        number of columns, as for any other batch size)."""
        n = arrays[0].shape[0] if arrays and all(a.ndim for a in arrays) else 0
        if self._micro is None and n > 1 and all(a.shape[0] == n for a in arrays):
            self._probe(arrays)
        if not self._micro or n <= self._micro or any(a.shape[0] != n for a in arrays):
            values = self._run(arrays)
            return [values[slot] for _, slot in self._output_slots]
        outputs = None
        for lo in range(0, n, self._micro):
            hi = min(n, lo + self._micro)
            values = self._run([a[lo:hi] for a in arrays])
            parts = [np.asarray(values[slot]) for _, slot in self._output_slots]
            if outputs is None:
                outputs = [np.empty((n,) + part.shape[1:], part.dtype) for part in parts]
            for out, part in zip(outputs, parts):
                out[lo:hi] = part
        return outputs

    def _probe(self, arrays) -> float:
        """Run the first sample of ``arrays`` alone: the micro-batch size from its largest value (inputs and op
        outputs, not weights), if not known yet; returns the run's seconds (``_Processes`` plans with them)."""
        start = time.perf_counter()
        values = self._run([a[:1] for a in arrays])
        seconds = time.perf_counter() - start
        if self._micro is None:
            largest = max((v.nbytes for v, initial in zip(values, self._initial)
                           if v is not initial and v.__class__ is np.ndarray and v.ndim and v.shape[0] == 1),
                          default=0)
            self._micro = max(1, MICRO_BATCH_BYTES // largest) if largest else 0
        return seconds

    def _run(self, arrays) -> list:
        values = self._initial.copy()
        for slot, array in zip(self._input_slots, arrays):
            values[slot] = array
        done = 0
        try:
            for fn, get, single, out in self._steps:
                result = fn(get(values)) if single else fn(*get(values))
                if out.__class__ is int:
                    values[out] = result
                else:
                    for slot, value in zip(out, result):
                        values[slot] = value
                done += 1
        except Exception as exc:
            node = self._nodes[done]
            raise RuntimeError(f"op {node['op']!r} ({', '.join(node['outputs'])}) failed: {exc}") from exc
        return values


def _build(structure, env):
    """The output structure with each tensor reference replaced by a fresh array (buffers are reused)."""
    if "tensor" in structure:
        return np.array(env[structure["tensor"]], copy=True)
    if "tuple" in structure:
        return tuple(_build(item, env) for item in structure["tuple"])
    if "list" in structure:
        return [_build(item, env) for item in structure["list"]]
    if "dict" in structure:
        return {key: _build(item, env) for key, item in structure["dict"]}
    return structure.get("value")


def load(path: str, threads: int = 1, set_blas_threads=None, parallel: str = "threads") -> Program:
    """Read and compile a ``.tlj`` file (raises :class:`CorruptFileError` / :class:`UnsupportedOpError`).

    ``threads`` > 1 runs on that many cores: large convolutions split over threads, or with
    ``parallel="processes"`` large batches split over processes; see :class:`Program`."""
    graph, weights = read_file(path)
    return Program(graph, weights, str(path), threads=threads, set_blas_threads=set_blas_threads,
                   parallel=parallel)


def main(argv=None, set_blas_threads=None) -> int:
    parser = argparse.ArgumentParser(description="Run a traced tensorlib model (.tlj) on .npy inputs with NumPy "
                                                 "only.")
    parser.add_argument("model", help="a file written by tensorlib.jit.save")
    parser.add_argument("inputs", nargs="+", help="one .npy file per model input, in order")
    parser.add_argument("--output", help="write the (first) output here as .npy; default: print it")
    parser.add_argument("--threads", type=int, default=1,
                        help="cores to run on: large convolutions split over this many threads (default 1; see "
                             "Program)")
    parser.add_argument("--parallel", choices=("threads", "processes"), default="threads",
                        help="with --threads > 1: split large convolutions over threads (default), or large "
                             "batches over processes (Linux; faster on two or more cores)")
    args = parser.parse_args(argv)
    program = load(args.model, threads=args.threads, set_blas_threads=set_blas_threads, parallel=args.parallel)
    result = program(*[np.load(path, allow_pickle=False) for path in args.inputs])
    first = result
    while isinstance(first, (tuple, list)):
        first = first[0]
    if isinstance(first, dict):
        first = next(iter(first.values()))
    if args.output:
        np.save(args.output, first)
    else:
        np.set_printoptions(precision=4, suppress=True)
        print(first)
    return 0


if __name__ == "__main__":
    sys.exit(main())
