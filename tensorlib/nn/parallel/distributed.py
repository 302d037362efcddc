"""``DistributedDataParallel``: the same model in every process, gradients averaged across processes."""

from __future__ import annotations

import contextlib
from typing import Iterator, List, Optional

from ... import distributed as dist
from ...autograd import is_grad_enabled
from ...distributed.reducer import Reducer
from ...tensor import Tensor
from ..modules.module import Module


def _output_tensors(output) -> Iterator[Tensor]:
    """Tensors anywhere in a (nested) forward output."""
    if isinstance(output, Tensor):
        yield output
    elif isinstance(output, dict):
        for value in output.values():
            yield from _output_tensors(value)
    elif isinstance(output, (list, tuple)):
        for value in output:
            yield from _output_tensors(value)


def _reachable_leaves(outputs) -> set:
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches (for find_unused_parameters)."""
    leaves, seen = set(), set()
    stack = [t.grad_fn for t in _output_tensors(outputs) if t.grad_fn is not None]
    stack += [t for t in _output_tensors(outputs) if t.grad_fn is None]
    while stack:
        node = stack.pop()
        if isinstance(node, Tensor):
            leaves.add(id(node))
            continue
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            leaves.add(id(variable))
        stack.extend(parent for parent, _ in node.next_functions)
    return leaves


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training: one process per replica, started by MPI.

    At construction the parameters and buffers of rank 0 are copied to every rank (after checking that all
    ranks hold the same parameter names and shapes). Each ``backward`` then averages gradients across ranks in
    buckets of ``bucket_cap_mb`` megabytes whose all-reduces overlap the rest of backward. Buffers (BatchNorm
    running statistics) are broadcast from rank 0 at each forward when ``broadcast_buffers``. The wrapped
    module is ``.module``; ``state_dict`` keys carry its ``module.`` prefix.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: Optional[float] = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False):
        super().__init__()
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self.module = module
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        self._verify_same_parameters(named)
        if init_sync:
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor, src=0)
        self._param_names: List[str] = [name for name, _ in named]
        self._params: List[Tensor] = [p for _, p in named]
        self.reducer = Reducer(self._params, self._param_names, self.bucket_bytes_cap)

    @staticmethod
    def _verify_same_parameters(named) -> None:
        """RuntimeError naming the first parameter whose name, shape or dtype differs from rank 0's."""
        mine = [(name, tuple(p.shape), str(p.dtype)) for name, p in named]
        everyone: list = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, mine)
        reference = everyone[0]
        for rank, theirs in enumerate(everyone[1:], start=1):
            for (name0, shape0, dtype0), (name, shape, dtype) in zip(reference, theirs):
                if (name0, shape0, dtype0) != (name, shape, dtype):
                    raise RuntimeError(f"DDP expects same model across all ranks, but parameter {name!r} has shape "
                                       f"{list(shape)} ({dtype}) on rank {rank} while rank 0 has {name0!r} of shape "
                                       f"{list(shape0)} ({dtype0})")
            if len(theirs) != len(reference):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has {len(theirs)} "
                                   f"params, while rank 0 has inconsistent {len(reference)} params.")

    def forward(self, *inputs, **kwargs):
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync and self.broadcast_buffers and dist.get_world_size() > 1:
            for buffer in self.module.buffers():
                dist.broadcast(buffer, src=0)
        output = self.module(*inputs, **kwargs)
        if sync:
            unused = ()
            if self.find_unused_parameters:
                reached = _reachable_leaves(output)
                unused = [i for i, p in enumerate(self._params) if id(p) not in reached]
            self.reducer.prepare_for_backward(unused, self.find_unused_parameters)
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates local gradients without communication (gradient accumulation); the first
        backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
