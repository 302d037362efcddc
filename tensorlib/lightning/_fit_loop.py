"""The training loop of ``Trainer.fit``: epochs, batches, optimization, in-epoch validation and resume state."""

from __future__ import annotations

import difflib
import logging
import math
import time
import warnings
from typing import Any

from tensorlib.data import SequentialSampler

from . import _checkpoint as ckpt
from ._loaders import batch_size_of, is_shuffled, loader_generators, rebuild_loader
from ._results import ResultCollection
from .callbacks import EarlyStopping
from .exceptions import MisconfigurationException

log = logging.getLogger("tensorlib.lightning")


def limited_batches(loader: Any, limit: int | float, what: str) -> float:
    """How many batches of ``loader`` a loop runs under ``limit`` (int = count, float = fraction)."""
    try:
        available = len(loader)
    except TypeError:
        return math.inf if isinstance(limit, float) else limit
    if isinstance(limit, int) and not isinstance(limit, bool):
        return min(available, limit)
    count = int(available * limit)
    if count == 0 and limit > 0 and available > 0:
        raise MisconfigurationException(f"You requested to check {limit} of the `{what}_dataloader` but {limit} * "
                                        f"{available} < 1. Please increase the `limit_{what}_batches` argument. "
                                        f"Try at least `limit_{what}_batches={1 / available}`")
    return count


def _loss_of(output: Any) -> Any:
    if isinstance(output, dict):
        if "loss" not in output:
            raise MisconfigurationException("In automatic_optimization, when `training_step` returns a dict, the "
                                            f"'loss' key needs to be present; got keys {sorted(output)}")
        return output["loss"]
    return output


