"""Rank 1 fails while the others wait in a collective: ``raise`` (an exception) or ``timeout`` (never joins, the
others' barrier times out). The job must end, naming a rank."""

import sys
import time
from datetime import timedelta

import tensorlib as tl
import tensorlib.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=timedelta(seconds=3 if mode == "timeout" else 1800))
rank = dist.get_rank()
dist.all_reduce(tl.ones(2))
if rank == 1:
    if mode == "raise":
        raise ValueError("deliberate failure in rank 1")
    time.sleep(120)  # "timeout": never reaches the barrier
dist.barrier()
