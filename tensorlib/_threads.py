"""``set_num_threads``/``get_num_threads``: the thread count of the BLAS that NumPy loaded, through ctypes.

NumPy's matrix products (and so tensorlib's matmul, linear, conv, LSTM) run in its BLAS; this module finds that
library among the shared objects mapped into the process (``/proc/self/maps``) or beside NumPy
(``numpy.libs``, ``numpy/.dylibs``) and calls its thread setter: OpenBLAS (also scipy-openblas, 32- and 64-bit
integer builds), MKL, BLIS. Without a controllable BLAS (Accelerate, a reference BLAS) the number is only
recorded and ``get_num_threads`` returns it. The default is the BLAS's own count, which it took from
``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` (or the cores) when it loaded.
"""

from __future__ import annotations

import ctypes
import operator
import os
from pathlib import Path

from ._backend import xp

# (setter, getter) per BLAS flavour, in the order tried on each library. OpenBLAS's
# ``openblas_set_num_threads_local`` is not used: it changes the process-wide count too.
_THREAD_FUNCTIONS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
    ("bli_thread_set_num_threads", "bli_thread_get_num_threads"),
)
_BLIS_SETTER = "bli_thread_set_num_threads"  # takes a 64-bit dim_t; the others take a C int
_LIBRARY_MARKERS = ("blas", "mkl_rt", "blis")  # libopenblas*, libscipy_openblas*, libblas.so.3, libmkl_rt, libblis


class _Blas:
    """One loaded BLAS library's thread setter and getter."""

    def __init__(self, path: str, library, setter, getter) -> None:
        self.path, self.library, self._setter, self._getter = path, library, setter, getter

    def set(self, n: int) -> None:
        self._setter(n)

    def get(self) -> int:
        return int(self._getter())


def _mapped_libraries() -> list:
    """Paths of the shared objects mapped into this process (Linux); empty where ``/proc`` has no maps."""
    try:
        with open("/proc/self/maps") as maps:
            fields = [line.split(None, 5) for line in maps]
    except OSError:
        return []
    return list(dict.fromkeys(f[5].strip() for f in fields if len(f) == 6 and f[5].startswith("/")))


def _numpy_folders() -> tuple:
    """NumPy's package folder and where its wheel bundles libraries (``numpy.libs`` on Linux)."""
    numpy_dir = Path(xp.__file__).resolve().parent
    return numpy_dir, numpy_dir.parent / "numpy.libs"


def _numpy_bundled_libraries() -> list:
    """Libraries shipped inside NumPy's wheel (``numpy.libs`` on Linux, ``numpy/.dylibs`` on macOS)."""
    numpy_dir, libs = _numpy_folders()
    folders = (libs, numpy_dir / ".dylibs", numpy_dir / ".libs")
    return [str(path) for folder in folders if folder.is_dir() for path in sorted(folder.iterdir())]


def _is_blas(path: str) -> bool:
    name = os.path.basename(path).lower()
    return any(marker in name for marker in _LIBRARY_MARKERS)


def _open_loaded(path: str):
    """The already-loaded library at ``path`` (never a second copy: RTLD_NOLOAD), or None."""
    try:
        return ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_LOCAL)
    except OSError:
        return None


def _bind(path: str, library) -> _Blas | None:
    for setter_name, getter_name in _THREAD_FUNCTIONS:
        setter, getter = getattr(library, setter_name, None), getattr(library, getter_name, None)
        if setter is None or getter is None:
            continue
        setter.argtypes = [ctypes.c_int64 if setter_name == _BLIS_SETTER else ctypes.c_int]
        setter.restype = None
        getter.argtypes = []
        getter.restype = ctypes.c_int64 if setter_name == _BLIS_SETTER else ctypes.c_int
        return _Blas(path, library, setter, getter)
    return None


