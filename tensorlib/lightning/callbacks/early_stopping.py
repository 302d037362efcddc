"""``EarlyStopping``: stop when a monitored metric stops improving (or becomes NaN/inf)."""

from __future__ import annotations

import logging
import math
from typing import Any

from ..exceptions import MisconfigurationException
from .callback import Callback

log = logging.getLogger("tensorlib.lightning")


class EarlyStopping(Callback):
    """Stop after ``patience`` checks without an improvement of more than ``min_delta`` in ``monitor``.

    Checked when validation ends (or at train epoch end when validation runs once per epoch, as Lightning).
    ``check_finite`` also stops on a NaN/inf monitored value, and on a non-finite training loss right at the
    step that produced it (the message names the epoch and step). ``stopping_reason_message`` says why.
    """

    mode_dict = {"min": "min", "max": "max"}

    def __init__(self, monitor: str, min_delta: float = 0.0, patience: int = 3, verbose: bool = False,
                 mode: str = "min", strict: bool = True, check_finite: bool = True,
                 stopping_threshold: float | None = None, divergence_threshold: float | None = None,
                 check_on_train_epoch_end: bool | None = None, log_rank_zero_only: bool = False) -> None:
        if mode not in self.mode_dict:
            raise MisconfigurationException(f"`mode` can be {', '.join(self.mode_dict)}, got {mode}")
        self.monitor = monitor
        self.min_delta = abs(min_delta) * (-1 if mode == "min" else 1)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.strict = strict
        self.check_finite = check_finite
        self.stopping_threshold = stopping_threshold
        self.divergence_threshold = divergence_threshold
        self._check_on_train_epoch_end = check_on_train_epoch_end
        self.wait_count = 0
        self.stopped_epoch = 0
        self.best_score = math.inf if mode == "min" else -math.inf
        self.stopping_reason_message = None

    @property
    def state_key(self) -> str:
        return self._generate_state_key(monitor=self.monitor, mode=self.mode)

    def state_dict(self) -> dict:
        return {"wait_count": self.wait_count, "stopped_epoch": self.stopped_epoch, "best_score": self.best_score,
                "patience": self.patience}

    def load_state_dict(self, state_dict: dict) -> None:
        self.wait_count = state_dict["wait_count"]
        self.stopped_epoch = state_dict["stopped_epoch"]
        self.best_score = state_dict["best_score"]
        self.patience = state_dict["patience"]

    def _improved(self, current: float) -> bool:
        shifted = current - self.min_delta
        return shifted < self.best_score if self.mode == "min" else shifted > self.best_score

    def _on_train_epoch_end_mode(self, trainer: Any) -> bool:
        if self._check_on_train_epoch_end is not None:
            return self._check_on_train_epoch_end
        if trainer.check_val_every_n_epoch != 1:
            return False
        return trainer.num_val_batches_total == 0 or trainer.val_check_interval == 1.0

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if not self.check_finite or trainer.should_stop:
            return
        loss = trainer._last_loss
        if loss is not None and not math.isfinite(loss):
            self._stop(trainer, f"The training loss is {loss} at epoch {trainer.current_epoch}, batch {batch_idx} "
                                f"(global step {trainer.global_step}). Signaling Trainer to stop.")

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self._on_train_epoch_end_mode(trainer):
            self._run_check(trainer)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if not self._on_train_epoch_end_mode(trainer):
            self._run_check(trainer)

    def _run_check(self, trainer: Any) -> None:
        if trainer.fast_dev_run or trainer.sanity_checking or trainer.state.fn != "fit":
            return
        if trainer.should_stop and self.stopping_reason_message is not None:
            return  # already stopped (a non-finite loss): keep the message that names the step
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            if self.strict:
                available = ", ".join(f"`{key}`" for key in sorted(metrics))
                raise RuntimeError(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                                   "Pass in or modify your `EarlyStopping` callback to use any of the following: "
                                   f"{available}")
            return
        current = float(metrics[self.monitor])
        should_stop, reason = self._evaluate(current)
        if reason and self.verbose:
            log.info(reason)
        if should_stop:
            self._stop(trainer, reason)

    def _evaluate(self, current: float) -> tuple:
        if self.check_finite and not math.isfinite(current):
            return True, (f"Monitored metric {self.monitor} = {current} is not finite. Previous best value was "
                          f"{self.best_score:.3f}. Signaling Trainer to stop.")
        if self.stopping_threshold is not None and not self._improved_strictly(current, self.stopping_threshold):
            return True, (f"Stopping threshold reached: {self.monitor} = {current} "
                          f"{'<' if self.mode == 'min' else '>'} {self.stopping_threshold}. "
                          "Signaling Trainer to stop.")
        if self.divergence_threshold is not None and \
                not self._improved_strictly(self.divergence_threshold, current):
            return True, (f"Divergence threshold reached: {self.monitor} = {current} "
                          f"{'>' if self.mode == 'min' else '<'} {self.divergence_threshold}. "
                          "Signaling Trainer to stop.")
        if self._improved(current):
            improvement = "" if not math.isfinite(self.best_score) else \
                f" by {abs(self.best_score - current):.3f} >= min_delta = {abs(self.min_delta)}"
            self.best_score = current
            self.wait_count = 0
            return False, f"Metric {self.monitor} improved{improvement}. New best score: {current:.3f}"
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return True, (f"Monitored metric {self.monitor} did not improve in the last {self.wait_count} records. "
                          f"Best score: {self.best_score:.3f}. Signaling Trainer to stop.")
        return False, None

    def _improved_strictly(self, current: float, reference: float) -> bool:
        """True while ``current`` is still on the "not yet reached" side of ``reference``."""
        return current > reference if self.mode == "min" else current < reference

    def _stop(self, trainer: Any, reason: str) -> None:
        trainer.should_stop = True
        self.stopped_epoch = trainer.current_epoch
        self.stopping_reason_message = reason
        log.info(reason)
