"""``Logger``: the base of the experiment loggers, and the ``lightning_logs/version_N`` folder rule."""

from __future__ import annotations

import os
import re
from typing import Any


def next_version(root: str) -> int:
    """One more than the largest ``version_N`` under ``root`` (0 when there is none)."""
    if not os.path.isdir(root):
        return 0
    versions = [int(match.group(1)) for name in os.listdir(root)
                if (match := re.fullmatch(r"version_(\d+)", name)) and os.path.isdir(os.path.join(root, name))]
    return max(versions) + 1 if versions else 0


class Logger:
    """Base class: ``log_metrics(metrics, step)``, ``log_hyperparams(params)``, ``save()``, ``finalize(status)``.

    ``history`` keeps every ``(step, metrics)`` row so the Trainer can plot the curves when fit ends.
    """

    def __init__(self) -> None:
        self.history: list = []

    @property
    def name(self) -> str | None:
        return None

    @property
    def version(self) -> Any:
        return None

    @property
    def save_dir(self) -> str | None:
        return None

    @property
    def root_dir(self) -> str | None:
        return None

    @property
    def log_dir(self) -> str | None:
        return None

    @property
    def experiment(self) -> Any:
        return None

    def log_metrics(self, metrics: dict, step: int | None = None) -> None:
        raise NotImplementedError

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        pass

    def save(self) -> None:
        pass

    def finalize(self, status: str) -> None:
        self.save()

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        pass


class _VersionedLogger(Logger):
    """A logger writing into ``<save_dir>/<name>/version_<N>`` (or ``<save_dir>/<name>/<version>`` for a str)."""

    def __init__(self, save_dir: Any, name: str | None = "lightning_logs", version: int | str | None = None,
                 prefix: str = "") -> None:
        super().__init__()
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version
        self._prefix = prefix

    @property
    def name(self) -> str:
        return self._name

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def root_dir(self) -> str:
        return os.path.join(self._save_dir, self._name)

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = next_version(self.root_dir)
        return self._version

    @property
    def log_dir(self) -> str:
        version = self.version if isinstance(self.version, str) else f"version_{self.version}"
        return os.path.join(self.root_dir, version)

    def _prefixed(self, metrics: dict) -> dict:
        if not self._prefix:
            return metrics
        return {f"{self._prefix}-{key}": value for key, value in metrics.items()}


def to_plain(value: Any) -> Any:
    """A number from a tensor/NumPy scalar; other values unchanged."""
    if hasattr(value, "item"):
        return value.item()
    return value


def hparams_dict(params: Any) -> dict:
    """``params`` (dict, Namespace or AttributeDict) as a plain dict."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        params = vars(params)
    return {key: to_plain(value) for key, value in params.items()}
