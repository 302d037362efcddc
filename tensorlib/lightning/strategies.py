"""The strategy seam: how the Trainer runs on one process or on several (``strategy="ddp"``).

A strategy decides which process logs and saves (rank 0), how DataLoaders are sharded, how gradients meet
(``DistributedDataParallel``) and how logged ``sync_dist`` values are averaged. ``"ddp"`` uses
``tensorlib.distributed`` with PyTorch's names; its processes are started by the launcher (``mpirun -n N``
for the MPI backend), not by the Trainer.
"""

from __future__ import annotations

import os
from typing import Any

import tensorlib as tl

from .exceptions import MisconfigurationException


class SingleDeviceStrategy:
    """Everything in this process, on the CPU."""

    strategy_name = "single_device"

    def __init__(self) -> None:
        self.model = None

    @property
    def global_rank(self) -> int:
        return 0

    @property
    def local_rank(self) -> int:
        return 0

    @property
    def world_size(self) -> int:
        return 1

    @property
    def is_global_zero(self) -> bool:
        return self.global_rank == 0

    def setup_environment(self) -> None:
        pass

    def connect(self, module: Any) -> Any:
        """The object whose ``training_step`` the loop calls (DDP wraps the module)."""
        self.model = module
        return module

    def training_step(self, module: Any, *args: Any) -> Any:
        return module.training_step(*args)

    def process_dataloader(self, loader: Any, shuffle: bool) -> Any:
        return loader

    def set_epoch(self, loader: Any, epoch: int) -> None:
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)

    def backward(self, module: Any, loss: Any, *args: Any, **kwargs: Any) -> None:
        module.backward(loss, *args, **kwargs)

    def reduce(self, value: float) -> float:
        """The mean of ``value`` over processes."""
        return value

    def any_true(self, flag: bool) -> bool:
        """True when ``flag`` is true on any process (so all stop together)."""
        return flag

    def barrier(self, name: str | None = None) -> None:
        pass

    def broadcast(self, obj: Any, src: int = 0) -> Any:
        return obj

    def save_checkpoint(self, checkpoint: dict, path: str) -> None:
        if self.is_global_zero:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            tl.save(checkpoint, path)

    def remove_checkpoint(self, path: str) -> None:
        if self.is_global_zero and os.path.exists(path):
            os.remove(path)

    def teardown(self) -> None:
        pass


class _StepRouter(tl.nn.Module):
    """Routes ``forward("training_step", ...)`` to the LightningModule's step, so DDP sees a forward pass."""

    def __init__(self, module: Any) -> None:
        super().__init__()
        self.module = module

    def forward(self, step_name: str, *args: Any) -> Any:
        return getattr(self.module, step_name)(*args)


class DDPStrategy(SingleDeviceStrategy):
    """Data parallel over processes (``tensorlib.distributed``, backend 'mpi' by default).

    Rank 0 alone logs, shows progress and writes checkpoints; samplers become ``DistributedSampler`` (with
    ``set_epoch`` every epoch); ``self.log(..., sync_dist=True)`` epoch values are averaged over ranks.
    """

    strategy_name = "ddp"

    def __init__(self, backend: str = "mpi", num_nodes: int = 1, devices: int = 1) -> None:
        super().__init__()
        self.backend = backend
        self.num_nodes = num_nodes
        self.devices = devices
        self._dist = None
        self._wrapped = None

    @staticmethod
    def distributed_module() -> Any:
        """``tensorlib.distributed`` when it exists and can run; ``RuntimeError`` saying why not otherwise."""
        try:
            import tensorlib.distributed as dist
        except ModuleNotFoundError as exc:
            raise RuntimeError('Trainer(strategy="ddp") needs tensorlib.distributed, which is not installed '
                               f"({exc})") from None
        if hasattr(dist, "is_available") and not dist.is_available():
            raise RuntimeError('Trainer(strategy="ddp"): tensorlib.distributed.is_available() is False (no MPI)')
        return dist

    def setup_environment(self) -> None:
        dist = self.distributed_module()
        if not dist.is_initialized():
            dist.init_process_group(backend=self.backend)
        self._dist = dist
        expected = self.num_nodes * self.devices
        if dist.get_world_size() != expected:
            raise MisconfigurationException(
                f"Trainer(devices={self.devices}, num_nodes={self.num_nodes}) expects {expected} processes but the "
                f"process group has {dist.get_world_size()}: start it with `mpirun -n {expected} python ...`")

    @property
    def global_rank(self) -> int:
        return self._dist.get_rank() if self._dist is not None else 0

    @property
    def local_rank(self) -> int:
        return int(os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", os.environ.get("LOCAL_RANK", self.global_rank)))

    @property
    def world_size(self) -> int:
        return self._dist.get_world_size() if self._dist is not None else 1

    def connect(self, module: Any) -> Any:
        from tensorlib.nn.parallel import DistributedDataParallel

        self.model = module
        self._wrapped = DistributedDataParallel(_StepRouter(module))
        return module

    def training_step(self, module: Any, *args: Any) -> Any:
        return self._wrapped("training_step", *args)

    def process_dataloader(self, loader: Any, shuffle: bool) -> Any:
        from tensorlib.utils.data.distributed import DistributedSampler

        from ._loaders import rebuild_loader

        if isinstance(getattr(loader, "sampler", None), DistributedSampler) or not hasattr(loader, "dataset"):
            return loader
        sampler = DistributedSampler(loader.dataset, num_replicas=self.world_size, rank=self.global_rank,
                                     shuffle=shuffle)
        return rebuild_loader(loader, sampler)

    def reduce(self, value: float) -> float:
        total = tl.tensor([value], dtype=tl.float64)
        self._dist.all_reduce(total)
        return float(total.item()) / self.world_size

    def any_true(self, flag: bool) -> bool:
        return self.reduce(1.0 if flag else 0.0) > 0

    def barrier(self, name: str | None = None) -> None:
        self._dist.barrier()

    def broadcast(self, obj: Any, src: int = 0) -> Any:
        holder = [obj]
        self._dist.broadcast_object_list(holder, src=src)
        return holder[0]

    def save_checkpoint(self, checkpoint: dict, path: str) -> None:
        super().save_checkpoint(checkpoint, path)
        self.barrier("save_checkpoint")


def select_strategy(strategy: Any, devices: Any, num_nodes: int) -> SingleDeviceStrategy:
    """The strategy object for ``Trainer(strategy=..., devices=..., num_nodes=...)``."""
    if isinstance(strategy, SingleDeviceStrategy):
        return strategy
    count = 1 if devices in ("auto", -1, None) else devices
    if isinstance(count, (list, tuple)):
        count = len(count)
    if not isinstance(count, int) or count < 1:
        raise MisconfigurationException(f"devices={devices!r} is not valid: use a positive int or 'auto'")
    if strategy == "ddp" or (strategy == "auto" and (count > 1 or num_nodes > 1)):
        return DDPStrategy(num_nodes=num_nodes, devices=count)
    if strategy in ("auto", "single_device"):
        return SingleDeviceStrategy()
    raise MisconfigurationException(f"strategy={strategy!r} is not supported: use 'auto', 'single_device' or "
                                    "'ddp'")