def find_blas_libraries() -> list:
    """Every controllable BLAS loaded in this process, NumPy's own first."""
    numpy_prefixes = tuple(str(folder) + os.sep for folder in _numpy_folders())
    paths = {os.path.realpath(p): p for p in _numpy_bundled_libraries() + _mapped_libraries() if _is_blas(p)}
    ordered = sorted(paths, key=lambda real: not real.startswith(numpy_prefixes))  # stable: NumPy's first
    libraries = ((paths[real], _open_loaded(real)) for real in ordered)
    return [blas for blas in (_bind(path, library) for path, library in libraries if library is not None)
            if blas is not None]


_state = {"libraries": None, "recorded": None, "interop": None, "interop_set": False}


def _libraries() -> list:
    if _state["libraries"] is None:
        _state["libraries"] = find_blas_libraries()
    return _state["libraries"]


def _positive_int(n, name: str) -> int:
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    n = operator.index(n)
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def set_num_threads(n: int) -> None:
    """Set the number of threads tensorlib's CPU ops use: the BLAS thread count (as ``torch.set_num_threads``).

    Applies to every controllable BLAS loaded in the process (libraries loaded since the last call are found
    again). Raises RuntimeError for a non-int or a number below 1, as PyTorch does.
    """
    n = _positive_int(n, "set_num_threads")
    _state["libraries"] = find_blas_libraries()
    for blas in _state["libraries"]:
        blas.set(n)
    _state["recorded"] = n


def get_num_threads() -> int:
    """The number of threads tensorlib's CPU ops use: the BLAS's current count (its default honours
    ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``), or the recorded setting when no controllable BLAS is loaded."""
    libraries = _libraries()
    if libraries:
        return libraries[0].get()
    if _state["recorded"] is None:
        _state["recorded"] = _default_without_blas()
    return _state["recorded"]


# OpenBLAS's idle threads spin for 2**28 cycles (about 0.1 s) after every threaded call before they sleep; on
# a machine whose cores tensorlib's intra-op threads (``_parallel``) share, that spinning halves the speed of the
# next parallel region (measured: ResNet-8 step 97 ms -> 137 ms). 2**20 cycles (about 0.4 ms) still covers the
# gaps between back-to-back products (an LSTM's steps: unchanged within noise).
BLAS_IDLE_SPIN_LOG2_CYCLES = 20


def shorten_blas_idle_spin() -> bool:
    """Restart OpenBLAS's thread pool with a short idle spin (unless ``OPENBLAS_THREAD_TIMEOUT`` is set).

    OpenBLAS reads the timeout when it starts its threads: the variable is set, the library re-reads its
    environment and stops its threads, and its next threaded call starts them again. Returns whether it did."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return False
    done = False
    for blas in _libraries():
        read_env = getattr(blas.library, "openblas_read_env", None)
        shutdown = getattr(blas.library, "blas_thread_shutdown_", None)
        if read_env is None or shutdown is None:
            continue
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(BLAS_IDLE_SPIN_LOG2_CYCLES)
        threads = blas.get()
        read_env()
        shutdown()
        blas.set(threads)
        done = True
    return done


def blas_set_quick(n: int) -> int:
    """Set the already-found BLAS libraries to ``n`` threads (no new search); returns the previous count.

    For parallel regions (``_parallel``), which drop the BLAS to one thread per call and restore it after."""
    libraries = _libraries()
    if not libraries:
        return n
    previous = libraries[0].get()
    if previous != n:
        for blas in libraries:
            blas.set(n)
    return previous


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _default_without_blas() -> int:
    """What a BLAS would pick: ``OPENBLAS_NUM_THREADS``, else ``OMP_NUM_THREADS``, else the usable cores."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(variable, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return usable_cores()


def blas_library() -> str | None:
    """Path of the BLAS library ``set_num_threads`` controls first (NumPy's), or None when there is none."""
    libraries = _libraries()
    return libraries[0].path if libraries else None


def set_num_interop_threads(n: int) -> None:
    """Recorded for compatibility (tensorlib has no inter-op pool). As in PyTorch it may be set once only."""
    n = _positive_int(n, "set_num_interop_threads")
    if _state["interop_set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _state.update(interop=n, interop_set=True)


def get_num_interop_threads() -> int:
    """The recorded inter-op thread count; by default the usable cores, as in PyTorch."""
    return _state["interop"] if _state["interop"] is not None else usable_cores()
