"""``TQDMProgressBar``: a tqdm bar per epoch on a terminal, one summary line per epoch otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any

from .callback import Callback


def _format(metrics: dict) -> str:
    return ", ".join(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in metrics.items())


class TQDMProgressBar(Callback):
    """Progress of training and validation.

    On a terminal: a tqdm bar per epoch whose numbers refresh at most every ``refresh_interval`` seconds
    (``refresh_rate`` batches is the coarsest grain; 0 disables the bar). When stdout is not a terminal
    (logs, CI, notebooks' captured output): no bar, just one line per epoch with the progress-bar metrics, so
    logs are not flooded (Lightning issues #1399, #2517). Off with ``Trainer(enable_progress_bar=False)``.
    """

    def __init__(self, refresh_rate: int = 1, process_position: int = 0, leave: bool = False,
                 refresh_interval: float = 0.5) -> None:
        self._refresh_rate = refresh_rate
        self._process_position = process_position
        self._leave = leave
        self.refresh_interval = refresh_interval
        self._bar = None
        self._next_refresh = 0.0
        self._epoch_started = 0.0
        self._validation_bar = False

    @property
    def refresh_rate(self) -> int:
        return self._refresh_rate

    @property
    def is_enabled(self) -> bool:
        return self._refresh_rate > 0

    def disable(self) -> None:
        self._refresh_rate = 0

    @staticmethod
    def _interactive() -> bool:
        stream = sys.stdout
        return bool(getattr(stream, "isatty", lambda: False)())

    def get_metrics(self, trainer: Any, pl_module: Any) -> dict:
        metrics = {key: float(value) for key, value in trainer.progress_bar_metrics.items()}
        if trainer.loggers and trainer.loggers[0].version is not None:
            version = trainer.loggers[0].version
            metrics["v_num"] = version[-4:] if isinstance(version, str) else version
        return metrics

    def _open(self, total: int | None, description: str) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, desc=description, position=2 * self._process_position, leave=self._leave,
                         dynamic_ncols=True, file=sys.stdout, smoothing=0, mininterval=self.refresh_interval)
        self._next_refresh = 0.0

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._epoch_started = time.perf_counter()
        if self.is_enabled and trainer.is_global_zero and self._interactive():
            self._open(trainer.num_training_batches, f"Epoch {trainer.current_epoch}")

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        bar = self._bar
        if bar is None:
            return
        done = batch_idx + 1
        if done % self._refresh_rate == 0 or done == trainer.num_training_batches:
            bar.update(done - bar.n)
            now = time.perf_counter()
            if now >= self._next_refresh:  # formatting the metrics costs more than a tqdm update: throttle it
                bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
                self._next_refresh = now + self.refresh_interval

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if not self.is_enabled or not trainer.is_global_zero:
            return
        metrics = self.get_metrics(trainer, pl_module)
        if self._bar is not None:
            self._bar.set_postfix(metrics, refresh=True)
            self._close()
            return
        seconds = time.perf_counter() - self._epoch_started
        print(f"Epoch {trainer.current_epoch}: {trainer.num_training_batches} batches in {seconds:.1f}s"
              + (f", {_format(metrics)}" if metrics else ""), file=sys.stdout, flush=True)

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        if self.is_enabled and trainer.is_global_zero and self._interactive() and self._bar is None:
            self._open(None, "Sanity Checking" if trainer.sanity_checking else "Validation")
            self._validation_bar = True

    def on_validation_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int,
                                dataloader_idx: int = 0) -> None:
        if self._validation_bar and self._bar is not None:
            self._bar.update(1)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if self._validation_bar:
            self._close()
            self._validation_bar = False

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._close()

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self._close()
