"""``Metric``: the stateful base of every metric (torchmetrics' ``Metric``).

A metric keeps *states* registered with ``add_state`` (tensors, or lists of tensors for ``cat`` states),
accumulates them in ``update(...)``, turns them into a value in ``compute()`` and clears them with ``reset()``.
``metric(preds, target)`` (``forward``) returns the value of that batch alone while also accumulating it.

Subclasses define ``update`` and ``compute``; the base wraps both (bookkeeping, the "compute before update"
warning, caching, and reducing states across processes when ``tensorlib.distributed`` is initialised).
A Lightning-style trainer can log a Metric object by calling ``compute()`` at epoch end and then ``reset()``.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

import tensorlib as tl
from tensorlib.nn import Module

from . import _host, _sync

_KNOWN_KWARGS = ("compute_on_cpu", "dist_sync_on_step", "process_group", "dist_sync_fn",
                 "distributed_available_fn", "sync_on_compute", "compute_with_cache")


def _copy_state(value):
    """An independent copy of a state (a list's tensors are never modified in place, so a shallow copy)."""
    return list(value) if isinstance(value, list) else _host.copy_tensor(value)


def _squeeze_if_scalar(value):
    if isinstance(value, tl.Tensor) and value.numel() == 1 and value.ndim > 0:
        return value.reshape(())
    return value


def _wrap_update(update: Callable) -> Callable:
    @functools.wraps(update)
    def wrapped(self, *args, **kwargs):
        if self.__dict__.get("_in_update"):  # a subclass calling super().update(): bookkeeping once
            return update(self, *args, **kwargs)
        self._computed = None
        self._in_update = True
        try:
            with tl.no_grad():
                update(self, *args, **kwargs)
        finally:
            self._in_update = False
        self._update_count += 1

    wrapped._metric_wrapped = True
    return wrapped


def _wrap_compute(compute: Callable) -> Callable:
    @functools.wraps(compute)
    def wrapped(self, *args, **kwargs):
        if self.__dict__.get("_in_compute"):
            return compute(self, *args, **kwargs)
        if self._update_count == 0:
            warnings.warn(f"The ``compute`` method of metric {type(self).__name__} was called before the ``update`` "
                          "method which may lead to errors, as metric states have not yet been updated.",
                          UserWarning, stacklevel=2)
        if self._computed is not None:
            return self._computed
        self._in_compute = True
        try:
            with self._synced_states():
                value = _squeeze_if_scalar(compute(self, *args, **kwargs))
        finally:
            self._in_compute = False
        if self.compute_with_cache:
            self._computed = value
        return value

    wrapped._metric_wrapped = True
    return wrapped


class Metric(Module):
    """Base class: register states in ``__init__`` with ``add_state``, implement ``update`` and ``compute``.

    Keyword arguments of torchmetrics are accepted: ``sync_on_compute`` (reduce across ranks in ``compute``,
    default True), ``dist_sync_on_step`` (also when ``forward`` computes a batch value), ``process_group``,
    ``dist_sync_fn``, ``distributed_available_fn``, ``compute_with_cache`` (default True), ``compute_on_cpu``.
    """

    is_differentiable: bool | None = None
    higher_is_better: bool | None = None
    full_state_update: bool | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name, wrap in (("update", _wrap_update), ("compute", _wrap_compute)):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_metric_wrapped", False):
                setattr(cls, name, wrap(method))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - set(_KNOWN_KWARGS))
        if unknown:
            raise ValueError(f"Unexpected keyword arguments: {', '.join(f'`{k}`' for k in unknown)}")
        self.compute_on_cpu = kwargs.get("compute_on_cpu", False)
        self.dist_sync_on_step = kwargs.get("dist_sync_on_step", False)
        self.process_group = kwargs.get("process_group")
        self.dist_sync_fn = kwargs.get("dist_sync_fn")
        self.distributed_available_fn = kwargs.get("distributed_available_fn")
        self.sync_on_compute = kwargs.get("sync_on_compute", True)
        self.compute_with_cache = kwargs.get("compute_with_cache", True)
        for flag in ("dist_sync_on_step", "sync_on_compute", "compute_with_cache"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"Expected keyword argument `{flag}` to be a `bool` but got {getattr(self, flag)}")
        self._defaults: dict[str, Any] = {}
        self._persistent: dict[str, bool] = {}
        self._reductions: dict[str, Callable | None] = {}
        self._update_count = 0
        self._computed = None
        self._forward_cache = None
        self._to_sync = self.sync_on_compute
        self._in_update = False
        self._in_compute = False

    # ------------------------------------------------------------------------------------------ states
    def add_state(self, name: str, default: tl.Tensor | list, dist_reduce_fx: str | Callable | None = None,
                  persistent: bool = False) -> None:
        """Register state ``name`` with its ``default`` (a Tensor, or ``[]`` for a list of tensors).

        ``dist_reduce_fx`` ("sum", "mean", "max", "min", "cat", a callable on the rank-stacked tensor, or None
        for the stack itself) says how values from several processes combine.
        """
        if not isinstance(default, (tl.Tensor, list)) or (isinstance(default, list) and default):
            raise ValueError("state variable must be a tensor or any empty list (where you can append tensors)")
        if isinstance(dist_reduce_fx, str):
            if dist_reduce_fx not in _sync.REDUCTIONS:
                raise ValueError("`dist_reduce_fx` must be callable or one of ['mean', 'sum', 'cat', 'min', 'max', "
                                 f"None], got {dist_reduce_fx!r}")
            dist_reduce_fx = _sync.REDUCTIONS[dist_reduce_fx]
        elif dist_reduce_fx is not None and not callable(dist_reduce_fx):
            raise ValueError("`dist_reduce_fx` must be callable or one of ['mean', 'sum', 'cat', 'min', 'max', None]")
        setattr(self, name, _copy_state(default))
        self._defaults[name] = _copy_state(default)
        self._persistent[name] = persistent
        self._reductions[name] = dist_reduce_fx

    @property
    def metric_state(self) -> dict[str, tl.Tensor | list]:
        """The current value of every state."""
        return {name: getattr(self, name) for name in self._defaults}

    @property
    def update_count(self) -> int:
        return self._update_count

    @property
    def update_called(self) -> bool:
        return self._update_count > 0

    @property
    def device(self) -> tl.device:
        return tl.device("cpu")

    @property
    def dtype(self) -> tl.dtype:
        return tl.float32

    def to(self, *args, **kwargs) -> Metric:
        """Accepted for porting (``metric.to(device)``); tensorlib runs on the CPU, states stay where they are."""
        super().to(*args, **kwargs)
        return self

    def persistent(self, mode: bool = False) -> None:
        """Whether the tensor states go into ``state_dict()`` and load back with ``load_state_dict()`` (they do not
        by default, as in torchmetrics; list states are never saved)."""
        for name in self._persistent:
            self._persistent[name] = mode

    def _persistent_tensor_states(self) -> dict[str, tl.Tensor]:
        return {name: getattr(self, name) for name, keep in self._persistent.items()
                if keep and isinstance(getattr(self, name), tl.Tensor)}

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for name, value in self._persistent_tensor_states().items():
            destination[prefix + name] = value if keep_vars else value.detach()

    def _local_state(self) -> dict:
        self._computed = None  # a load may replace the states in place
        return {**super()._local_state(), **self._persistent_tensor_states()}

    # ------------------------------------------------------------------------------- update / compute
    def update(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    def compute(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement compute()")

    def reset(self) -> None:
        """Back to the default states (as if never updated)."""
        self._update_count = 0
        self._computed = None
        self._forward_cache = None
        for name, default in self._defaults.items():
            setattr(self, name, _copy_state(default))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Accumulate the batch into the running states and return the metric's value on this batch alone."""
        if self.full_state_update or self.full_state_update is None or self.dist_sync_on_step:
            self._forward_cache = self._forward_full_state_update(*args, **kwargs)
        else:
            self._forward_cache = self._forward_reduce_state_update(*args, **kwargs)
        return self._forward_cache

    def _forward_full_state_update(self, *args: Any, **kwargs: Any) -> Any:
        self.update(*args, **kwargs)
        update_count = self._update_count
        cache = {name: _copy_state(value) for name, value in self.metric_state.items()}
        self.reset()
        self._to_sync = self.dist_sync_on_step
        try:
            self.update(*args, **kwargs)
            batch_value = self.compute()
        finally:
            self._to_sync = self.sync_on_compute
            for name, value in cache.items():
                setattr(self, name, value)
            self._update_count = update_count
            self._computed = None
        return batch_value

    def _forward_reduce_state_update(self, *args: Any, **kwargs: Any) -> Any:
        global_state = {name: _copy_state(value) for name, value in self.metric_state.items()}
        update_count = self._update_count
        self.reset()
        self._to_sync = self.dist_sync_on_step
        try:
            self.update(*args, **kwargs)
            batch_value = self.compute()
        except BaseException:
            for name, value in global_state.items():  # a bad batch leaves the accumulated states untouched
                setattr(self, name, value)
            self._update_count = update_count
            raise
        finally:
            self._to_sync = self.sync_on_compute
        self._update_count = update_count + 1
        self._reduce_states(global_state)
        self._computed = None
        return batch_value

    def merge_state(self, incoming_state: dict[str, Any] | Metric) -> None:
        """Fold another metric's (or a state dict's) accumulated states into this one."""
        if isinstance(incoming_state, Metric):
            if not isinstance(incoming_state, type(self)):
                raise ValueError(f"Expected incoming state to be an instance of {type(self).__name__} but got "
                                 f"{type(incoming_state)}")
            incoming_state = incoming_state.metric_state
        elif not isinstance(incoming_state, dict):
            raise ValueError(f"Expected incoming state to be a dict or an instance of Metric but got "
                             f"{type(incoming_state)}")
        self._reduce_states(incoming_state)
        self._computed = None

    def _reduce_states(self, incoming_state: dict[str, Any]) -> None:
        """Combine ``incoming_state`` (the accumulation so far) with the current states, state by state."""
        for name, reduce_fx in self._reductions.items():
            if name not in incoming_state:
                raise ValueError(f"Expected state variable {name} to be present in incoming state")
            other, local = incoming_state[name], getattr(self, name)
            if reduce_fx is _sync.dim_zero_sum:
                reduced = other + local
            elif reduce_fx is _sync.dim_zero_mean:
                reduced = ((self._update_count - 1) * other + local).float() / self._update_count
            elif reduce_fx is _sync.dim_zero_max:
                reduced = tl.maximum(other, local)
            elif reduce_fx is _sync.dim_zero_min:
                reduced = tl.minimum(other, local)
            elif reduce_fx is _sync.dim_zero_cat:
                reduced = list(other) + list(local) if isinstance(other, list) else tl.cat([other, local])
            elif reduce_fx is None and isinstance(other, list):
                reduced = list(other) + list(local)
            elif reduce_fx is None:
                reduced = tl.stack([other, local])
            else:
                reduced = reduce_fx(tl.stack([other, local]))
            setattr(self, name, reduced)

    # -------------------------------------------------------------------------------- distributed
    def _synced_states(self):
        """Context: the states reduced over all ranks while ``compute`` runs, the local ones restored after."""
        return _SyncContext(self)

    def sync(self, dist_sync_fn: Callable | None = None, process_group: Any = None, should_sync: bool = True,
             distributed_available: Callable | None = None) -> dict[str, Any] | None:
        """Replace the states by their reduction over all ranks; returns the local states (or None)."""
        if not should_sync:
            return None
        available = distributed_available or self.distributed_available_fn
        dist = _sync.distributed_backend()
        if dist is None or (available is not None and not available()):
            return None
        local = {name: _copy_state(value) for name, value in self.metric_state.items()}
        gather = dist_sync_fn or self.dist_sync_fn
        group = process_group or self.process_group
        for name, reduce_fx in self._reductions.items():
            value = getattr(self, name)
            if isinstance(value, list):
                value = _sync.dim_zero_cat(value) if value else tl.zeros(0)
            parts = gather(value, group) if gather is not None else _sync.gather_all_tensors(dist, value, group)
            setattr(self, name, _sync.reduce_gathered(parts, reduce_fx))
        return local

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ""


class _SyncContext:
    def __init__(self, metric: Metric) -> None:
        self.metric = metric
        self.local = None

    def __enter__(self) -> None:
        self.local = self.metric.sync(should_sync=self.metric._to_sync)

    def __exit__(self, *exc) -> None:
        if self.local is not None:
            for name, value in self.local.items():
                setattr(self.metric, name, value)
