"""What ``self.log`` records: per-step values and per-epoch reductions, split into the three views Lightning
keeps (``callback_metrics``, ``logged_metrics``, ``progress_bar_metrics``)."""

from __future__ import annotations

import math
from typing import Any, Callable

import tensorlib as tl

from .exceptions import MisconfigurationException

# Lightning's defaults: step-level in training_step and the train batch hooks, epoch-level everywhere else
_STEP_LEVEL_HOOKS = {"training_step", "on_train_batch_start", "on_train_batch_end", "on_before_backward",
                     "on_after_backward", "on_before_optimizer_step", "on_before_zero_grad"}
_REDUCTIONS = {"mean": "mean", "avg": "mean", "sum": "sum", "max": "max", "min": "min"}


def _reduction_name(reduce_fx: Any) -> str:
    if isinstance(reduce_fx, str):
        name = _REDUCTIONS.get(reduce_fx.lower())
    else:
        name = _REDUCTIONS.get(getattr(reduce_fx, "__name__", ""))
    if name is None:
        raise ValueError(f"self.log: reduce_fx={reduce_fx!r} is not supported; use 'mean', 'sum', 'max' or 'min' "
                         "(or tensorlib.mean/sum/max/min)")
    return name


def is_metric(value: Any) -> bool:
    """Duck-typed torchmetrics-style metric: ``update``, ``compute`` and ``reset``."""
    return all(callable(getattr(value, name, None)) for name in ("update", "compute", "reset"))


def to_float(value: Any, name: str) -> float:
    """A Python float from a scalar tensor/number; anything else raises ``ValueError`` naming the key."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool):
        return float(value)
    if hasattr(value, "numel") and hasattr(value, "item"):
        if value.numel() != 1:
            raise ValueError(f"self.log({name!r}, ...) was called, but the tensor must have a single element. "
                             f"You can try doing `self.log({name!r}, your_tensor.mean())`; got shape "
                             f"{tuple(value.shape)}")
        return float(value.item())
    if hasattr(value, "item"):  # NumPy scalars
        return float(value.item())
    raise ValueError(f"self.log({name!r}, value): value must be a number, a one-element tensor or a metric with "
                     f"update/compute/reset, got {type(value).__name__}")


class _Entry:
    """One logged key: its options, last step value and running epoch reduction."""

    __slots__ = ("name", "on_step", "on_epoch", "prog_bar", "logger", "reduction", "sync_dist", "metric",
                 "step_value", "total", "weight", "count")

    def __init__(self, name: str, on_step: bool, on_epoch: bool, prog_bar: bool, logger: bool, reduction: str,
                 sync_dist: bool) -> None:
        self.name, self.on_step, self.on_epoch = name, on_step, on_epoch
        self.prog_bar, self.logger, self.reduction, self.sync_dist = prog_bar, logger, reduction, sync_dist
        self.metric = None
        self.step_value = None
        self.reset()

    def reset(self) -> None:
        self.total, self.weight, self.count = 0.0, 0.0, 0

    def add(self, value: float, batch_size: int) -> None:
        self.step_value = value
        self.count += 1
        if self.reduction == "mean":
            self.total += value * batch_size
            self.weight += batch_size
        elif self.reduction == "sum":
            self.total += value
        elif self.count == 1:
            self.total = value
        else:
            self.total = max(self.total, value) if self.reduction == "max" else min(self.total, value)

    def epoch_value(self) -> float | None:
        if self.metric is not None:
            return to_float(self.metric.compute(), self.name) if self.count else None
        if not self.count:
            return None
        if self.reduction == "mean":
            return self.total / self.weight if self.weight else math.nan
        return self.total


class ResultCollection:
    """The keys logged during one loop (train, validate, test) and their reductions."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.entries: dict = {}
        self.batch_size = 1
        self._stepped: list = []  # entries that got a step value since the last ``step_metrics``

    def log(self, fx: str | None, name: str, value: Any, prog_bar: bool, logger: bool | None, on_step: bool | None,
            on_epoch: bool | None, reduce_fx: Any, sync_dist: bool, batch_size: int | None) -> None:
        step_level = fx in _STEP_LEVEL_HOOKS
        on_step = step_level if on_step is None else bool(on_step)
        on_epoch = (not step_level) if on_epoch is None else bool(on_epoch)
        if on_step and fx is not None and not fx.endswith(("_step", "batch_end", "batch_start")) \
                and fx not in _STEP_LEVEL_HOOKS:
            raise MisconfigurationException(f"You can't `self.log({name!r}, ..., on_step=True)` in `{fx}`: it runs "
                                            "once per epoch")
        entry = self.entries.get(name)
        if entry is None:
            entry = _Entry(name, on_step, on_epoch, prog_bar, True if logger is None else bool(logger),
                           _reduction_name(reduce_fx), sync_dist)
            self.entries[name] = entry
        if is_metric(value):
            entry.metric = value
            cached = getattr(value, "_forward_cache", None)
            step_value = to_float(cached, name) if (on_step and cached is not None) else None
            if step_value is None and on_step:
                step_value = to_float(value.compute(), name)
            entry.step_value = step_value
            entry.count += 1
        else:
            entry.add(to_float(value, name), self.batch_size if batch_size is None else int(batch_size))
        if on_step:
            self._stepped.append(entry)

    def step_metrics(self) -> tuple:
        """``(callback, logger, prog_bar)`` dicts of the step values logged since the last call."""
        callback, logged, bar = {}, {}, {}
        for entry in self._stepped:
            if entry.step_value is None:
                continue
            key = entry.name + "_step" if entry.on_epoch else entry.name
            callback[key] = entry.step_value
            if entry.on_epoch:
                callback[entry.name] = entry.step_value
            if entry.logger:
                logged[key] = entry.step_value
            if entry.prog_bar:
                bar[key] = entry.step_value
        self._stepped = []
        return callback, logged, bar

    def epoch_metrics(self, reduce: Callable[[float], float] | None = None) -> tuple:
        """``(callback, logger, prog_bar)`` dicts of the epoch reductions; the entries are then reset (metric
        objects too). ``reduce`` averages ``sync_dist`` values across processes."""
        callback, logged, bar = {}, {}, {}
        for entry in self.entries.values():
            if not entry.on_epoch:
                continue
            value = entry.epoch_value()
            if entry.metric is not None:
                entry.metric.reset()
            entry.reset()
            if value is None:
                continue
            if entry.sync_dist and reduce is not None:
                value = reduce(value)
            key = entry.name + "_epoch" if entry.on_step else entry.name
            callback[key] = value
            if entry.on_step:
                callback[entry.name] = value
            if entry.logger:
                logged[key] = value
            if entry.prog_bar:
                bar[key] = value
        return callback, logged, bar

    def known_keys(self) -> set:
        """Every key these logs can produce (used to check a callback's ``monitor`` early)."""
        keys = set()
        for entry in self.entries.values():
            keys.add(entry.name)
            if entry.on_step and entry.on_epoch:
                keys.update((entry.name + "_step", entry.name + "_epoch"))
        return keys


def as_tensors(values: dict) -> dict:
    """Lightning exposes metrics as 0-d float tensors."""
    return {key: tl.tensor(value, dtype=tl.float32) for key, value in values.items()}
