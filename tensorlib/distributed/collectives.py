"""Collectives on tensors (in place on the tensor's memory, as torch.distributed) and on picklable objects."""

from __future__ import annotations

import enum
import pickle
from typing import Any, List, Optional

import numpy as np

from ..tensor import Tensor
from .process_group import current
from .work import Work


class ReduceOp(enum.Enum):
    """Reduction operations (``dist.ReduceOp.SUM`` ...). AVG is SUM divided by the world size."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    AVG = "avg"


_MPI_OPS = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD", ReduceOp.MIN: "MIN",
            ReduceOp.MAX: "MAX", ReduceOp.BAND: "BAND", ReduceOp.BOR: "BOR", ReduceOp.BXOR: "BXOR"}


def _array(tensor: Tensor, name: str = "tensor") -> np.ndarray:
    """The tensor's own array (shared memory; autograd is not involved, as in torch's collectives)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a tensorlib.Tensor, got {type(tensor).__name__}")
    return tensor.detach().numpy()


class _Buffer:
    """A contiguous buffer for ``array``: the array itself when it is C-contiguous, else a copy written back."""

    def __init__(self, array: np.ndarray):
        self.target = array
        self.data = array if array.flags.c_contiguous else np.ascontiguousarray(array)

    def write_back(self) -> None:
        if self.data is not self.target:
            self.target[...] = self.data


def _run(requests: list, what: str, async_op: bool, on_complete=None) -> Optional[Work]:
    group = current()
    work = Work(requests, group.rank, what, group.timeout, on_complete)
    if async_op:
        return work
    work.wait()
    return None


def _mpi_op(op: ReduceOp):
    if not isinstance(op, ReduceOp):
        raise ValueError(f"op must be a ReduceOp, got {op!r}")
    return getattr(current().mpi, _MPI_OPS[op])


def _check_src(src: int, what: str) -> None:
    size = current().size
    if not isinstance(src, int) or not 0 <= src < size:
        raise ValueError(f"{what}: rank {src!r} is not a rank of this {size}-process group")


def barrier(group=None, async_op: bool = False, device_ids=None) -> Optional[Work]:
    """Wait until every rank has reached this barrier."""
    comm = current(group).comm
    return _run([comm.Ibarrier()], "barrier", async_op)


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False) -> Optional[Work]:
    """Copy ``tensor`` from rank ``src`` into the same-shaped ``tensor`` of every other rank (in place)."""
    comm = current(group).comm
    _check_src(src, "broadcast")
    buffer = _Buffer(_array(tensor))
    return _run([comm.Ibcast(buffer.data, root=src)], "broadcast", async_op, buffer.write_back)


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False) -> Optional[Work]:
    """Reduce ``tensor`` element-wise over all ranks; every rank's ``tensor`` receives the result (in place)."""
    group_ = current(group)
    mpi_op = _mpi_op(op)
    buffer = _Buffer(_array(tensor))
    request = group_.comm.Iallreduce(group_.mpi.IN_PLACE, buffer.data, op=mpi_op)
    return _run([request], "all_reduce", async_op, _finisher(buffer, op, group_.size))


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group=None,
           async_op: bool = False) -> Optional[Work]:
    """Reduce ``tensor`` over all ranks into rank ``dst``'s ``tensor``; the others' tensors are unchanged."""
    group_ = current(group)
    _check_src(dst, "reduce")
    mpi_op = _mpi_op(op)
    buffer = _Buffer(_array(tensor))
    if group_.rank == dst:
        request = group_.comm.Ireduce(group_.mpi.IN_PLACE, buffer.data, op=mpi_op, root=dst)
        return _run([request], "reduce", async_op, _finisher(buffer, op, group_.size))
    return _run([group_.comm.Ireduce(buffer.data, None, op=mpi_op, root=dst)], "reduce", async_op)


def _finisher(buffer: _Buffer, op: ReduceOp, size: int):
    def finish() -> None:
        if op is ReduceOp.AVG:
            if buffer.data.dtype.kind in "iub":
                buffer.data //= size
            else:
                buffer.data /= size
        buffer.write_back()

    return finish


def all_gather(tensor_list: List[Tensor], tensor: Tensor, group=None, async_op: bool = False) -> Optional[Work]:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (all the same shape and dtype)."""
    group_ = current(group)
    if len(tensor_list) != group_.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, the group has {group_.size} "
                         "ranks")
    source = np.ascontiguousarray(_array(tensor))
    targets = [_array(t, "tensor_list entry") for t in tensor_list]
    for r, target in enumerate(targets):
        if target.shape != source.shape or target.dtype != source.dtype:
            raise ValueError(f"all_gather: tensor_list[{r}] has shape {tuple(target.shape)} dtype {target.dtype}, "
                             f"expected {tuple(source.shape)} {source.dtype} like the input tensor")
    gathered = np.empty((group_.size,) + source.shape, dtype=source.dtype)
    request = group_.comm.Iallgather(source, gathered)

    def finish() -> None:
        for target, part in zip(targets, gathered):
            target[...] = part

    return _run([request], "all_gather", async_op, finish)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False) -> Optional[Work]:
    """Concatenate every rank's ``input_tensor`` along dim 0 into ``output_tensor`` (in place)."""
    group_ = current(group)
    source = np.ascontiguousarray(_array(input_tensor))
    buffer = _Buffer(_array(output_tensor, "output_tensor"))
    if buffer.data.size != source.size * group_.size:
        raise ValueError(f"all_gather_into_tensor: output has {buffer.data.size} elements, expected "
                         f"{group_.size} x {source.size}")
    return _run([group_.comm.Iallgather(source, buffer.data)], "all_gather_into_tensor", async_op,
                buffer.write_back)


def all_gather_object(object_list: List[Any], obj: Any, group=None) -> None:
    """Fill ``object_list[r]`` with rank r's picklable ``obj`` (pickle: only use with trusted peers)."""
    group_ = current(group)
    if len(object_list) != group_.size:
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries, the group has "
                         f"{group_.size} ranks")
    payload = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
    sizes = np.empty(group_.size, dtype=np.int64)
    _run([group_.comm.Iallgather(np.array([payload.size], dtype=np.int64), sizes)], "all_gather_object", False)
    received = np.empty(int(sizes.sum()), dtype=np.uint8)
    _run([group_.comm.Iallgatherv(payload, (received, sizes))], "all_gather_object", False)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for r in range(group_.size):
        object_list[r] = pickle.loads(received[offsets[r]:offsets[r + 1]].tobytes())


def broadcast_object_list(object_list: List[Any], src: int = 0, group=None, device=None) -> None:
    """Replace every rank's ``object_list`` entries with rank ``src``'s (same length on all ranks)."""
    group_ = current(group)
    _check_src(src, "broadcast_object_list")
    payload = np.frombuffer(pickle.dumps(list(object_list)), dtype=np.uint8) if group_.rank == src else None
    size = np.array([0 if payload is None else payload.size], dtype=np.int64)
    _run([group_.comm.Ibcast(size, root=src)], "broadcast_object_list", False)
    data = payload.copy() if payload is not None else np.empty(int(size[0]), dtype=np.uint8)
    _run([group_.comm.Ibcast(data, root=src)], "broadcast_object_list", False)
    if group_.rank != src:
        objects = pickle.loads(data.tobytes())
        if len(objects) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {src} sent {len(objects)} objects, this rank's list "
                             f"has {len(object_list)}")
        object_list[:] = objects
