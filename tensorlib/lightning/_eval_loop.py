"""Validation, test and predict loops (also the sanity check and the validation runs inside fit)."""

from __future__ import annotations

from typing import Any

import tensorlib as tl

from ._fit_loop import limited_batches
from ._loaders import batch_size_of
from ._results import ResultCollection
from .exceptions import MisconfigurationException

_PREFIX = {"validate": "validation", "test": "test", "predict": "predict"}
_LOADER_METHOD = {"validate": "val_dataloader", "test": "test_dataloader", "predict": "predict_dataloader"}


def _as_list(loaders: Any) -> list:
    if loaders is None:
        return []
    return list(loaders) if isinstance(loaders, (list, tuple)) else [loaders]


class EvaluationLoop:
    """Runs ``validation_step``/``test_step``/``predict_step`` without gradients, the model in eval mode."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    # ------------------------------------------------------------------------------------------ in fit
    def run_sanity_check(self) -> None:
        trainer = self.trainer
        fit_loop = trainer._fit_loop
        steps = trainer.num_sanity_val_steps
        if steps == 0 or not fit_loop.val_enabled:
            return
        limits = [n if steps == -1 else min(n, steps) for n in trainer.num_val_batches]
        trainer.sanity_checking = True
        trainer.state.stage = "sanity_check"
        trainer._hooks.callbacks_hook("on_sanity_check_start")
        self._run("validate", fit_loop._vals, limits, in_fit=True)
        trainer._hooks.callbacks_hook("on_sanity_check_end")
        trainer.sanity_checking = False
        trainer.state.stage = "train"

    def run_fit_validation(self) -> None:
        trainer = self.trainer
        trainer.state.stage = "validate"
        self._run("validate", trainer._fit_loop._vals, trainer.num_val_batches, in_fit=True)
        trainer.state.stage = "train"
        trainer._results = trainer._fit_loop.results

    # ------------------------------------------------------------------------------------------ entry points
    def run_entry(self, fn: str, dataloaders: Any, verbose: bool, keep: bool) -> Any:
        trainer = self.trainer
        loaders = _as_list(dataloaders)
        if not loaders:
            source = trainer.datamodule if trainer.datamodule is not None else trainer.lightning_module
            method = getattr(source, _LOADER_METHOD[fn], None)
            loaders = _as_list(method()) if method is not None else []
        if not loaders:
            raise MisconfigurationException(f"No `{_LOADER_METHOD[fn]}()` method defined to run `Trainer.{fn}`: pass "
                                            "`dataloaders=` or define it in the LightningModule/LightningDataModule")
        loaders = [trainer.strategy.process_dataloader(loader, False) for loader in loaders]
        limit = {"validate": trainer.limit_val_batches, "test": trainer.limit_test_batches,
                 "predict": trainer.limit_predict_batches}[fn]
        what = {"validate": "val", "test": "test", "predict": "predict"}[fn]
        limits = [limited_batches(loader, limit, what) for loader in loaders]
        setattr(trainer, f"{what}_dataloaders", loaders[0] if len(loaders) == 1 else loaders)
        if fn == "validate":
            trainer.num_val_batches = limits
        trainer.state.stage = fn
        if fn == "predict":
            return self._predict(loaders, limits, keep)
        results = self._run(fn, loaders, limits, in_fit=False)
        if verbose and trainer.is_global_zero:
            self._print_results(fn, results)
        return results

    @staticmethod
    def _print_results(fn: str, results: list) -> None:
        for index, metrics in enumerate(results):
            title = f"{'Validate' if fn == 'validate' else 'Test'} metric" + \
                    (f" (dataloader {index})" if len(results) > 1 else "")
            width = max([len(title)] + [len(key) for key in metrics]) + 2
            print("─" * (width + 24))
            print(f"{title:<{width}}DataLoader {index}")
            print("─" * (width + 24))
            for key, value in sorted(metrics.items()):
                print(f"{key:<{width}}{value:.6g}")
            print("─" * (width + 24))

    # ------------------------------------------------------------------------------------------ loops
    def _run(self, fn: str, loaders: list, limits: list, in_fit: bool) -> list:
        trainer = self.trainer
        hooks, module = trainer._hooks, trainer.lightning_module
        prefix = _PREFIX[fn]
        step = getattr(module, f"{prefix}_step")
        several = len(loaders) > 1
        collections = [ResultCollection(fn) for _ in loaders]
        was_training = module.training
        module.eval()
        hooks.both(f"on_{prefix}_start")
        hooks.both(f"on_{prefix}_epoch_start")
        with tl.no_grad():
            for dl_idx, (loader, limit) in enumerate(zip(loaders, limits)):
                results = collections[dl_idx]
                trainer._results = results
                extra = (dl_idx,) if several else ()
                iterator = iter(loader)
                index = 0
                while index < limit:
                    try:
                        batch = next(iterator)
                    except StopIteration:
                        break
                    results.batch_size = batch_size_of(batch)
                    hooks.callbacks_hook(f"on_{prefix}_batch_start", batch, index, dl_idx)
                    hooks.module_hook(f"on_{prefix}_batch_start", batch, index, *extra)
                    module.__dict__["_current_fx"] = f"{prefix}_step"
                    output = step(batch, index, *extra)
                    module.__dict__["_current_fx"] = None
                    hooks.callbacks_hook(f"on_{prefix}_batch_end", output, batch, index, dl_idx)
                    hooks.module_hook(f"on_{prefix}_batch_end", output, batch, index, *extra)
                    callback, logged, bar = results.step_metrics()
                    if not trainer.sanity_checking:
                        self._publish(callback, logged, bar, dl_idx if several else None)
                    index += 1
                del iterator
        trainer._results = collections[-1]
        hooks.callbacks_hook(f"on_{prefix}_epoch_end")
        hooks.module_hook(f"on_{prefix}_epoch_end")
        outputs = []
        for dl_idx, results in enumerate(collections):
            callback, logged, bar = results.epoch_metrics(trainer.strategy.reduce)
            if not trainer.sanity_checking:
                self._publish(callback, logged, bar, dl_idx if several else None,
                              step=max(trainer.global_step - 1, 0) if in_fit else trainer.global_step)
            outputs.append({key: float(value) for key, value in self._suffixed(logged, dl_idx if several
                                                                                else None).items()})
        if in_fit:
            keys = set().union(*(results.known_keys() for results in collections))
            if several:
                keys = {f"{key}/dataloader_idx_{i}" for i, results in enumerate(collections)
                        for key in results.known_keys()}
            if trainer.sanity_checking:
                trainer._fit_loop.check_monitors_after_sanity(keys)
            else:
                trainer._fit_loop.check_monitors(keys)
        hooks.both(f"on_{prefix}_end")
        if was_training:
            module.train()
        return outputs

    @staticmethod
    def _suffixed(metrics: dict, dl_idx: int | None) -> dict:
        if dl_idx is None:
            return metrics
        return {f"{key}/dataloader_idx_{dl_idx}": value for key, value in metrics.items()}

    def _publish(self, callback: dict, logged: dict, bar: dict, dl_idx: int | None, step: int | None = None) -> None:
        trainer = self.trainer
        trainer._callback_metrics.update(self._suffixed(callback, dl_idx))
        trainer._progress_bar_metrics.update(self._suffixed(bar, dl_idx))
        if logged:
            trainer._log_to_loggers(self._suffixed(logged, dl_idx), step=step)

    def _predict(self, loaders: list, limits: list, keep: bool) -> Any:
        trainer = self.trainer
        hooks, module = trainer._hooks, trainer.lightning_module
        several = len(loaders) > 1
        module.eval()
        hooks.both("on_predict_start")
        hooks.both("on_predict_epoch_start")
        all_predictions = []
        with tl.no_grad():
            for dl_idx, (loader, limit) in enumerate(zip(loaders, limits)):
                extra = (dl_idx,) if several else ()
                predictions = []
                for index, batch in enumerate(loader):
                    if index >= limit:
                        break
                    hooks.callbacks_hook("on_predict_batch_start", batch, index, dl_idx)
                    hooks.module_hook("on_predict_batch_start", batch, index, *extra)
                    output = module.predict_step(batch, index, *extra)
                    hooks.callbacks_hook("on_predict_batch_end", output, batch, index, dl_idx)
                    hooks.module_hook("on_predict_batch_end", output, batch, index, *extra)
                    if keep:
                        predictions.append(output)
                all_predictions.append(predictions)
        hooks.both("on_predict_epoch_end")
        hooks.both("on_predict_end")
        if not keep:
            return None
        return all_predictions if several else all_predictions[0]

