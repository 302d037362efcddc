"""``JSONLLogger``: one JSON object per ``log_metrics`` call in ``metrics.jsonl`` (easy to stream and parse)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from ..._atomic import atomic_write
from .logger import _VersionedLogger, hparams_dict, to_plain


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf: "nan", "inf", "-inf"
    return value


class JSONLLogger(_VersionedLogger):
    """``<save_dir>/<name>/version_N/metrics.jsonl`` (``{"step": s, "key": value, ...}`` per line, appended
    and flushed as logged) and ``hparams.json``."""

    NAME_HPARAMS_FILE = "hparams.json"
    NAME_METRICS_FILE = "metrics.jsonl"

    def __init__(self, save_dir: Any, name: str | None = "lightning_logs", version: int | str | None = None,
                 prefix: str = "") -> None:
        super().__init__(save_dir, name, version, prefix)
        self.hparams: dict = {}
        self._handle = None

    @property
    def experiment(self) -> JSONLLogger:
        return self

    @property
    def metrics_file_path(self) -> str:
        return os.path.join(self.log_dir, self.NAME_METRICS_FILE)

    def log_hyperparams(self, params: Any = None, *args: Any, **kwargs: Any) -> None:
        self.hparams.update(hparams_dict(params))
        os.makedirs(self.log_dir, exist_ok=True)
        with atomic_write(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), "w", encoding="utf-8") as handle:
            json.dump(self.hparams, handle, indent=2, default=str)

    def log_metrics(self, metrics: dict, step: int | None = None) -> None:
        values = {key: to_plain(value) for key, value in self._prefixed(metrics).items()}
        self.history.append((step, values))
        if self._handle is None:
            os.makedirs(self.log_dir, exist_ok=True)
            self._handle = open(self.metrics_file_path, "a", encoding="utf-8")
        record = {"step": step, **{key: _json_number(value) for key, value in values.items()}}
        self._handle.write(json.dumps(record) + "\n")

    def save(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def finalize(self, status: str) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
