"""Run by every process the launcher starts: set torchrun's rank variables from MPI's, then run the script."""

from __future__ import annotations

import os
import runpy
import sys

# (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE) as Open MPI and MPICH/Hydra name them
_MPI_VARIABLES = (
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"),
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
)


def export_rank_variables(environ=os.environ) -> None:
    for names in _MPI_VARIABLES:
        if names[0] in environ:
            for torch_name, mpi_name in zip(("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"), names):
                if mpi_name in environ:
                    environ.setdefault(torch_name, environ[mpi_name])
            return


def main() -> None:
    export_rank_variables()
    args = sys.argv[1:]
    if args[:1] == ["-m"]:
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
