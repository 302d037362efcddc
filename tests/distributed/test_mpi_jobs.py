"""Real MPI jobs: collectives, DDP == full-batch training, no_sync, unused parameters, buffers, faults."""

import os
import sys

import pytest


def test_everything_on_three_ranks_plain_mpirun(mpi):
    result = mpi.script(3, "check_all.py")
    assert result.returncode == 0 and "ALL OK 3" in result.stdout, result.stdout


def test_everything_on_two_ranks_through_the_launcher(mpi):
    result = mpi.run([sys.executable, "-m", "tensorlib.distributed.run", "--nproc-per-node", "2",
                      os.path.join(mpi.scripts, "check_all.py")])
    assert result.returncode == 0 and "ALL OK 2" in result.stdout, result.stdout


def test_a_rank_that_raises_aborts_the_job_naming_it(mpi):
    result = mpi.script(2, "fail_rank.py", "raise", timeout=60)
    assert result.returncode != 0
    assert "rank 1 of 2 failed with ValueError: deliberate failure in rank 1" in result.stdout, result.stdout


@pytest.mark.slow  # waits out a 3 s collective timeout
def test_a_collective_times_out_instead_of_hanging(mpi):
    result = mpi.script(2, "fail_rank.py", "timeout", timeout=60)
    assert result.returncode != 0
    assert "rank 0: barrier timed out after 3 s" in result.stdout, result.stdout


def test_mismatched_parameter_shapes_are_named(mpi):
    result = mpi.script(2, "mismatch.py", timeout=60)
    assert result.returncode != 0
    assert "parameter '0.weight' has shape [3, 5]" in result.stdout, result.stdout
