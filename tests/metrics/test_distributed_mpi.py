"""compute() under the real MPI backend: 2 processes with mpirun (skipped without tensorlib.distributed, mpi4py
or mpirun)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("tensorlib.distributed")
pytest.importorskip("mpi4py")

ROOT = Path(__file__).resolve().parents[2]


def _mpirun() -> str | None:
    beside = Path(sys.executable).parent / "mpirun"
    return str(beside) if os.access(beside, os.X_OK) else shutil.which("mpirun")


@pytest.mark.skipif(_mpirun() is None, reason="no mpirun")
def test_states_reduce_across_two_mpi_ranks():
    mpirun = _mpirun()
    version = subprocess.run([mpirun, "--version"], capture_output=True, text=True, timeout=60).stdout
    flags = ["--allow-run-as-root", "--oversubscribe"] if "Open MPI" in version else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([mpirun, *flags, "-n", "2", sys.executable,
                             str(Path(__file__).parent / "scripts" / "mpi_metric_sync.py")],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "rank 0: ok" in result.stdout and "rank 1: ok" in result.stdout
