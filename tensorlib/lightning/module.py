"""``LightningModule``: an ``nn.Module`` that also says how it trains (Lightning 2.x names and semantics)."""

from __future__ import annotations

import inspect
import json
from typing import Any, Callable, Mapping

from tensorlib import nn

from ._hparams import AttributeDict, check_json, init_arguments


class LightningModule(nn.Module):
    """Subclass it and write ``training_step`` and ``configure_optimizers`` (plus the optional steps and hooks).

    The Trainer sets ``self.trainer``; ``self.current_epoch`` and ``self.global_step`` (optimizer steps) follow
    it. With ``self.automatic_optimization = False`` the step calls ``self.optimizers()``, ``manual_backward``
    and ``optimizer.step()`` itself.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._trainer = None
        self._hparams = AttributeDict()
        self._hparams_initial = AttributeDict()
        self._automatic_optimization = True
        self._current_fx = None

    # ----------------------------------------------------------------------------------- trainer state
    @property
    def trainer(self) -> Any:
        if self._trainer is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to a `Trainer`.")
        return self._trainer

    @trainer.setter
    def trainer(self, trainer: Any) -> None:
        self._trainer = trainer

    @property
    def automatic_optimization(self) -> bool:
        return self._automatic_optimization

    @automatic_optimization.setter
    def automatic_optimization(self, value: bool) -> None:
        self._automatic_optimization = bool(value)

    @property
    def current_epoch(self) -> int:
        return self._trainer.current_epoch if self._trainer is not None else 0

    @property
    def global_step(self) -> int:
        return self._trainer.global_step if self._trainer is not None else 0

    @property
    def global_rank(self) -> int:
        return self._trainer.global_rank if self._trainer is not None else 0

    @property
    def local_rank(self) -> int:
        return self._trainer.local_rank if self._trainer is not None else 0

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def logger(self) -> Any:
        return self._trainer.logger if self._trainer is not None else None

    @property
    def loggers(self) -> list:
        return self._trainer.loggers if self._trainer is not None else []

    # ----------------------------------------------------------------------------------- hyperparameters
    @property
    def hparams(self) -> AttributeDict:
        return self._hparams

    @property
    def hparams_initial(self) -> AttributeDict:
        return AttributeDict(json.loads(json.dumps(self._hparams_initial)))

    def save_hyperparameters(self, *args: Any, ignore: Any = None, frame: Any = None, logger: bool = True) -> None:
        """Capture the ``__init__`` arguments (all, or those named in ``args``) into ``self.hparams``.

        They are written into every checkpoint as JSON, so ``load_from_checkpoint(path)`` can rebuild the module
        without being told them again. Values JSON cannot hold raise ``TypeError`` naming the argument: leave
        them out with ``ignore=[...]``. A single dict argument is taken as the hyperparameters themselves.
        """
        if len(args) == 1 and isinstance(args[0], Mapping):
            hparams = dict(args[0])
        else:
            if frame is None:
                frame = inspect.currentframe().f_back
                while frame is not None and frame.f_code.co_name != "__init__":
                    frame = frame.f_back
            if frame is None:
                raise RuntimeError("save_hyperparameters() must be called from the LightningModule's __init__")
            captured = init_arguments(frame)
            unknown = [name for name in args if name not in captured]
            if unknown:
                raise ValueError(f"save_hyperparameters: {unknown} are not arguments of "
                                 f"{type(self).__name__}.__init__ (it has {list(captured)})")
            hparams = {name: captured[name] for name in args} if args else captured
        ignored = {ignore} if isinstance(ignore, str) else set(ignore or ())
        hparams = {key: value for key, value in hparams.items() if key not in ignored}
        check_json(hparams, type(self).__name__)
        self._log_hyperparams = logger
        self._hparams.update(hparams)
        self._hparams_initial = AttributeDict(json.loads(json.dumps(self._hparams)))

    # ----------------------------------------------------------------------------------- logging
    def log(self, name: str, value: Any, prog_bar: bool = False, logger: bool | None = None,
            on_step: bool | None = None, on_epoch: bool | None = None, reduce_fx: str | Callable = "mean",
            enable_graph: bool = False, sync_dist: bool = False, sync_dist_group: Any = None,
            add_dataloader_idx: bool = True, batch_size: int | None = None, metric_attribute: str | None = None,
            rank_zero_only: bool = False) -> None:
        """Record ``value`` (a scalar tensor, a number, or a metric object with ``update/compute/reset``).

        Defaults as Lightning: in ``training_step`` and the train batch hooks ``on_step=True, on_epoch=False``;
        everywhere else ``on_step=False, on_epoch=True``. Epoch values are the ``batch_size``-weighted mean
        (``reduce_fx`` 'mean'; also 'sum', 'max', 'min'); a metric object logs ``compute()`` at epoch end and is
        ``reset()``. Both ``on_step`` and ``on_epoch`` give the keys ``name_step`` and ``name_epoch``.
        """
        trainer = self._trainer
        if trainer is None or trainer._results is None:
            return
        trainer._results.log(self._current_fx, name, value, prog_bar=prog_bar, logger=logger, on_step=on_step,
                             on_epoch=on_epoch, reduce_fx=reduce_fx, sync_dist=sync_dist, batch_size=batch_size)

    def log_dict(self, dictionary: Mapping, prog_bar: bool = False, logger: bool | None = None,
                 on_step: bool | None = None, on_epoch: bool | None = None, reduce_fx: str | Callable = "mean",
                 enable_graph: bool = False, sync_dist: bool = False, sync_dist_group: Any = None,
                 add_dataloader_idx: bool = True, batch_size: int | None = None,
                 rank_zero_only: bool = False) -> None:
        """``log`` each item of ``dictionary`` with the same options."""
        for name, value in dictionary.items():
            self.log(name, value, prog_bar=prog_bar, logger=logger, on_step=on_step, on_epoch=on_epoch,
                     reduce_fx=reduce_fx, sync_dist=sync_dist, batch_size=batch_size)

    # ----------------------------------------------------------------------------------- optimization
    def optimizers(self, use_pl_optimizer: bool = True) -> Any:
        """The optimizer (or list of them) from ``configure_optimizers``."""
        trainer = self.trainer
        optimizers = trainer._lightning_optimizers if use_pl_optimizer else trainer.optimizers
        return optimizers[0] if len(optimizers) == 1 else optimizers

    def lr_schedulers(self) -> Any:
        """The scheduler (or list of them) from ``configure_optimizers``, None without any."""
        schedulers = [config.scheduler for config in self.trainer.lr_scheduler_configs]
        if not schedulers:
            return None
        return schedulers[0] if len(schedulers) == 1 else schedulers

    def manual_backward(self, loss: Any, *args: Any, **kwargs: Any) -> None:
        """``loss.backward()`` for manual optimization (the hooks around it run as in automatic mode)."""
        self.on_before_backward(loss)
        self.trainer.strategy.backward(self, loss, *args, **kwargs)
        self.on_after_backward()

    def backward(self, loss: Any, *args: Any, **kwargs: Any) -> None:
        loss.backward(*args, **kwargs)

    def clip_gradients(self, optimizer: Any, gradient_clip_val: float | None = None,
                       gradient_clip_algorithm: str | None = None) -> None:
        """Clip the gradients of ``optimizer``'s parameters: by total 2-norm ('norm') or elementwise ('value')."""
        if gradient_clip_val is None or gradient_clip_val == 0:
            return
        algorithm = gradient_clip_algorithm or "norm"
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if algorithm == "norm":
            nn.utils.clip_grad_norm_(params, gradient_clip_val)
        elif algorithm == "value":
            nn.utils.clip_grad_value_(params, gradient_clip_val)
        else:
            raise ValueError(f"gradient_clip_algorithm={algorithm!r} is not supported; use 'norm' or 'value'")

    def configure_gradient_clipping(self, optimizer: Any, gradient_clip_val: float | None = None,
                                    gradient_clip_algorithm: str | None = None) -> None:
        self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def optimizer_step(self, epoch: int, batch_idx: int, optimizer: Any, optimizer_closure: Any = None) -> None:
        optimizer.step(closure=optimizer_closure)

    def optimizer_zero_grad(self, epoch: int, batch_idx: int, optimizer: Any) -> None:
        optimizer.zero_grad()

    def lr_scheduler_step(self, scheduler: Any, metric: Any) -> None:
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric)

    # ----------------------------------------------------------------------------------- steps (override)
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def training_step(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"`training_step` must be implemented in {type(self).__name__} to use "
                                  "`Trainer.fit`")

    def validation_step(self, *args: Any, **kwargs: Any) -> Any:
        return None

    def test_step(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"`test_step` must be implemented in {type(self).__name__} to use "
                                  "`Trainer.test`")

    def predict_step(self, batch: Any, batch_idx: int = 0, dataloader_idx: int = 0) -> Any:
        """Default: ``self(batch)`` (the inputs when the batch is ``(x, y)``-shaped, as Lightning feeds it)."""
        return self(batch)

    def configure_optimizers(self) -> Any:
        raise NotImplementedError(f"`configure_optimizers` must be implemented in {type(self).__name__} to use "
                                  "`Trainer.fit`")

    def configure_callbacks(self) -> Any:
        return []

    # ----------------------------------------------------------------------------------- hooks (no-ops)
    def setup(self, stage: str) -> None: ...
    def teardown(self, stage: str) -> None: ...
    def prepare_data(self) -> None: ...
    def on_fit_start(self) -> None: ...
    def on_fit_end(self) -> None: ...
    def on_train_start(self) -> None: ...
    def on_train_end(self) -> None: ...
    def on_validation_start(self) -> None: ...
    def on_validation_end(self) -> None: ...
    def on_test_start(self) -> None: ...
    def on_test_end(self) -> None: ...
    def on_predict_start(self) -> None: ...
    def on_predict_end(self) -> None: ...
    def on_train_epoch_start(self) -> None: ...
    def on_train_epoch_end(self) -> None: ...
    def on_validation_epoch_start(self) -> None: ...
    def on_validation_epoch_end(self) -> None: ...
    def on_test_epoch_start(self) -> None: ...
    def on_test_epoch_end(self) -> None: ...
    def on_predict_epoch_start(self) -> None: ...
    def on_predict_epoch_end(self) -> None: ...
    def on_train_batch_start(self, batch: Any, batch_idx: int) -> Any: ...
    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None: ...
    def on_validation_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None: ...
    def on_validation_batch_end(self, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None: ...
    def on_test_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None: ...
    def on_test_batch_end(self, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None: ...
    def on_predict_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None: ...
    def on_predict_batch_end(self, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None: ...
    def on_before_backward(self, loss: Any) -> None: ...
    def on_after_backward(self) -> None: ...
    def on_before_optimizer_step(self, optimizer: Any) -> None: ...
    def on_before_zero_grad(self, optimizer: Any) -> None: ...
    def on_save_checkpoint(self, checkpoint: dict) -> None: ...
    def on_load_checkpoint(self, checkpoint: dict) -> None: ...

    # ----------------------------------------------------------------------------------- checkpoints
    @classmethod
    def load_from_checkpoint(cls, checkpoint_path: Any, map_location: Any = None, hparams_file: Any = None,
                             strict: bool | None = None, **kwargs: Any) -> LightningModule:
        """A new ``cls`` built from the hyperparameters stored in the checkpoint (``kwargs`` override them),
        with the checkpoint's weights loaded. Mismatched weights raise ``RuntimeError`` listing the keys."""
        from ._checkpoint import load_module

        return load_module(cls, checkpoint_path, strict=True if strict is None else strict, overrides=kwargs)
