"""tensorlib.distributed without a launcher: errors before init, a 1-process group, the launcher's command."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest

import tensorlib as tl
import tensorlib.distributed as dist
from tensorlib.distributed import run as launcher
from tensorlib.distributed._bootstrap import export_rank_variables
from tensorlib.distributed.reducer import assign_buckets


def test_collectives_before_init_say_so():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="init_process_group"):
        dist.all_reduce(tl.ones(2))
    with pytest.raises(ValueError, match="init_process_group"):
        dist.get_rank()


def test_missing_mpi4py_gives_install_hint(monkeypatch):
    from tensorlib.distributed import _mpi

    monkeypatch.setattr(_mpi.importlib.util, "find_spec", lambda name: None)
    assert not dist.is_available()
    with pytest.raises(RuntimeError, match=r"pip install tensorlib\[distributed\]"):
        dist.init_process_group("mpi")


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="runs on MPI"):
        dist.init_process_group("nccl")


def test_launcher_command_handles_root_oversubscribe_and_hostfile(monkeypatch):
    monkeypatch.setattr(launcher.os, "geteuid", lambda: 0)
    args = launcher.parse_args(["--nproc-per-node", "3", "train.py", "--epochs", "2"])
    command = launcher.build_command(args, "mpirun", True, {"PYTHONPATH": "x", "SECRET": "y"})
    assert command[:3] == ["mpirun", "-n", "3"] and "--allow-run-as-root" in command
    assert "--oversubscribe" in command and ["-x", "PYTHONPATH"] == command[5:7] and "SECRET" not in command
    assert command[-6:] == [sys.executable, "-m", "tensorlib.distributed._bootstrap", "train.py", "--epochs", "2"]
    hosts = launcher.parse_args(["--nproc-per-node", "2", "--hostfile", "hosts", "-m", "pkg.train"])
    command = launcher.build_command(hosts, "mpiexec", False, {})
    assert command[:5] == ["mpiexec", "-f", "hosts", "-ppn", "2"] and command[-2:] == ["-m", "pkg.train"]


def test_bootstrap_exports_torchrun_variables():
    env = {"OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_RANK": "0",
           "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}
    export_rank_variables(env)
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"]) == ("2", "4", "0", "2")


def test_buckets_reverse_order_first_bucket_small_and_one_dtype_each():
    params = [tl.zeros(300_000), tl.zeros(10), tl.zeros(10, dtype=tl.float64), tl.zeros(300_000)]
    # reversed: 3 (1.2 MB closes the 1 MB first bucket), then 2 (float64 alone), 1 and 0 share a float32 bucket
    assert assign_buckets(params, cap_bytes=25 * 2**20) == [[3], [2], [1, 0]]
    # rebuilt in the order gradients became ready in the first backward
    assert assign_buckets(params, cap_bytes=25 * 2**20, order=[1, 3, 0, 2]) == [[1, 3], [0], [2]]


def test_single_process_group_and_timeout():
    pytest.importorskip("mpi4py")
    dist.init_process_group("gloo", timeout=timedelta(seconds=5))
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
        t = tl.arange(3, dtype=tl.float32)
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        assert t.tolist() == [0.0, 1.0, 2.0]
        with pytest.raises(ValueError, match="twice"):
            dist.init_process_group()
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_a_single_process_group_leaves_nothing_in_dev_shm(tmp_path):
    pytest.importorskip("mpi4py")
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm on this system")
    before = set(os.listdir("/dev/shm"))
    script = ("import os, tensorlib.distributed as dist\n"
              "dist.init_process_group()\n"
              "dist.barrier()\n"
              "print('OMPI_MCA_btl' in os.environ)\n"
              "dist.destroy_process_group()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("OMPI_MCA_btl", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # the setting was for MPI's initialisation only
    assert set(os.listdir("/dev/shm")) - before == set()
