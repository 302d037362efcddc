"""``ModelCheckpoint``: save full training checkpoints, keep the best ``save_top_k`` and ``last.ckpt``."""

from __future__ import annotations

import logging
import math
import os
import re
from typing import Any

from ..exceptions import MisconfigurationException
from .callback import Callback

log = logging.getLogger("tensorlib.lightning")


def resolve_checkpoint_dir(trainer: Any) -> str:
    """Lightning's default folder: ``<logger.save_dir>/<name>/<version>/checkpoints`` (or
    ``<default_root_dir>/checkpoints`` without a logger)."""
    if trainer.loggers:
        logger = trainer.loggers[0]
        save_dir = logger.save_dir or trainer.default_root_dir
        if len(trainer.loggers) == 1 and logger.name is not None:
            version = logger.version if isinstance(logger.version, str) else f"version_{logger.version}"
            return os.path.join(save_dir, str(logger.name), version, "checkpoints")
        return os.path.join(save_dir, "checkpoints")
    return os.path.join(trainer.default_root_dir, "checkpoints")


class ModelCheckpoint(Callback):
    """Save a checkpoint every ``every_n_epochs`` epochs (or ``every_n_train_steps`` optimizer steps).

    With ``monitor`` the ``save_top_k`` best by ``mode`` are kept (``-1`` keeps all, ``0`` none) and
    ``best_model_path``/``best_model_score``/``best_k_models`` say which; without it the newest replaces the
    previous. ``filename`` is a template such as ``"{epoch}-{val_loss:.2f}"`` (default ``"{epoch}-{step}"``,
    giving ``epoch=0-step=100.ckpt``). ``save_last=True`` also writes ``last.ckpt``. Writes are atomic.
    """

    CHECKPOINT_JOIN_CHAR = "-"
    CHECKPOINT_EQUALS_CHAR = "="
    CHECKPOINT_NAME_LAST = "last"
    FILE_EXTENSION = ".ckpt"
    STARTING_VERSION = 1

    def __init__(self, dirpath: Any = None, filename: str | None = None, monitor: str | None = None,
                 verbose: bool = False, save_last: bool | None = None, save_top_k: int = 1,
                 save_weights_only: bool = False, mode: str = "min", auto_insert_metric_name: bool = True,
                 every_n_train_steps: int | None = None, train_time_interval: Any = None,
                 every_n_epochs: int | None = None, save_on_train_epoch_end: bool | None = None,
                 enable_version_counter: bool = True) -> None:
        if mode not in ("min", "max"):
            raise MisconfigurationException(f"`mode` can be 'min' or 'max', got {mode!r}")
        if save_top_k < -1:
            raise MisconfigurationException(f"Invalid value for save_top_k={save_top_k}. Must be >= -1")
        if monitor is None and save_top_k not in (-1, 0, 1):
            raise MisconfigurationException(f"ModelCheckpoint(save_top_k={save_top_k}, monitor=None) is not a valid "
                                            "configuration. No quantity for top_k to track.")
        if every_n_train_steps is not None and every_n_train_steps < 0:
            raise MisconfigurationException(f"Invalid value for every_n_train_steps={every_n_train_steps}")
        if every_n_epochs is not None and every_n_epochs < 0:
            raise MisconfigurationException(f"Invalid value for every_n_epochs={every_n_epochs}")
        self.dirpath = os.path.realpath(os.path.expanduser(os.fspath(dirpath))) if dirpath is not None else None
        self.filename = filename
        self.monitor = monitor
        self.verbose = verbose
        self.save_last = save_last
        self.save_top_k = save_top_k
        self.save_weights_only = save_weights_only
        self.mode = mode
        self.auto_insert_metric_name = auto_insert_metric_name
        self._every_n_train_steps = every_n_train_steps or 0
        self._every_n_epochs = (1 if not every_n_train_steps else 0) if every_n_epochs is None else every_n_epochs
        self._save_on_train_epoch_end = save_on_train_epoch_end
        self._enable_version_counter = enable_version_counter
        self.best_k_models: dict = {}
        self.kth_best_model_path = ""
        self.best_model_score = None
        self.best_model_path = ""
        self.last_model_path = ""
        self.current_score = None
        self.kth_value = math.inf if mode == "min" else -math.inf
        self._last_global_step_saved = 0

    @property
    def state_key(self) -> str:
        return self._generate_state_key(monitor=self.monitor, mode=self.mode,
                                        every_n_train_steps=self._every_n_train_steps,
                                        every_n_epochs=self._every_n_epochs)

    # ------------------------------------------------------------------------------------------ hooks
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if self.dirpath is None:
            self.dirpath = resolve_checkpoint_dir(trainer)
        self.dirpath = trainer.strategy.broadcast(self.dirpath)  # every rank agrees on rank 0's folder

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self._should_skip(trainer) or not self._every_n_train_steps:
            return
        if trainer.global_step % self._every_n_train_steps != 0:
            return
        self._save(trainer)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if not self._should_skip(trainer) and self._should_save_on_train_epoch_end(trainer) \
                and self._is_epoch_to_save(trainer):
            self._save(trainer)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if not self._should_skip(trainer) and not self._should_save_on_train_epoch_end(trainer) \
                and self._is_epoch_to_save(trainer):
            self._save(trainer)

    def state_dict(self) -> dict:
        return {"monitor": self.monitor, "best_model_score": self.best_model_score,
                "best_model_path": self.best_model_path, "current_score": self.current_score,
                "dirpath": self.dirpath, "best_k_models": dict(self.best_k_models),
                "kth_best_model_path": self.kth_best_model_path, "kth_value": self.kth_value,
                "last_model_path": self.last_model_path, "last_global_step_saved": self._last_global_step_saved}

    def load_state_dict(self, state_dict: dict) -> None:
        if state_dict.get("dirpath") != self.dirpath:
            log.warning("ModelCheckpoint's dirpath changed from %s to %s: only the last model path is restored",
                        state_dict.get("dirpath"), self.dirpath)
            self.last_model_path = state_dict.get("last_model_path", "")
            return
        self.best_model_score = state_dict["best_model_score"]
        self.best_model_path = state_dict["best_model_path"]
        self.current_score = state_dict.get("current_score")
        self.best_k_models = dict(state_dict.get("best_k_models", {}))
        self.kth_best_model_path = state_dict.get("kth_best_model_path", "")
        self.kth_value = state_dict.get("kth_value", self.kth_value)
        self.last_model_path = state_dict.get("last_model_path", "")
        self._last_global_step_saved = state_dict.get("last_global_step_saved", 0)

    # ------------------------------------------------------------------------------------------ when
    def _should_skip(self, trainer: Any) -> bool:
        return (bool(trainer.fast_dev_run) or trainer.state.fn != "fit" or trainer.sanity_checking
                or self._last_global_step_saved == trainer.global_step)

    def _is_epoch_to_save(self, trainer: Any) -> bool:
        n = self._every_n_epochs
        return n >= 1 and (trainer.current_epoch + 1) % n == 0

    def _should_save_on_train_epoch_end(self, trainer: Any) -> bool:
        if self._save_on_train_epoch_end is not None:
            return self._save_on_train_epoch_end
        if trainer.check_val_every_n_epoch != 1:
            return False
        if trainer.num_val_batches_total == 0:
            return True
        return trainer.val_check_interval == 1.0

    # ------------------------------------------------------------------------------------------ saving
    def format_checkpoint_name(self, metrics: dict, filename: str | None = None, ver: int | None = None) -> str:
        """The file path for ``metrics`` (``{name}`` / ``{name:fmt}`` groups filled in, ``name=`` prefixed)."""
        template = filename or self.filename or "{epoch}" + self.CHECKPOINT_JOIN_CHAR + "{step}"
        values = dict(metrics)
        for group in sorted(set(re.findall(r"(\{.*?)[:\}]", template)), key=len, reverse=True):
            name = group[1:]
            if self.auto_insert_metric_name:  # '/' would make a sub-folder: written as '_' in the file name
                template = template.replace(group, name.replace("/", "_") + self.CHECKPOINT_EQUALS_CHAR + group)
            template = template.replace(group, "{0[" + name + "]")  # item access: names may contain '.' or '/'
            values.setdefault(name, 0)
        name = template.format(values)
        if ver is not None:
            name += f"{self.CHECKPOINT_JOIN_CHAR}v{ver}"
        return os.path.join(self.dirpath, name + self.FILE_EXTENSION)

    def _metrics(self, trainer: Any) -> dict:
        metrics = {key: float(value) for key, value in trainer.callback_metrics.items()}
        metrics["epoch"] = trainer.current_epoch
        metrics["step"] = trainer.global_step
        return metrics

    def _save(self, trainer: Any) -> None:
        metrics = self._metrics(trainer)
        if self.monitor is not None and self.save_top_k != 0:
            if self.monitor not in metrics:
                raise MisconfigurationException(
                    f"`ModelCheckpoint(monitor={self.monitor!r})` could not find the monitored key in the returned "
                    f"metrics: {sorted(trainer.callback_metrics)}. HINT: Did you call `log({self.monitor!r}, "
                    "value)` in the `LightningModule`?")
            self._save_top_k(trainer, metrics)
        elif self.save_top_k != 0:
            self._save_newest(trainer, metrics)
        if self.save_last:
            self._save_last(trainer, metrics)
        self._last_global_step_saved = trainer.global_step

    def _unique_path(self, metrics: dict) -> str:
        path = self.format_checkpoint_name(metrics)
        version = self.STARTING_VERSION
        while self._enable_version_counter and os.path.exists(path) and path not in self.best_k_models \
                and path != self.best_model_path:
            path = self.format_checkpoint_name(metrics, ver=version)
            version += 1
        return path

    def _save_newest(self, trainer: Any, metrics: dict) -> None:
        path = self._unique_path(metrics)
        previous = self.best_model_path
        trainer.save_checkpoint(path, self.save_weights_only)
        self.best_model_path = path
        if self.save_top_k == 1 and previous and previous != path:
            trainer.strategy.remove_checkpoint(previous)
        if self.verbose:
            log.info(f"Epoch {trainer.current_epoch}, global step {trainer.global_step}: saving model to {path}")

    def _better(self, current: float, reference: float) -> bool:
        return current < reference if self.mode == "min" else current > reference

    def _save_top_k(self, trainer: Any, metrics: dict) -> None:
        current = float(metrics[self.monitor])
        if math.isnan(current):
            current = math.inf if self.mode == "min" else -math.inf
        self.current_score = current
        full = self.save_top_k != -1 and len(self.best_k_models) >= self.save_top_k
        if full and not self._better(current, self.best_k_models[self.kth_best_model_path]):
            if self.verbose:
                log.info(f"Epoch {trainer.current_epoch}, step {trainer.global_step}: {self.monitor!r} was not "
                         f"in top {self.save_top_k}")
            return
        path = self._unique_path(metrics)
        trainer.save_checkpoint(path, self.save_weights_only)
        worst = self.kth_best_model_path if full else None
        if worst is not None:
            del self.best_k_models[worst]
        self.best_k_models[path] = current
        pick_worst = max if self.mode == "min" else min
        pick_best = min if self.mode == "min" else max
        self.kth_best_model_path = pick_worst(self.best_k_models, key=self.best_k_models.get)
        self.kth_value = self.best_k_models[self.kth_best_model_path]
        self.best_model_path = pick_best(self.best_k_models, key=self.best_k_models.get)
        self.best_model_score = self.best_k_models[self.best_model_path]
        if worst is not None and worst != path:
            trainer.strategy.remove_checkpoint(worst)
        if self.verbose:
            log.info(f"Epoch {trainer.current_epoch}, global step {trainer.global_step}: {self.monitor!r} reached "
                     f"{current:.5f} (best {self.best_model_score:.5f}), saving model to {path!r} as top "
                     f"{self.save_top_k}")

    def _save_last(self, trainer: Any, metrics: dict) -> None:
        path = self.format_checkpoint_name(metrics, self.CHECKPOINT_NAME_LAST)
        trainer.save_checkpoint(path, self.save_weights_only)
        self.last_model_path = path
