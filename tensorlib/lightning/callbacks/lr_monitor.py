"""``LearningRateMonitor``: log each optimizer's learning rate (``lr-<Optimizer>[/pg<i>]``)."""

from __future__ import annotations

from typing import Any

from ..exceptions import MisconfigurationException
from .callback import Callback


class LearningRateMonitor(Callback):
    """Log learning rates at every train epoch start (``logging_interval='epoch'`` or None) or at every logged
    step (``'step'``). Keys as Lightning: ``lr-SGD``, ``lr-SGD-1`` for a second SGD, ``lr-Adam/pg1`` ... with
    several parameter groups; ``momentum-<Optimizer>`` with ``log_momentum``."""

    def __init__(self, logging_interval: str | None = None, log_momentum: bool = False,
                 log_weight_decay: bool = False) -> None:
        if logging_interval not in (None, "step", "epoch"):
            raise MisconfigurationException("logging_interval should be `step` or `epoch` or `None`.")
        self.logging_interval = logging_interval
        self.log_momentum = log_momentum
        self.log_weight_decay = log_weight_decay
        self.lrs: dict = {}

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.loggers:
            raise MisconfigurationException("Cannot use `LearningRateMonitor` callback with `Trainer` that has no "
                                            "logger.")

    def _names(self, trainer: Any) -> list:
        names, seen = [], {}
        for optimizer in trainer.optimizers:
            base = f"lr-{type(optimizer).__name__}"
            count = seen.get(base, 0)
            seen[base] = count + 1
            name = base if count == 0 else f"{base}-{count}"
            groups = optimizer.param_groups
            names.append([name] if len(groups) == 1 else [f"{name}/pg{i + 1}" for i in range(len(groups))])
        return names

    def _stats(self, trainer: Any) -> dict:
        stats = {}
        for optimizer, names in zip(trainer.optimizers, self._names(trainer)):
            for group, name in zip(optimizer.param_groups, names):
                stats[name] = float(group["lr"])
                if self.log_momentum:
                    momentum = group.get("betas", (group.get("momentum", 0.0),))[0]
                    stats[name.replace("lr-", "momentum-", 1)] = float(momentum)
                if self.log_weight_decay:
                    stats[name.replace("lr-", "weight_decay-", 1)] = float(group.get("weight_decay", 0.0))
        for name, value in stats.items():
            self.lrs.setdefault(name, []).append(value)
        return stats

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if self.logging_interval == "step" and trainer._should_log_step():
            trainer._log_to_loggers(self._stats(trainer))

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        if self.logging_interval != "step":
            trainer._log_to_loggers(self._stats(trainer))
