"""``CSVLogger``: Lightning's ``<save_dir>/lightning_logs/version_N/{metrics.csv,hparams.yaml}`` layout."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from ..._atomic import atomic_write
from .._hparams import to_yaml
from .logger import _VersionedLogger, hparams_dict, to_plain


class CSVLogger(_VersionedLogger):
    """Metrics as ``metrics.csv`` (a ``step`` column, one column per key in sorted order, one row per
    ``log_metrics`` call, empty cells for keys not in that row) and hyperparameters as ``hparams.yaml``.

    Rows are flushed every ``flush_logs_every_n_steps`` calls and when training ends; each flush rewrites the
    file atomically, so a crash leaves the previous complete file.
    """

    NAME_HPARAMS_FILE = "hparams.yaml"
    NAME_METRICS_FILE = "metrics.csv"

    def __init__(self, save_dir: Any, name: str | None = "lightning_logs", version: int | str | None = None,
                 prefix: str = "", flush_logs_every_n_steps: int = 100) -> None:
        super().__init__(save_dir, name, version, prefix)
        self._flush_every = flush_logs_every_n_steps
        self.hparams: dict = {}
        self._rows: list = []
        self._keys: list = []
        self._pending = 0

    @property
    def experiment(self) -> CSVLogger:
        return self

    @property
    def metrics_file_path(self) -> str:
        return os.path.join(self.log_dir, self.NAME_METRICS_FILE)

    def log_hyperparams(self, params: Any = None, *args: Any, **kwargs: Any) -> None:
        self.hparams.update(hparams_dict(params))

    def log_metrics(self, metrics: dict, step: int | None = None) -> None:
        row = {key: to_plain(value) for key, value in self._prefixed(metrics).items()}
        row["step"] = step if step is not None else len(self._rows)
        self.history.append((row["step"], {k: v for k, v in row.items() if k != "step"}))
        self._rows.append(row)
        for key in row:
            if key not in self._keys:
                self._keys.append(key)
                self._keys.sort()
        self._pending += 1
        if self._pending >= self._flush_every:
            self.save()

    def save(self) -> None:
        os.makedirs(self.log_dir, exist_ok=True)
        with atomic_write(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), "w", encoding="utf-8") as handle:
            handle.write(to_yaml(self.hparams))
        if not self._rows:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self._keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self._rows)
        with atomic_write(self.metrics_file_path, "w", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
        self._pending = 0
