"""Calling hooks on callbacks and the LightningModule, skipping callbacks that do not override a hook."""

from __future__ import annotations

from typing import Any

from .callbacks import Callback, EarlyStopping, ModelCheckpoint, TQDMProgressBar


def is_monitoring(callback: Any) -> bool:
    """These callbacks' ``on_train_epoch_end`` runs after the module's and after the epoch metrics are reduced,
    so they see them (Lightning's order for checkpointing and early stopping; the progress bar's summary too)."""
    return isinstance(callback, (ModelCheckpoint, EarlyStopping, TQDMProgressBar))


class HookCaller:
    """``call(name, *args)`` runs ``callback.name(trainer, module, *args)`` for each overriding callback."""

    def __init__(self, trainer: Any, callbacks: list) -> None:
        self.trainer = trainer
        self._by_hook: dict = {}
        self._module_overrides: dict = {}
        self.callbacks = callbacks

    def overriding(self, name: str) -> list:
        found = self._by_hook.get(name)
        if found is None:
            base = getattr(Callback, name)
            found = [cb for cb in self.callbacks if getattr(type(cb), name, base) is not base]
            self._by_hook[name] = found
        return found

    def callbacks_hook(self, name: str, *args: Any, monitoring: bool | None = None) -> None:
        trainer = self.trainer
        module = trainer.lightning_module
        for callback in self.overriding(name):
            if monitoring is None or is_monitoring(callback) == monitoring:
                getattr(callback, name)(trainer, module, *args)

    def module_hook(self, name: str, *args: Any) -> Any:
        """``module.name(*args)`` with ``_current_fx`` set (it picks ``self.log``'s defaults); hooks the module
        does not override are skipped (this runs several times per batch)."""
        module = self.trainer.lightning_module
        overridden = self._module_overrides.get(name)
        if overridden is None:
            from .module import LightningModule

            base = getattr(LightningModule, name, None)
            overridden = base is None or getattr(type(module), name, None) is not base \
                or name in module.__dict__
            self._module_overrides[name] = overridden
        if not overridden:
            return None
        state = module.__dict__  # plain attribute: nn.Module.__setattr__ is slow on the hot path
        previous = state["_current_fx"]
        state["_current_fx"] = name
        try:
            return getattr(module, name)(*args)
        finally:
            state["_current_fx"] = previous

    def both(self, name: str, *args: Any) -> None:
        """Callbacks first, then the module (Lightning's order for most hooks)."""
        self.callbacks_hook(name, *args)
        self.module_hook(name, *args)
