"""``tensorlib.distributed``: torch.distributed's process group and collectives on MPI (mpi4py).

Start the processes with ``python -m tensorlib.distributed.run --nproc-per-node N script.py`` or
``mpirun -n N python script.py``; each calls ``init_process_group()``.
"""

from .collectives import (
    ReduceOp,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    reduce,
)
from .process_group import (
    GroupMember,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)
from .work import Work

__all__ = [
    "GroupMember", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce",
    "barrier", "broadcast", "broadcast_object_list", "default_pg_timeout", "destroy_process_group", "get_backend",
    "get_rank", "get_world_size", "init_process_group", "is_available", "is_initialized", "is_mpi_available",
    "reduce",
]
