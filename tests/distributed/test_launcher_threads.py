"""The launcher shares the cores out: N processes get cores // N BLAS threads each unless OMP_NUM_THREADS is set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tensorlib import _threads
from tensorlib.distributed import run as launcher


@pytest.mark.parametrize("nproc, cores, expected", [(2, 2, 1), (2, 8, 4), (3, 8, 2), (4, 2, 1), (16, 2, 1)])
def test_each_process_gets_its_share_of_the_cores(nproc, cores, expected):
    env = {}
    assert launcher.share_cores(env, nproc, cores) == expected
    assert env == {"OMP_NUM_THREADS": str(expected)}


def test_one_process_or_an_explicit_setting_is_left_alone():
    env = {}
    assert launcher.share_cores(env, 1, 8) is None and env == {}
    env = {"OMP_NUM_THREADS": "3"}
    assert launcher.share_cores(env, 4, 8) is None and env == {"OMP_NUM_THREADS": "3"}


def test_launched_processes_start_with_their_share(mpi, tmp_path):
    if _threads.blas_library() is None:
        pytest.skip("no controllable BLAS loaded: get_num_threads can't show the BLAS count")
    script = tmp_path / "report_threads.py"
    script.write_text("import os, tensorlib\n"
                      "print('rank', os.environ['RANK'], 'threads', tensorlib.get_num_threads(), flush=True)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    process = subprocess.Popen([sys.executable, "-m", "tensorlib.distributed.run", "--nproc-per-node", "2",
                                str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # mpirun and its processes too
        pytest.fail(f"the launcher did not finish within 120 s: {process.communicate()}")
    assert process.returncode == 0, stdout + stderr
    expected = max(1, _threads.usable_cores() // 2)
    assert sorted(line for line in stdout.splitlines() if line.startswith("rank")) == \
        [f"rank 0 threads {expected}", f"rank 1 threads {expected}"]
    assert f"OMP_NUM_THREADS environment variable for each process to be {expected}" in stderr
