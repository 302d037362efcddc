"""examples/ddp_mnist.py under MPI: rank 0 alone prints and saves; missing data ends every rank cleanly."""

import os
import sys
from pathlib import Path

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "ddp_mnist.py")


def test_two_ranks_train_print_once_and_save(mpi, tmp_path):
    mpirun = mpi.mpirun()
    result = mpi.run([mpirun, "-n", "2", "--oversubscribe", sys.executable, EXAMPLE, "--synthetic", "256",
                      "--epochs", "2", "--out-dir", str(tmp_path), "--no-progress"])
    assert result.returncode == 0, result.stdout
    assert result.stdout.count("epoch 2: train loss") == 1 and "128 per process per epoch" in result.stdout
    import tensorlib as tl

    checkpoint = tl.load(os.path.join(tmp_path, "ddp_mlp.pt"))
    assert checkpoint["epoch"] == 2 and "1.weight" in checkpoint["model"]


def test_missing_data_fails_on_every_rank_without_hanging(mpi, tmp_path):
    mpirun = mpi.mpirun()
    result = mpi.run([mpirun, "-n", "2", "--oversubscribe", sys.executable, EXAMPLE, "--data-dir",
                      str(tmp_path / "empty"), "--no-progress"], timeout=60)
    assert result.returncode == 2 and "error: MNIST is not available" in result.stdout, result.stdout
