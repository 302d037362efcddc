"""``Trainer``: runs a LightningModule's fit / validate / test / predict with Lightning 2.x arguments."""

from __future__ import annotations

import datetime
import logging
import math
import os
from dataclasses import dataclass
from typing import Any

import tensorlib as tl

from . import _checkpoint as ckpt
from ._eval_loop import EvaluationLoop
from ._fit_loop import FitLoop
from ._hooks import HookCaller
from ._optim import LightningOptimizer, parse_optimizers
from ._results import as_tensors
from .callbacks import Callback, ModelCheckpoint, TQDMProgressBar
from .datamodule import LightningDataModule
from .exceptions import MisconfigurationException
from .loggers import CSVLogger, Logger
from .loggers._plot import plot_metrics
from .module import LightningModule
from .strategies import select_strategy

log = logging.getLogger("tensorlib.lightning")

_PRECISIONS = {None, 32, "32", "32-true"}
_DETERMINISTIC = {None, True, False, "warn"}


@dataclass
class TrainerState:
    """``fn``: the entry point running ('fit', 'validate', 'test', 'predict'); ``stage``: the loop running;
    ``status``: 'initializing', 'running', 'finished' or 'interrupted'."""

    fn: str | None = None
    stage: str | None = None
    status: str = "initializing"


def _check_limit(name: str, value: Any) -> float | int:
    if value is None:
        return 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise MisconfigurationException(f"`{name}` must be a float in [0.0, 1.0] or a non-negative int, got "
                                        f"{value!r}")
    if isinstance(value, float) and value > 1.0:
        raise MisconfigurationException(f"`{name}` must be a float in [0.0, 1.0] or an int, got {value}")
    return value


def _parse_max_time(max_time: Any) -> float | None:
    if max_time is None:
        return None
    if isinstance(max_time, str):
        days, hours, minutes, seconds = (int(part) for part in max_time.split(":"))
        max_time = datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    elif isinstance(max_time, dict):
        max_time = datetime.timedelta(**max_time)
    return max_time.total_seconds()


