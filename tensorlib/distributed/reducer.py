"""Bucketed gradient averaging for DistributedDataParallel, overlapped with backward.

Parameters are grouped (in reverse registration order, roughly the order backward produces their gradients)
into flat per-dtype buckets of at most ``bucket_cap_mb`` (the first bucket 1 MB, as PyTorch, so communication
starts early). A post-accumulate-grad hook copies each gradient into its bucket slot; when a bucket is full its
non-blocking all-reduce (MPI_Iallreduce) starts while backward continues. Buckets are started in the same
order on every rank (MPI requires matching collective order). The hook of the last gradient waits for all
buckets and writes the averages back into ``param.grad``.
"""

from __future__ import annotations

import time
from typing import List, Optional, Sequence

import numpy as np

from ..tensor import Tensor
from .process_group import current
from .work import Work

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    def __init__(self, indices: List[int], params: List[Tensor], dtype):
        self.indices = indices
        self.params = params
        sizes = [p.numel() for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.flat = np.zeros(int(self.offsets[-1]), dtype=dtype)
        self.pending = len(params)
        self.ready = False
        self.work: Optional[Work] = None

    def slot(self, k: int) -> np.ndarray:
        return self.flat[self.offsets[k]:self.offsets[k + 1]]


def assign_buckets(params: Sequence[Tensor], cap_bytes: int, first_cap_bytes: int = _FIRST_BUCKET_BYTES,
                   order: Optional[Sequence[int]] = None):
    """Lists of parameter indices, one per bucket, filled in ``order`` (default: reverse registration order), one
    dtype per bucket, each closed once it reaches its cap in bytes."""
    buckets, open_by_dtype = [], {}
    for index in reversed(range(len(params))) if order is None else order:
        dtype = params[index].detach().numpy().dtype
        cap = min(first_cap_bytes, cap_bytes) if not buckets else cap_bytes
        current_ = open_by_dtype.get(dtype)
        if current_ is None or current_[1] >= current_[2]:
            current_ = [[], 0, cap]
            open_by_dtype[dtype] = current_
            buckets.append(current_)
        current_[0].append(index)
        current_[1] += params[index].numel() * dtype.itemsize
    return [indices for indices, _, _ in buckets]


class Reducer:
    """Hooks ``params``' gradients and averages them across ranks, bucket by bucket, during backward."""

    def __init__(self, params: Sequence[Tensor], names: Sequence[str], bucket_cap_bytes: int):
        self.params = list(params)
        self.names = list(names)
        self.bucket_cap_bytes = bucket_cap_bytes
        self._build_buckets(assign_buckets(self.params, bucket_cap_bytes))
        self.ready_order: Optional[List[int]] = []  # first backward's order of ready gradients; None once used
        self.armed = False
        self.arrived = np.zeros(len(self.params), dtype=bool)
        self.next_to_start = 0
        self.globally_used: Optional[np.ndarray] = None
        self.used_work: Optional[Work] = None
        self.exposed_wait_seconds = 0.0  # time the last backward spent waiting for communication (and slower ranks)
        self.overlapped_fraction = 0.0  # share of gradient bytes whose all-reduce finished before backward ended
        self.handles = [p.register_post_accumulate_grad_hook(self._hook_for(i)) for i, p in enumerate(self.params)]

    def _build_buckets(self, assignment: List[List[int]]) -> None:
        self.buckets: List[_Bucket] = []
        self.where = {}  # param index -> (bucket, position in bucket)
        for indices in assignment:
            bucket = _Bucket(indices, [self.params[i] for i in indices],
                             self.params[indices[0]].detach().numpy().dtype)
            for position, index in enumerate(indices):
                self.where[index] = (bucket, position)
            self.buckets.append(bucket)

    def _rebuild_buckets_in_ready_order(self) -> None:
        """After the first backward, as PyTorch: bucket in the order gradients actually became ready (rank 0's
        order, so every rank starts the same all-reduces in the same order), so early buckets fill early."""
        from .collectives import broadcast_object_list

        order = [self.ready_order]
        broadcast_object_list(order, src=0)
        self.ready_order = None
        if sorted(order[0]) == list(range(len(self.params))):
            self._build_buckets(assign_buckets(self.params, self.bucket_cap_bytes, order=order[0]))

    def prepare_for_backward(self, unused: Sequence[int] = (), find_unused: bool = False) -> None:
        """Arm the hooks for the next backward; ``unused`` parameter indices are marked ready right away."""
        if self.armed and any(b.pending < len(b.params) for b in self.buckets):
            raise RuntimeError(self._unfinished_message())
        for bucket in self.buckets:
            bucket.pending = len(bucket.params)
            bucket.ready = False
            bucket.work = None
        self.next_to_start = 0
        self.arrived[:] = False
        self.armed = True
        self.globally_used = None
        if find_unused:
            group = current()
            self.globally_used = np.ones(len(self.params), dtype=np.int32)
            self.globally_used[list(unused)] = 0
            request = group.comm.Iallreduce(group.mpi.IN_PLACE, self.globally_used, op=group.mpi.SUM)
            self.used_work = Work([request], group.rank, "DDP unused-parameter map", group.timeout)
            for index in unused:
                bucket, position = self.where[index]
                bucket.slot(position)[...] = 0
                self._mark_ready(index, bucket)

    def _hook_for(self, index: int):
        def hook(param: Tensor) -> None:
            if not self.armed:
                return
            bucket, position = self.where[index]
            bucket.slot(position)[...] = param.grad.detach().numpy().reshape(-1)
            self._mark_ready(index, bucket)

        return hook

    def _mark_ready(self, index: int, bucket: _Bucket) -> None:
        if self.arrived[index]:
            raise RuntimeError(f"Expected to mark a variable ready only once: parameter {self.names[index]} got "
                               "two gradients in one backward (a parameter used in two separate backward passes "
                               "needs no_sync() for the first, or one backward over the summed loss)")
        self.arrived[index] = True
        if self.ready_order is not None:
            self.ready_order.append(index)
        bucket.pending -= 1
        if bucket.pending:
            self._progress()
            return
        bucket.ready = True
        group = current()
        while self.next_to_start < len(self.buckets) and self.buckets[self.next_to_start].ready:
            started = self.buckets[self.next_to_start]
            request = group.comm.Iallreduce(group.mpi.IN_PLACE, started.flat, op=group.mpi.SUM)
            started.work = Work([request], group.rank, "DDP gradient all_reduce", group.timeout)
            self.next_to_start += 1
        if self.next_to_start == len(self.buckets):
            self._finish(group.size)
        else:
            self._progress()

    def _progress(self) -> None:
        """Let MPI advance started all-reduces (MPI progresses non-blocking collectives only inside MPI calls)."""
        for bucket in self.buckets[:self.next_to_start]:
            bucket.work.is_completed()

    def _finish(self, world_size: int) -> None:
        done = sum(b.flat.nbytes for b in self.buckets[:-1] if b.work.is_completed())
        self.overlapped_fraction = done / sum(b.flat.nbytes for b in self.buckets)
        start = time.perf_counter()
        for bucket in self.buckets:
            bucket.work.wait()
        if self.used_work is not None:
            self.used_work.wait()
        self.exposed_wait_seconds = time.perf_counter() - start
        for bucket in self.buckets:
            bucket.flat /= world_size
            for position, (index, param) in enumerate(zip(bucket.indices, bucket.params)):
                if self.globally_used is None or self.globally_used[index]:  # unused everywhere: .grad untouched
                    self._write_grad(param, bucket.slot(position))
        self.armed = False
        self.used_work = None
        if self.ready_order is not None:
            self._rebuild_buckets_in_ready_order()

    @staticmethod
    def _write_grad(param: Tensor, averaged: np.ndarray) -> None:
        if param.grad is None:
            param.grad = Tensor(averaged.reshape(param.shape), dtype=param.dtype)
        else:
            param.grad.detach().numpy()[...] = averaged.reshape(param.shape)

    def _unfinished_message(self) -> str:
        missing = [name for name, arrived in zip(self.names, self.arrived) if not arrived]
        return ("Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`tensorlib.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function "
                "outputs participate in calculating loss. Parameters that did not receive grad: "
                + ", ".join(missing))

    def remove_hooks(self) -> None:
        for handle in self.handles:
            handle.remove()
