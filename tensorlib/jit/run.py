"""``python -m tensorlib.jit.run model.tlj input.npy [--output out.npy] [--threads N]``: run a traced model with
the runtime (here, beside tensorlib, ``--threads`` also lowers NumPy's BLAS to one thread in parallel regions)."""

import sys

from .._threads import blas_set_quick
from .runtime import main

if __name__ == "__main__":
    sys.exit(main(set_blas_threads=blas_set_quick))