class Trainer:
    """Lightning's Trainer on tensorlib (CPU). Arguments, defaults and meanings are Lightning 2.x's.

    ``max_epochs`` (default 1000 when neither it nor ``max_steps`` is set), ``max_steps`` (optimizer steps,
    -1 = no limit), ``min_epochs``; ``limit_{train,val,test,predict}_batches`` (int = batches, float =
    fraction); ``val_check_interval`` (float = fraction of an epoch, int = every N batches);
    ``check_val_every_n_epoch``; ``num_sanity_val_steps`` (-1 = all); ``fast_dev_run`` (True or N batches,
    no logging/checkpoints); ``overfit_batches`` (the first N train batches, unshuffled, every epoch);
    ``accumulate_grad_batches``; ``gradient_clip_val`` with ``gradient_clip_algorithm`` 'norm' (default) or
    'value'; ``deterministic`` (accepted; tensorlib is deterministic on the CPU); ``callbacks``; ``logger``
    (True = TensorBoardLogger when tensorboard is installed, else CSVLogger); ``enable_progress_bar``;
    ``enable_checkpointing``; ``default_root_dir``; ``log_every_n_steps``; ``accelerator`` 'cpu'/'auto';
    ``strategy`` 'auto'/'ddp' with ``devices`` and ``num_nodes``.
    """

    def __init__(self, *, accelerator: str = "auto", strategy: Any = "auto", devices: Any = "auto",
                 num_nodes: int = 1, precision: Any = None, logger: Any = None, callbacks: Any = None,
                 fast_dev_run: int | bool = False, max_epochs: int | None = None, min_epochs: int | None = None,
                 max_steps: int = -1, min_steps: int | None = None, max_time: Any = None,
                 limit_train_batches: int | float | None = None, limit_val_batches: int | float | None = None,
                 limit_test_batches: int | float | None = None, limit_predict_batches: int | float | None = None,
                 overfit_batches: int | float = 0.0, val_check_interval: int | float | None = None,
                 check_val_every_n_epoch: int | None = 1, num_sanity_val_steps: int | None = None,
                 log_every_n_steps: int | None = None, enable_checkpointing: bool | None = None,
                 enable_progress_bar: bool | None = None, enable_model_summary: bool | None = None,
                 accumulate_grad_batches: int = 1, gradient_clip_val: int | float | None = None,
                 gradient_clip_algorithm: str | None = None, deterministic: Any = None, benchmark: Any = None,
                 inference_mode: bool = True, use_distributed_sampler: bool = True, profiler: Any = None,
                 detect_anomaly: bool = False, barebones: bool = False, plugins: Any = None,
                 sync_batchnorm: bool = False, reload_dataloaders_every_n_epochs: int = 0,
                 default_root_dir: Any = None) -> None:
        if accelerator not in ("cpu", "auto"):
            raise MisconfigurationException(f"accelerator={accelerator!r} is not available: tensorlib runs on the "
                                            "CPU (use 'cpu' or 'auto')")
        if precision not in _PRECISIONS:
            raise MisconfigurationException(f"precision={precision!r} is not supported: tensorlib trains in "
                                            "float32 ('32-true')")
        if deterministic not in _DETERMINISTIC:
            raise ValueError(f"deterministic={deterministic!r}: expected True, False, 'warn' or None")
        if gradient_clip_algorithm not in (None, "norm", "value"):
            raise MisconfigurationException(f"`gradient_clip_algorithm` {gradient_clip_algorithm!r} is invalid. "
                                            "Allowed algorithms: ['value', 'norm'].")
        if not isinstance(accumulate_grad_batches, int) or accumulate_grad_batches < 1:
            raise MisconfigurationException(f"`accumulate_grad_batches` must be a positive int, got "
                                            f"{accumulate_grad_batches!r}")
        if max_steps is None or max_steps < -1:
            raise MisconfigurationException(f"`max_steps` must be -1 or a non-negative int, got {max_steps!r}")
        if isinstance(fast_dev_run, int) and not isinstance(fast_dev_run, bool) and fast_dev_run < 0:
            raise MisconfigurationException(f"fast_dev_run={fast_dev_run} is not a valid configuration. It should "
                                            ">= 0.")
        unsupported = {"benchmark": (benchmark, (None, False)), "profiler": (profiler, (None,)),
                       "detect_anomaly": (detect_anomaly, (False,)), "barebones": (barebones, (False,)),
                       "plugins": (plugins, (None,)), "sync_batchnorm": (sync_batchnorm, (False,)),
                       "reload_dataloaders_every_n_epochs": (reload_dataloaders_every_n_epochs, (0,)),
                       "use_distributed_sampler": (use_distributed_sampler, (True,))}
        for name, (value, accepted) in unsupported.items():
            if value not in accepted:
                raise MisconfigurationException(f"Trainer({name}={value!r}) is not supported by tensorlib.lightning "
                                                f"(leave it at {accepted[0]!r})")
        self.strategy = select_strategy(strategy, devices, num_nodes)
        self.accelerator = "cpu"
        self.num_nodes = num_nodes
        self.deterministic = deterministic
        self.precision = "32-true"
        self.default_root_dir = os.fspath(default_root_dir) if default_root_dir is not None else os.getcwd()
        self.fast_dev_run = 1 if fast_dev_run is True else int(fast_dev_run or 0)
        self.overfit_batches = _check_limit("overfit_batches", overfit_batches)
        if self.fast_dev_run:
            n = self.fast_dev_run
            max_epochs, max_steps, num_sanity_val_steps = 1, n, 0
            limit_train_batches = limit_val_batches = limit_test_batches = limit_predict_batches = n
            val_check_interval, check_val_every_n_epoch, logger = 1.0, 1, False
        elif self.overfit_batches:
            limit_train_batches = limit_val_batches = self.overfit_batches
        self.max_epochs = (1000 if max_steps == -1 and max_time is None else -1) if max_epochs is None else max_epochs
        self.min_epochs = min_epochs
        self.max_steps = max_steps
        self.min_steps = min_steps
        self.max_time = _parse_max_time(max_time)
        self.limit_train_batches = _check_limit("limit_train_batches", limit_train_batches)
        self.limit_val_batches = _check_limit("limit_val_batches", limit_val_batches)
        self.limit_test_batches = _check_limit("limit_test_batches", limit_test_batches)
        self.limit_predict_batches = _check_limit("limit_predict_batches", limit_predict_batches)
        self.val_check_interval = 1.0 if val_check_interval is None else val_check_interval
        if isinstance(self.val_check_interval, float) and not 0 < self.val_check_interval <= 1:
            raise MisconfigurationException(f"`val_check_interval` should be an int or a float in (0.0, 1.0], got "
                                            f"{self.val_check_interval}")
        if check_val_every_n_epoch is not None and (not isinstance(check_val_every_n_epoch, int)
                                                    or check_val_every_n_epoch < 1):
            raise MisconfigurationException(f"`check_val_every_n_epoch` should be a positive int or None, got "
                                            f"{check_val_every_n_epoch!r}")
        self.check_val_every_n_epoch = check_val_every_n_epoch
        self.num_sanity_val_steps = 2 if num_sanity_val_steps is None else num_sanity_val_steps
        self.log_every_n_steps = 50 if log_every_n_steps is None else log_every_n_steps
        self.accumulate_grad_batches = accumulate_grad_batches
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm
        self.enable_model_summary = True if enable_model_summary is None else enable_model_summary
        self.loggers = self._configure_loggers(logger)
        self.callbacks = self._configure_callbacks(list(callbacks or []) if not isinstance(callbacks, Callback)
                                                   else [callbacks], enable_checkpointing, enable_progress_bar)
        self.state = TrainerState()
        self.should_stop = False
        self.lightning_module: LightningModule | None = None
        self.datamodule: LightningDataModule | None = None
        self.optimizers: list = []
        self._lightning_optimizers: list = []
        self.lr_scheduler_configs: list = []
        self.current_epoch = 0
        self.global_step = 0
        self.sanity_checking = False
        self.num_training_batches: float = math.inf
        self.num_val_batches: list = []
        self.num_sanity_val_batches: list = []
        self.train_dataloader = None
        self.val_dataloaders = None
        self.test_dataloaders = None
        self.predict_dataloaders = None
        self._results = None
        self._callback_metrics: dict = {}
        self._logged_metrics: dict = {}
        self._progress_bar_metrics: dict = {}
        self._last_loss: float | None = None
        self._hooks = HookCaller(self, self.callbacks)
        self._fit_loop = FitLoop(self)
        self._eval_loop = EvaluationLoop(self)
        self._ckpt_path = None

    # ------------------------------------------------------------------------------------------ set-up
    def _configure_loggers(self, logger: Any) -> list:
        if logger is False:
            return []
        if logger is None or logger is True:
            try:
                from .loggers import TensorBoardLogger

                return [TensorBoardLogger(self.default_root_dir)]
            except ModuleNotFoundError:
                return [CSVLogger(self.default_root_dir)]
        loggers = list(logger) if isinstance(logger, (list, tuple)) else [logger]
        for item in loggers:
            if not isinstance(item, Logger):
                raise TypeError(f"logger must be a tensorlib.lightning.loggers.Logger (or a list of them), True or "
                                f"False, got {type(item).__name__}")
        return loggers

    def _configure_callbacks(self, callbacks: list, enable_checkpointing: bool | None,
                             enable_progress_bar: bool | None) -> list:
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be tensorlib.lightning Callback objects, got "
                                f"{type(callback).__name__}")
        has_checkpoint = any(isinstance(c, ModelCheckpoint) for c in callbacks)
        if enable_checkpointing is False and has_checkpoint:
            raise MisconfigurationException("Trainer was configured with `enable_checkpointing=False` but found "
                                            "`ModelCheckpoint` in callbacks list.")
        if enable_checkpointing is not False and not has_checkpoint:
            callbacks.append(ModelCheckpoint())
        has_bar = any(isinstance(c, TQDMProgressBar) for c in callbacks)
        if enable_progress_bar is False and has_bar:
            raise MisconfigurationException("Trainer was configured with `enable_progress_bar=False` but found "
                                            "`TQDMProgressBar` in callbacks list.")
        if enable_progress_bar is not False and not has_bar:
            callbacks.insert(0, TQDMProgressBar())
        # checkpoints last, so they see what the other callbacks did (Lightning's order)
        return [c for c in callbacks if not isinstance(c, ModelCheckpoint)] + \
               [c for c in callbacks if isinstance(c, ModelCheckpoint)]

    # ------------------------------------------------------------------------------------------ properties
    @property
    def callback_metrics(self) -> dict:
        """Everything logged (last step values and epoch reductions), as 0-d tensors."""
        return as_tensors(self._callback_metrics)

    @property
    def logged_metrics(self) -> dict:
        """What was last sent to the loggers, as 0-d tensors."""
        return as_tensors(self._logged_metrics)

    @property
    def progress_bar_metrics(self) -> dict:
        return dict(self._progress_bar_metrics)

    @property
    def logger(self) -> Logger | None:
        return self.loggers[0] if self.loggers else None

    @property
    def log_dir(self) -> str:
        if self.loggers and self.loggers[0].log_dir is not None:
            return self.loggers[0].log_dir
        return self.default_root_dir

    @property
    def checkpoint_callback(self) -> ModelCheckpoint | None:
        found = self.checkpoint_callbacks
        return found[0] if found else None

    @property
    def checkpoint_callbacks(self) -> list:
        return [c for c in self.callbacks if isinstance(c, ModelCheckpoint)]

    @property
    def early_stopping_callback(self) -> Any:
        from .callbacks import EarlyStopping

        found = [c for c in self.callbacks if isinstance(c, EarlyStopping)]
        return found[0] if found else None

    @property
    def progress_bar_callback(self) -> TQDMProgressBar | None:
        found = [c for c in self.callbacks if isinstance(c, TQDMProgressBar)]
        return found[0] if found else None

    @property
    def interrupted(self) -> bool:
        return self.state.status == "interrupted"

    @property
    def training(self) -> bool:
        return self.state.stage == "train"

    @property
    def validating(self) -> bool:
        return self.state.stage == "validate"

    @property
    def testing(self) -> bool:
        return self.state.stage == "test"

    @property
    def predicting(self) -> bool:
        return self.state.stage == "predict"

    @property
    def global_rank(self) -> int:
        return self.strategy.global_rank

    @property
    def local_rank(self) -> int:
        return self.strategy.local_rank

    @property
    def world_size(self) -> int:
        return self.strategy.world_size

    @property
    def is_global_zero(self) -> bool:
        return self.strategy.is_global_zero

    @property
    def num_val_batches_total(self) -> float:
        return sum(self.num_val_batches) if self.num_val_batches else 0

    @property
    def ckpt_path(self) -> str | None:
        return self._ckpt_path

    @property
    def estimated_stepping_batches(self) -> float:
        """Optimizer steps the fit will take (for OneCycleLR's ``total_steps``)."""
        per_epoch = math.ceil(self.num_training_batches / self.accumulate_grad_batches)
        total = per_epoch * self.max_epochs if self.max_epochs != -1 else math.inf
        return min(total, self.max_steps) if self.max_steps != -1 else total

    # ------------------------------------------------------------------------------------------ entry points
    def fit(self, model: LightningModule, train_dataloaders: Any = None, val_dataloaders: Any = None,
            datamodule: LightningDataModule | None = None, ckpt_path: Any = None) -> None:
        """Train ``model``; ``ckpt_path`` ('last' or a file) resumes a saved run exactly where it stopped."""
        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        self._attach(model, datamodule, "fit")
        if datamodule is not None and (train_dataloaders is not None or val_dataloaders is not None):
            raise MisconfigurationException("You cannot pass `train_dataloader` or `val_dataloaders` to "
                                            "`trainer.fit(datamodule=...)`")
        self._run(self._fit_impl, train_dataloaders, val_dataloaders, ckpt_path)

    def validate(self, model: LightningModule | None = None, dataloaders: Any = None, ckpt_path: Any = None,
                 verbose: bool = True, datamodule: LightningDataModule | None = None) -> list:
        """Run the validation loop; returns one dict of the logged epoch metrics per dataloader."""
        return self._evaluate("validate", model, dataloaders, ckpt_path, verbose, datamodule)

    def test(self, model: LightningModule | None = None, dataloaders: Any = None, ckpt_path: Any = None,
             verbose: bool = True, datamodule: LightningDataModule | None = None) -> list:
        """Run the test loop; returns one dict of the logged epoch metrics per dataloader."""
        return self._evaluate("test", model, dataloaders, ckpt_path, verbose, datamodule)

    def predict(self, model: LightningModule | None = None, dataloaders: Any = None,
                datamodule: LightningDataModule | None = None, return_predictions: bool | None = None,
                ckpt_path: Any = None) -> list | None:
        """``predict_step`` over the dataloader(s); the outputs in order (a list per dataloader when several)."""
        if isinstance(dataloaders, LightningDataModule):
            datamodule, dataloaders = dataloaders, None
        self._attach(model, datamodule, "predict")
        return self._run(self._eval_impl, "predict", dataloaders, ckpt_path, False,
                         return_predictions is not False)

    def _evaluate(self, fn: str, model: Any, dataloaders: Any, ckpt_path: Any, verbose: bool,
                  datamodule: Any) -> list:
        if isinstance(dataloaders, LightningDataModule):
            datamodule, dataloaders = dataloaders, None
        self._attach(model, datamodule, fn)
        return self._run(self._eval_impl, fn, dataloaders, ckpt_path, verbose, True)

    def _attach(self, model: Any, datamodule: Any, fn: str) -> None:
        if model is None:
            model = self.lightning_module
            if model is None:
                raise TypeError(f"`Trainer.{fn}()` requires a `LightningModule` when it hasn't been passed in a "
                                "previous run")
        if not isinstance(model, LightningModule):
            raise TypeError(f"`model` must be a `LightningModule`, got `{type(model).__qualname__}`")
        self.lightning_module = model
        model.trainer = self
        self._hooks._module_overrides.clear()
        if datamodule is not None:
            if not isinstance(datamodule, LightningDataModule):
                raise TypeError(f"`datamodule` must be a `LightningDataModule`, got `{type(datamodule).__name__}`")
            datamodule.trainer = self
        self.datamodule = datamodule
        self.state = TrainerState(fn=fn, status="running")
        self.should_stop = False

    def _run(self, impl: Any, *args: Any) -> Any:
        """Run ``impl``; KeyboardInterrupt ends it cleanly (``trainer.interrupted``), other errors re-raise after
        the callbacks' ``on_exception`` and the loggers are closed."""
        try:
            result = impl(*args)
            self.state.status = "finished"
            return result
        except KeyboardInterrupt as exc:
            log.warning("Detected KeyboardInterrupt, attempting graceful shutdown ...")
            self.state.status = "interrupted"
            self._on_exception(exc)
            return None
        except BaseException as exc:
            self.state.status = "interrupted"
            self._on_exception(exc)
            raise
        finally:
            self.state.stage = None
            self._fit_loop.shutdown_workers()
            self._results = None

    def _on_exception(self, exc: BaseException) -> None:
        self._fit_loop.shutdown_workers()
        self._hooks.callbacks_hook("on_exception", exc)
        if hasattr(self.lightning_module, "on_exception"):
            self._hooks.module_hook("on_exception", exc)
        if self.is_global_zero:
            for logger in self.loggers:
                logger.finalize("failed")

    def _setup(self, stage: str) -> None:
        module, datamodule = self.lightning_module, self.datamodule
        self.strategy.setup_environment()
        if self.strategy.local_rank == 0:
            if datamodule is not None:
                datamodule.prepare_data()
            module.prepare_data()
        self.strategy.barrier("prepare_data")
        if datamodule is not None:
            datamodule.setup(stage)
        self._hooks.callbacks_hook("setup", stage)
        self._hooks.module_hook("setup", stage)

    def _teardown(self, stage: str) -> None:
        if self.datamodule is not None:
            self.datamodule.teardown(stage)
        self._hooks.callbacks_hook("teardown", stage)
        self._hooks.module_hook("teardown", stage)
        self.strategy.teardown()

    def _fit_impl(self, train_dataloaders: Any, val_dataloaders: Any, ckpt_path: Any) -> None:
        module = self.lightning_module
        extra = module.configure_callbacks()
        if extra:
            extra = [extra] if isinstance(extra, Callback) else list(extra)
            kinds = {type(c) for c in extra}
            self.callbacks = [c for c in self.callbacks if type(c) not in kinds] + extra
            self.callbacks = [c for c in self.callbacks if not isinstance(c, ModelCheckpoint)] + \
                             [c for c in self.callbacks if isinstance(c, ModelCheckpoint)]
            self._hooks = HookCaller(self, self.callbacks)
        self._setup("fit")
        self.strategy.connect(module)
        self.optimizers, self.lr_scheduler_configs = parse_optimizers(module.configure_optimizers())
        self._lightning_optimizers = [LightningOptimizer(optimizer, self) for optimizer in self.optimizers]
        if not self.optimizers and module.automatic_optimization:
            log.warning("`LightningModule.configure_optimizers` returned `None`, this fit will run with no optimizer")
        self._fit_loop.setup_data(train_dataloaders, val_dataloaders)
        checkpoint = self._read_ckpt(ckpt_path) if ckpt_path is not None else None
        if checkpoint is not None:
            self._restore_modules_and_callbacks(checkpoint)
            self._restore_optimizers(checkpoint)
        if self.is_global_zero:
            self._log_hyperparams()
        self._print_summary()
        self._hooks.both("on_fit_start")
        self._eval_loop.run_sanity_check()
        self._fit_loop.run(checkpoint)
        self._hooks.both("on_fit_end")
        if self.is_global_zero:
            for logger in self.loggers:
                logger.finalize("success")
            self._plot_curves()
        self._teardown("fit")

    def _eval_impl(self, fn: str, dataloaders: Any, ckpt_path: Any, verbose: bool, keep: bool) -> Any:
        self._setup(fn)
        if ckpt_path is not None:
            checkpoint = self._read_ckpt(ckpt_path)
            self._ckpt_path = self._resolved_ckpt
            ckpt.load_weights(self.lightning_module, checkpoint, self._resolved_ckpt)
        result = self._eval_loop.run_entry(fn, dataloaders, verbose, keep)
        self._teardown(fn)
        return result

    # ------------------------------------------------------------------------------------------ logging
    def _log_hyperparams(self) -> None:
        params = dict(getattr(self.lightning_module, "hparams_initial", {}) or {})
        if self.datamodule is not None:
            params.update(self.datamodule.hparams)
        for logger in self.loggers:
            logger.log_hyperparams(params)
            logger.save()

    def _should_log_step(self) -> bool:
        return (self.global_step + 1) % self.log_every_n_steps == 0 if self.log_every_n_steps > 0 else False

    def _log_to_loggers(self, metrics: dict, step: int | None = None) -> None:
        """Send ``metrics`` (with 'epoch' added, as Lightning) to every logger, on rank 0 only."""
        if not metrics or not self.loggers or not self.is_global_zero:
            return
        metrics = dict(metrics)
        metrics.setdefault("epoch", self.current_epoch)
        for logger in self.loggers:
            logger.log_metrics(metrics, step=self.global_step if step is None else step)
        self._logged_metrics.update(metrics)

    def _plot_curves(self) -> None:
        for logger in self.loggers:
            history, folder = getattr(logger, "history", None), logger.log_dir
            if history and folder:
                try:
                    plot_metrics(history, os.path.join(folder, "metrics.png"))
                except ImportError:
                    log.warning("Pillow is not installed: no metrics.png plot")
                    return

    def _print_summary(self) -> None:
        if not self.enable_model_summary or not self.is_global_zero:
            return
        module = self.lightning_module
        rows = [(name, type(child).__name__, sum(p.numel() for p in child.parameters()))
                for name, child in module.named_children()]
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        total = sum(p.numel() for p in module.parameters())
        lines = ["  | Name | Type | Params"] + [f"{i} | {n} | {t} | {p:,}" for i, (n, t, p) in enumerate(rows)]
        lines += [f"{trainable:,} Trainable params", f"{total - trainable:,} Non-trainable params",
                  f"{total:,} Total params"]
        log.info("\n".join(lines))

    # ------------------------------------------------------------------------------------------ optimizer steps
    def _before_optimizer_step(self, optimizer: Any) -> None:
        self._hooks.callbacks_hook("on_before_optimizer_step", optimizer)
        self._hooks.module_hook("on_before_optimizer_step", optimizer)
        module = self.lightning_module
        if module.automatic_optimization and self.gradient_clip_val:
            module.__dict__["_current_fx"] = "configure_gradient_clipping"
            module.configure_gradient_clipping(optimizer, self.gradient_clip_val, self.gradient_clip_algorithm)
            module.__dict__["_current_fx"] = "training_step"

    def _after_optimizer_step(self) -> None:
        self.global_step += 1
        self._fit_loop.step_schedulers("step")

    # ------------------------------------------------------------------------------------------ checkpoints
    def _read_ckpt(self, ckpt_path: Any) -> dict:
        if ckpt_path == "last":
            path = ckpt.find_last_checkpoint(self)
        elif ckpt_path == "best":
            callback = self.checkpoint_callback
            if callback is None or not callback.best_model_path:
                raise ValueError('ckpt_path="best" but there is no best checkpoint: no ModelCheckpoint has saved '
                                 "one yet (fit first, or pass a path)")
            path = callback.best_model_path
        else:
            path = os.fspath(ckpt_path)
        self._resolved_ckpt = path
        self._ckpt_path = path
        return ckpt.read_checkpoint(path)

    def _dump_checkpoint(self, weights_only: bool = False) -> dict:
        module = self.lightning_module
        checkpoint = {"epoch": self.current_epoch, "global_step": self.global_step,
                      "pytorch-lightning_version": ckpt.LIGHTNING_COMPAT_VERSION,
                      "tensorlib_version": tl.__version__, "model_class": ckpt.class_path(module),
                      "state_dict": module.state_dict(), "loops": {"fit_loop": self._fit_loop.state_dict()}}
        if not weights_only:
            checkpoint["callbacks"] = {cb.state_key: cb.state_dict() for cb in self.callbacks if cb.state_dict()}
            checkpoint["optimizer_states"] = [optimizer.state_dict() for optimizer in self.optimizers]
            checkpoint["lr_schedulers"] = [config.scheduler.state_dict() for config in self.lr_scheduler_configs]
            checkpoint["rng_states"] = ckpt.capture_rng(self._fit_loop.generators)
            checkpoint["epoch_start_rng_states"] = self._fit_loop.epoch_start_rng
        if module.hparams:
            checkpoint["hparams_name"] = "kwargs"
            checkpoint["hyper_parameters"] = dict(module.hparams)
        if self.datamodule is not None and self.datamodule.hparams:
            checkpoint["datamodule_hyper_parameters"] = dict(self.datamodule.hparams)
        if not weights_only:
            for callback in self.callbacks:
                callback.on_save_checkpoint(self, module, checkpoint)
        module.on_save_checkpoint(checkpoint)
        return checkpoint

    def save_checkpoint(self, filepath: Any, weights_only: bool = False, storage_options: Any = None) -> None:
        """Write the full training state (atomically) to ``filepath`` on rank 0."""
        if self.lightning_module is None:
            raise AttributeError("Saving a checkpoint is only possible if a model is attached to the Trainer. Did "
                                 "you call `Trainer.save_checkpoint()` before calling `Trainer.{fit,validate,test,"
                                 "predict}`?")
        self.strategy.save_checkpoint(self._dump_checkpoint(weights_only), os.fspath(filepath))

    def _restore_modules_and_callbacks(self, checkpoint: dict) -> None:
        module = self.lightning_module
        module.on_load_checkpoint(checkpoint)
        ckpt.load_weights(module, checkpoint, self._resolved_ckpt)
        states = checkpoint.get("callbacks") or {}
        for callback in self.callbacks:
            callback.on_load_checkpoint(self, module, checkpoint)
            if callback.state_key in states:
                callback.load_state_dict(states[callback.state_key])

    def _restore_optimizers(self, checkpoint: dict) -> None:
        missing = [key for key in ("optimizer_states", "lr_schedulers", "loops") if key not in checkpoint]
        if missing:
            raise KeyError(f"{self._resolved_ckpt} cannot resume training: it lacks {missing} (saved with "
                           "weights_only=True?); load the weights with load_from_checkpoint instead")
        saved, current = checkpoint["optimizer_states"], self.optimizers
        if len(saved) != len(current):
            raise RuntimeError(f"{self._resolved_ckpt} holds {len(saved)} optimizer state(s) but "
                               f"configure_optimizers returned {len(current)}")
        for optimizer, state in zip(current, saved):
            optimizer.load_state_dict(state)
        saved = checkpoint["lr_schedulers"]
        if len(saved) != len(self.lr_scheduler_configs):
            raise RuntimeError(f"{self._resolved_ckpt} holds {len(saved)} scheduler state(s) but "
                               f"configure_optimizers returned {len(self.lr_scheduler_configs)}")
        for config, state in zip(self.lr_scheduler_configs, saved):
            config.scheduler.load_state_dict(state)
