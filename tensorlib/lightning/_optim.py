"""``configure_optimizers``' return value parsed into optimizers and scheduler configs (Lightning's formats)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tensorlib.optim import Optimizer
from tensorlib.optim.lr_scheduler import ReduceLROnPlateau

from .exceptions import MisconfigurationException

_ACCEPTED = ("Unknown configuration for model optimizers. Output from `model.configure_optimizers()` should be one "
             "of:\n * `Optimizer`\n * [`Optimizer`]\n * ([`Optimizer`], [`LRScheduler`])\n"
             ' * {"optimizer": `Optimizer`, (optional) "lr_scheduler": `LRScheduler` or {"scheduler": '
             '`LRScheduler`, "interval": "epoch"|"step", "frequency": int, "monitor": str}, (optional) "monitor": '
             "str}\n * A list of the previously described dict format\n")
_SCHEDULER_KEYS = {"scheduler", "name", "interval", "frequency", "reduce_on_plateau", "monitor", "strict", "opt_idx"}


@dataclass
class LRSchedulerConfig:
    """One scheduler and when it steps: every ``frequency`` epochs or optimizer steps (``interval``)."""

    scheduler: Any
    name: str | None = None
    interval: str = "epoch"
    frequency: int = 1
    reduce_on_plateau: bool = False
    monitor: str | None = None
    strict: bool = True


def _scheduler_config(entry: Any, monitor: str | None, got: Any) -> LRSchedulerConfig:
    if isinstance(entry, dict):
        unknown = set(entry) - _SCHEDULER_KEYS
        if unknown:
            raise MisconfigurationException(f"Found unsupported keys in the lr scheduler dict: {sorted(unknown)}. "
                                            f"HINT: supported keys are {sorted(_SCHEDULER_KEYS - {'opt_idx'})}")
        if "scheduler" not in entry:
            raise MisconfigurationException('The lr scheduler dict must have the key "scheduler" with its item '
                                            "being an lr scheduler")
        config = LRSchedulerConfig(entry["scheduler"], name=entry.get("name"),
                                   interval=entry.get("interval", "epoch"), frequency=entry.get("frequency", 1),
                                   monitor=entry.get("monitor", monitor), strict=entry.get("strict", True))
    else:
        config = LRSchedulerConfig(entry, monitor=monitor)
    if config.interval not in ("epoch", "step"):
        raise MisconfigurationException(f'The "interval" key in lr scheduler dict must be "step" or "epoch" but is '
                                        f'"{config.interval}"')
    if not hasattr(config.scheduler, "step"):
        raise MisconfigurationException(f"{_ACCEPTED}got a scheduler entry of type {type(config.scheduler).__name__}"
                                        f" in {type(got).__name__}")
    config.reduce_on_plateau = isinstance(config.scheduler, ReduceLROnPlateau)
    if config.reduce_on_plateau and config.monitor is None:
        raise MisconfigurationException(
            "`configure_optimizers` must include a monitor when a `ReduceLROnPlateau` scheduler is used. For "
            'example: {"optimizer": optimizer, "lr_scheduler": scheduler, "monitor": "metric_to_track"}')
    return config


def parse_optimizers(returned: Any) -> tuple:
    """``(optimizers, scheduler_configs)`` from what ``configure_optimizers`` returned."""
    if returned is None:
        return [], []
    if isinstance(returned, Optimizer):
        return [returned], []
    if isinstance(returned, dict):
        returned = [returned]
    if isinstance(returned, (list, tuple)):
        if len(returned) == 2 and isinstance(returned[0], (list, tuple)):
            optimizers, schedulers = list(returned[0]), returned[1]
            schedulers = list(schedulers) if isinstance(schedulers, (list, tuple)) else [schedulers]
            if all(isinstance(o, Optimizer) for o in optimizers):
                return optimizers, [_scheduler_config(s, None, returned) for s in schedulers]
        elif all(isinstance(item, Optimizer) for item in returned):
            return list(returned), []
        elif all(isinstance(item, dict) for item in returned):
            optimizers, configs = [], []
            for item in returned:
                if not isinstance(item.get("optimizer"), Optimizer):
                    break
                optimizers.append(item["optimizer"])
                if item.get("lr_scheduler") is not None:
                    configs.append(_scheduler_config(item["lr_scheduler"], item.get("monitor"), returned))
            else:
                return optimizers, configs
    raise MisconfigurationException(f"{_ACCEPTED}got {type(returned).__name__}: {returned!r:.200}")


class LightningOptimizer:
    """What ``self.optimizers()`` hands to a manual-optimization step: the optimizer, whose ``step`` also runs
    the Trainer's gradient clipping hooks and counts ``global_step``."""

    def __init__(self, optimizer: Any, trainer: Any) -> None:
        self._optimizer = optimizer
        self._trainer = trainer

    @property
    def optimizer(self) -> Any:
        return self._optimizer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._optimizer, name)

    def step(self, closure: Any = None, **kwargs: Any) -> Any:
        trainer = self._trainer
        trainer._before_optimizer_step(self._optimizer)
        result = self._optimizer.step(closure=closure, **kwargs) if closure is not None else \
            self._optimizer.step(**kwargs)
        trainer._after_optimizer_step()
        return result

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._optimizer.zero_grad(set_to_none=set_to_none)
