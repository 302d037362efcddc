"""The default process group on MPI_COMM_WORLD: init/destroy, rank and size, and job-wide abort on errors."""

from __future__ import annotations

import os
import sys
import traceback
from datetime import timedelta
from typing import Optional

from ._mpi import load_mpi, mpi4py_installed

# torch.distributed's default for CPU backends
default_pg_timeout = timedelta(minutes=30)
_SUPPORTED_BACKENDS = ("mpi", "gloo")


class _Group:
    """State of the initialised default group (one per process)."""

    def __init__(self, mpi, comm, timeout: timedelta):
        self.mpi = mpi
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout


_group: Optional[_Group] = None
_previous_excepthook = None


def is_available() -> bool:
    """True when mpi4py is installed (the MPI library itself is loaded by ``init_process_group``)."""
    return mpi4py_installed()


def is_initialized() -> bool:
    return _group is not None


def is_mpi_available() -> bool:
    return mpi4py_installed()


def init_process_group(backend: Optional[str] = "mpi", init_method: Optional[str] = None,
                       timeout: Optional[timedelta] = None, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the job started by ``mpirun`` / ``python -m tensorlib.distributed.run`` (MPI_COMM_WORLD).

    Rank and world size come from MPI; ``world_size`` / ``rank`` are checked against it when given.
    ``backend`` "gloo" is accepted as an alias (CPU scripts written for torch run unchanged); ``init_method``
    is ignored because MPI's launcher already connected the processes. An uncaught exception in any rank
    afterwards aborts the whole job (MPI_Abort) with a message naming that rank.
    """
    global _group
    if _group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = (backend or "mpi").lower()
    if name not in _SUPPORTED_BACKENDS:
        raise ValueError(f"backend {backend!r} is not supported by tensorlib.distributed: it runs on MPI "
                         f"(backend='mpi'; 'gloo' is accepted as an alias)")
    mpi = load_mpi()
    comm = mpi.COMM_WORLD
    if world_size not in (-1, None) and world_size != comm.Get_size():
        raise ValueError(f"world_size={world_size} but MPI started {comm.Get_size()} processes; launch with "
                         f"`python -m tensorlib.distributed.run --nproc-per-node {world_size} script.py` "
                         f"or `mpirun -n {world_size} python script.py`")
    if rank not in (-1, None) and rank != comm.Get_rank():
        raise ValueError(f"rank={rank} but MPI assigned rank {comm.Get_rank()} to this process")
    _group = _Group(mpi, comm, timeout or default_pg_timeout)
    _install_abort_on_error()


def destroy_process_group(group=None) -> None:
    """Forget the default group (MPI itself is finalised by mpi4py at interpreter exit)."""
    global _group
    _check_group(group)
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    _group = None
    if _previous_excepthook is not None and sys.excepthook is _abort_job_excepthook:
        sys.excepthook = _previous_excepthook


def get_rank(group=None) -> int:
    return current(group).rank


def get_world_size(group=None) -> int:
    return current(group).size


def get_backend(group=None) -> str:
    current(group)
    return "mpi"


def current(group=None) -> _Group:
    """The initialised default group, or the error torch raises before ``init_process_group``."""
    _check_group(group)
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _group


def _check_group(group) -> None:
    if group is not None and group is not GroupMember.WORLD:
        raise NotImplementedError("tensorlib.distributed supports only the default (world) process group")


class GroupMember:
    """``GroupMember.WORLD`` names the default group, as in torch.distributed."""

    WORLD = object()


def _install_abort_on_error() -> None:
    """Make an uncaught exception in this rank abort every rank (otherwise peers wait in a collective forever)."""
    global _previous_excepthook
    if sys.excepthook is not _abort_job_excepthook:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_job_excepthook


def _abort_job_excepthook(exc_type, exc, tb) -> None:
    group = _group
    if group is None or group.size == 1 or issubclass(exc_type, KeyboardInterrupt):
        (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
        return
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(f"[rank {group.rank}] {text}"
                     f"tensorlib.distributed: rank {group.rank} of {group.size} failed with "
                     f"{exc_type.__name__}: {exc}; aborting all ranks of the job\n")
    sys.stderr.flush()
    sys.stdout.flush()
    group.comm.Abort(1)
    os._exit(1)  # Abort does not return; this is a guard should an MPI ever let it