class FitLoop:
    """Runs epochs until ``max_epochs``/``max_steps``/``should_stop`` (respecting ``min_epochs``); keeps the
    position (epoch, batches done) and the RNG states that let a checkpoint resume bit for bit."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.generators: list = []
        self.epoch_start_rng = None
        self.batches_done = 0
        self.epoch_completed = False
        self.total_batch_idx = 0
        self.val_check_batch: float = math.inf
        self.val_enabled = False
        self.results = None
        self._iterator = None
        self._monitors_checked = False
        self._started = 0.0

    # ------------------------------------------------------------------------------------------ data
    def setup_data(self, train: Any, val: Any) -> None:
        trainer = self.trainer
        module, datamodule = trainer.lightning_module, trainer.datamodule
        if train is None:
            source = datamodule if datamodule is not None else module
            method = getattr(source, "train_dataloader", None)
            train = method() if method is not None else None
        if train is None:
            raise MisconfigurationException("No `train_dataloader()` method defined. Pass `train_dataloaders` to "
                                            "`trainer.fit()`, or define `train_dataloader()` in the "
                                            "LightningModule or the LightningDataModule.")
        if val is None:
            source = datamodule if datamodule is not None else module
            method = getattr(source, "val_dataloader", None)
            val = method() if method is not None else None
        shuffled = is_shuffled(train)
        if trainer.overfit_batches and shuffled:
            warnings.warn("You requested to overfit but enabled training dataloader shuffling. We are turning off "
                          "the training dataloader shuffling for you.")
            train = rebuild_loader(train, SequentialSampler(train.dataset))
            shuffled = False
        train = trainer.strategy.process_dataloader(train, shuffled)
        trainer.train_dataloader = train
        self.generators = loader_generators(train)
        trainer.num_training_batches = limited_batches(train, trainer.limit_train_batches, "train")
        vals = [] if val is None else (list(val) if isinstance(val, (list, tuple)) else [val])
        vals = [trainer.strategy.process_dataloader(loader, False) for loader in vals]
        trainer.val_dataloaders = vals[0] if len(vals) == 1 else (vals or None)
        trainer.num_val_batches = [limited_batches(loader, trainer.limit_val_batches, "val") for loader in vals]
        from .module import LightningModule

        overrides_step = type(module).validation_step is not LightningModule.validation_step
        self.val_enabled = bool(vals) and overrides_step and sum(trainer.num_val_batches) > 0
        self._vals = vals
        self._set_val_check_batch()

    def _set_val_check_batch(self) -> None:
        trainer = self.trainer
        interval, batches = trainer.val_check_interval, trainer.num_training_batches
        if isinstance(interval, int) and not isinstance(interval, bool):
            if trainer.check_val_every_n_epoch is not None and interval > batches:
                raise ValueError(f"`val_check_interval` ({interval}) must be less than or equal to the number of the "
                                 f"training batches ({batches}). If you want to disable validation set "
                                 "`limit_val_batches` to 0.0 instead. If you want to validate based on the total "
                                 "training batches, set `check_val_every_n_epoch=None`.")
            self.val_check_batch = interval
        else:
            self.val_check_batch = max(1, int(batches * interval)) if math.isfinite(batches) else math.inf

    # ------------------------------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {"epoch": self.trainer.current_epoch, "epoch_completed": self.epoch_completed,
                "batches_done": self.batches_done, "total_batch_idx": self.total_batch_idx}

    def shutdown_workers(self) -> None:
        """Stop DataLoader worker processes (after an interruption or error, or when fit ends)."""
        loaders = [self.trainer.train_dataloader] + list(getattr(self, "_vals", []))
        iterators = [self._iterator] + [getattr(loader, "_iterator", None) for loader in loaders]
        for iterator in iterators:
            shutdown = getattr(iterator, "_shutdown_workers", None)
            if shutdown is not None:
                shutdown(graceful=False)
        self._iterator = None

    # ------------------------------------------------------------------------------------------ loop
    def _done(self) -> bool:
        trainer = self.trainer
        if trainer.max_steps != -1 and trainer.global_step >= trainer.max_steps:
            return True
        if trainer.max_epochs != -1 and trainer.current_epoch >= trainer.max_epochs:
            return True
        if trainer.max_time is not None and time.monotonic() - self._started >= trainer.max_time:
            return True
        return trainer.should_stop and self._minimum_reached()

    def _minimum_reached(self) -> bool:
        trainer = self.trainer
        epochs_ok = trainer.min_epochs is None or trainer.current_epoch + 1 >= trainer.min_epochs
        steps_ok = trainer.min_steps is None or trainer.global_step >= trainer.min_steps
        return epochs_ok and steps_ok

    def run(self, checkpoint: dict | None) -> None:
        trainer = self.trainer
        self._started = time.monotonic()
        self.total_batch_idx, resume = 0, None
        if checkpoint is not None:
            state = checkpoint["loops"]["fit_loop"]
            trainer.current_epoch, trainer.global_step = state["epoch"], checkpoint["global_step"]
            self.total_batch_idx = state.get("total_batch_idx", 0)
            if state["epoch_completed"]:
                trainer.current_epoch += 1
            else:
                resume = (state["batches_done"], checkpoint)
        trainer.state.stage = "train"
        trainer._hooks.both("on_train_start")
        if checkpoint is not None and resume is None:
            ckpt.restore_rng(checkpoint["rng_states"], self.generators)
        while not self._done():
            self.run_epoch(resume)
            resume = None
            if trainer.should_stop and not self._minimum_reached():
                log.info(f"Trainer was signaled to stop but the required `min_epochs={trainer.min_epochs}` or "
                         f"`min_steps={trainer.min_steps}` has not been met. Training will continue...")
                trainer.should_stop = False
            trainer.current_epoch += 1
        trainer._hooks.both("on_train_end")
        self.shutdown_workers()

    def _skip_to(self, iterator: Any, resume: tuple) -> int:
        """Resume mid-epoch: replay the epoch's start (same shuffling and per-batch seeds), skip the batches
        already trained on, then restore the RNG states of the moment the checkpoint was saved."""
        done, checkpoint = resume
        for _ in range(done):
            next(iterator)
        ckpt.restore_rng(checkpoint["rng_states"], self.generators)
        return done

    def run_epoch(self, resume: tuple | None) -> None:
        trainer = self.trainer
        hooks, module = trainer._hooks, trainer.lightning_module
        loader = trainer.train_dataloader
        self.epoch_completed = False
        self.batches_done = 0
        trainer.strategy.set_epoch(loader, trainer.current_epoch)
        self.results = ResultCollection("train")
        trainer._results = self.results
        module.train()
        hooks.both("on_train_epoch_start")
        if resume is not None and resume[0] > 0:
            ckpt.restore_rng(resume[1]["epoch_start_rng_states"], self.generators)
        self.epoch_start_rng = ckpt.capture_rng(self.generators)
        iterator = iter(loader)
        self._iterator = iterator
        index = self._skip_to(iterator, resume) if resume is not None and resume[0] > 0 else 0
        self.batches_done = index
        total = trainer.num_training_batches
        while index < total:
            try:
                batch = next(iterator)
            except StopIteration:
                total = index
                break
            if self.run_batch(batch, index, total) == -1:
                break
            if self._should_validate(index, total):
                trainer._eval_loop.run_fit_validation()
            index += 1
            if trainer.max_steps != -1 and trainer.global_step >= trainer.max_steps:
                break
            if trainer.should_stop and self._minimum_reached():
                break
        self._iterator = None
        if not math.isfinite(trainer.num_training_batches) and index == total and self._end_validation_due():
            trainer._eval_loop.run_fit_validation()
        self.epoch_end()

    def _end_validation_due(self) -> bool:
        trainer = self.trainer
        every = trainer.check_val_every_n_epoch
        return self.val_enabled and (every is None or (trainer.current_epoch + 1) % every == 0)

    def _should_validate(self, index: int, total: float) -> bool:
        if not self.val_enabled:
            return False
        trainer = self.trainer
        every = trainer.check_val_every_n_epoch
        if every is not None and (trainer.current_epoch + 1) % every != 0:
            return False
        if not math.isfinite(self.val_check_batch):
            return index + 1 >= total
        current = self.total_batch_idx - 1 if every is None else index
        return (current + 1) % self.val_check_batch == 0

    def epoch_end(self) -> None:
        trainer = self.trainer
        hooks = trainer._hooks
        trainer._results = self.results
        hooks.callbacks_hook("on_train_epoch_end", monitoring=False)
        hooks.module_hook("on_train_epoch_end")
        callback, logged, bar = self.results.epoch_metrics(trainer.strategy.reduce)
        trainer._callback_metrics.update(callback)
        trainer._progress_bar_metrics.update(bar)
        trainer._log_to_loggers(logged, step=max(trainer.global_step - 1, 0))
        self.step_schedulers("epoch", plateau=True)
        self.epoch_completed = True
        if not self.val_enabled:
            self.check_monitors()
        hooks.callbacks_hook("on_train_epoch_end", monitoring=True)
        trainer.should_stop = trainer.strategy.any_true(trainer.should_stop)  # all ranks stop together
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.save()

    # ------------------------------------------------------------------------------------------ one batch
    def run_batch(self, batch: Any, index: int, total: float) -> Any:
        trainer = self.trainer
        hooks, module = trainer._hooks, trainer.lightning_module
        self.results.batch_size = batch_size_of(batch)
        hooks.callbacks_hook("on_train_batch_start", batch, index)
        if hooks.module_hook("on_train_batch_start", batch, index) == -1:
            return -1
        trainer._last_loss = None
        stepped_before = trainer.global_step
        if module.automatic_optimization:
            outputs = self._automatic(batch, index, total)
        else:
            outputs = self._manual(batch, index)
        self.batches_done = index + 1  # before the hooks: a checkpoint saved there resumes after this batch
        self.total_batch_idx += 1
        hooks.callbacks_hook("on_train_batch_end", outputs, batch, index)
        hooks.module_hook("on_train_batch_end", outputs, batch, index)
        callback, logged, bar = self.results.step_metrics()
        if callback:
            trainer._callback_metrics.update(callback)
            trainer._progress_bar_metrics.update(bar)
        label = trainer.global_step - 1 if trainer.global_step > stepped_before else trainer.global_step
        if logged and trainer.log_every_n_steps > 0 and (label + 1) % trainer.log_every_n_steps == 0:
            trainer._log_to_loggers(logged, step=label)
        return outputs

    def _check_loss(self, loss: Any, index: int) -> None:
        where = f"training_step (epoch {self.trainer.current_epoch}, batch {index})"
        if not hasattr(loss, "requires_grad"):
            raise TypeError(f"{where} returned a {type(loss).__name__}; it must return a loss tensor, a dict with "
                            "a 'loss' tensor, or None to skip the batch")
        if loss.numel() != 1:
            raise ValueError(f"{where} returned a loss of shape {tuple(loss.shape)}; the loss must be a scalar "
                             "(reduce it, e.g. with .mean())")
        if not loss.requires_grad:
            raise RuntimeError(f"{where} returned a loss that does not require grad: it is not connected to the "
                               "model's parameters (computed under no_grad(), or from .detach()/.item()?)")

    def _automatic(self, batch: Any, index: int, total: float) -> Any:
        trainer = self.trainer
        hooks, module = trainer._hooks, trainer.lightning_module
        optimizers = trainer.optimizers
        if len(optimizers) > 1:
            raise MisconfigurationException("Training with multiple optimizers is only supported with manual "
                                            "optimization. Set `self.automatic_optimization = False`, then access "
                                            "your optimizers in `training_step` with `opt1, opt2, ... = "
                                            "self.optimizers()`.")
        optimizer = optimizers[0] if optimizers else None
        accumulate = trainer.accumulate_grad_batches
        first_in_window = index % accumulate == 0
        should_step = optimizer is not None and ((index + 1) % accumulate == 0 or index + 1 >= total)
        epoch = trainer.current_epoch
        result = {}

        def closure() -> Any:
            state = module.__dict__
            state["_current_fx"] = "training_step"
            output = trainer.strategy.training_step(module, batch, index)
            state["_current_fx"] = None
            loss = _loss_of(output)
            if loss is None:
                if first_in_window and optimizer is not None:
                    module.optimizer_zero_grad(epoch, index, optimizer)
                return None
            self._check_loss(loss, index)
            trainer._last_loss = loss.item()
            extra = {k: v for k, v in output.items() if k != "loss"} if isinstance(output, dict) else {}
            result["outputs"] = {"loss": loss.detach(), **extra}
            if first_in_window and optimizer is not None:
                hooks.callbacks_hook("on_before_zero_grad", optimizer)
                hooks.module_hook("on_before_zero_grad", optimizer)
                module.optimizer_zero_grad(epoch, index, optimizer)
            scaled = loss / accumulate if accumulate > 1 else loss
            hooks.callbacks_hook("on_before_backward", scaled)
            hooks.module_hook("on_before_backward", scaled)
            trainer.strategy.backward(module, scaled)
            hooks.callbacks_hook("on_after_backward")
            hooks.module_hook("on_after_backward")
            if should_step:
                trainer._before_optimizer_step(optimizer)
            return loss

        if should_step:
            module.optimizer_step(epoch, index, optimizer, closure)
            if "outputs" in result:
                trainer._after_optimizer_step()
                if index + 1 >= total:
                    self.step_schedulers("epoch", plateau=False)
        else:
            closure()
        return result.get("outputs")

    def _manual(self, batch: Any, index: int) -> Any:
        trainer = self.trainer
        module = trainer.lightning_module
        module.__dict__["_current_fx"] = "training_step"
        output = trainer.strategy.training_step(module, batch, index)
        module.__dict__["_current_fx"] = None
        loss = output.get("loss") if isinstance(output, dict) else output
        if hasattr(loss, "numel") and loss.numel() == 1:
            trainer._last_loss = loss.item()
        if output is None or isinstance(output, dict):
            return output
        return {"loss": output.detach() if hasattr(output, "detach") else output}

    # ------------------------------------------------------------------------------------------ schedulers
    def step_schedulers(self, interval: str, plateau: bool | None = None) -> None:
        """Step the schedulers of ``interval`` whose ``frequency`` is due (``plateau`` selects the
        ReduceLROnPlateau ones or the others; None: all)."""
        trainer = self.trainer
        if not trainer.lightning_module.automatic_optimization:
            return  # manual optimization steps its schedulers itself (as in Lightning)
        count = trainer.global_step if interval == "step" else trainer.current_epoch + 1
        for config in trainer.lr_scheduler_configs:
            if config.interval != interval or count % config.frequency != 0:
                continue
            if plateau is not None and config.reduce_on_plateau != plateau:
                continue
            metric = None
            if config.reduce_on_plateau:
                if config.monitor not in trainer._callback_metrics:
                    if config.strict:
                        raise MisconfigurationException(
                            f"ReduceLROnPlateau conditioned on metric {config.monitor} which is not available. "
                            f"Available metrics are: {sorted(trainer._callback_metrics)}. Condition can be set "
                            "using `monitor` key in lr scheduler dict")
                    continue
                metric = trainer._callback_metrics[config.monitor]
            trainer.lightning_module.lr_scheduler_step(config.scheduler, metric)

    # ------------------------------------------------------------------------------------------ monitors
    def _wanted_monitors(self) -> list:
        trainer = self.trainer
        wanted = [(type(cb).__name__, cb.monitor) for cb in trainer.callbacks
                  if getattr(cb, "monitor", None) and not (isinstance(cb, EarlyStopping) and not cb.strict)]
        return wanted + [("ReduceLROnPlateau", config.monitor) for config in trainer.lr_scheduler_configs
                         if config.monitor and config.strict]

    def check_monitors_after_sanity(self, validation_keys: set) -> None:
        """At the end of the sanity check training has not logged yet, so only a monitor that is a near miss of
        a validation key (a typo such as 'val_los' for 'val_loss') is reported now; the rest wait for
        :meth:`check_monitors`."""
        for owner, monitor in self._wanted_monitors():
            if monitor in validation_keys:
                continue
            close = difflib.get_close_matches(monitor, sorted(validation_keys), n=1, cutoff=0.85)
            if close:
                raise MisconfigurationException(
                    f"{owner}(monitor={monitor!r}): no `self.log` call in the validation loop produces {monitor!r}; "
                    f"did you mean {close[0]!r}? Validation logs: {sorted(validation_keys)}.")

    def check_monitors(self, extra_keys: set = frozenset()) -> None:
        """Once per fit, when the first validation after training ends (or the first epoch without
        validation): every ``monitor`` of a callback or scheduler must be a key some ``self.log`` produces."""
        if self._monitors_checked:
            return
        self._monitors_checked = True
        trainer = self.trainer
        available = set(trainer._callback_metrics) | set(extra_keys)
        if self.results is not None:
            available |= self.results.known_keys()
        for owner, monitor in self._wanted_monitors():
            if monitor not in available:
                raise MisconfigurationException(
                    f"{owner}(monitor={monitor!r}): no `self.log` call produces {monitor!r}. Logged keys are: "
                    f"{sorted(available)}. Fix the spelling or log it with `self.log({monitor!r}, value)`.")
