"""``TensorBoardLogger``: event files for TensorBoard, when ``tensorboardX`` (or torch's writer) is installed."""

from __future__ import annotations

import os
from typing import Any

from ..._atomic import atomic_write
from .._hparams import to_yaml
from .logger import _VersionedLogger, hparams_dict, to_plain


def summary_writer_class() -> Any:
    """tensorboardX's ``SummaryWriter``, else torch's (needs torch and tensorboard); a clear error otherwise."""
    try:
        from tensorboardX import SummaryWriter

        return SummaryWriter
    except ModuleNotFoundError:
        pass
    try:
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter
    except (ModuleNotFoundError, ImportError):
        pass
    raise ModuleNotFoundError("TensorBoardLogger needs the optional package `tensorboardX` (`pip install "
                              "tensorboardX`, or `pip install tensorlib[tensorboard]`), or `tensorboard` together "
                              "with torch. Without them use CSVLogger or JSONLLogger.")


class TensorBoardLogger(_VersionedLogger):
    """Scalars into ``<save_dir>/<name>/version_N/events.out.tfevents.*`` plus ``hparams.yaml``."""

    NAME_HPARAMS_FILE = "hparams.yaml"

    def __init__(self, save_dir: Any, name: str | None = "lightning_logs", version: int | str | None = None,
                 log_graph: bool = False, default_hp_metric: bool = True, prefix: str = "",
                 sub_dir: Any = None, **kwargs: Any) -> None:
        super().__init__(save_dir, name, version, prefix)
        self._writer_class = summary_writer_class()
        self._kwargs = kwargs
        self._experiment = None
        self.hparams: dict = {}

    @property
    def experiment(self) -> Any:
        if self._experiment is None:
            os.makedirs(self.log_dir, exist_ok=True)
            self._experiment = self._writer_class(log_dir=self.log_dir, **self._kwargs)
        return self._experiment

    def log_hyperparams(self, params: Any = None, *args: Any, **kwargs: Any) -> None:
        self.hparams.update(hparams_dict(params))
        os.makedirs(self.log_dir, exist_ok=True)
        with atomic_write(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), "w", encoding="utf-8") as handle:
            handle.write(to_yaml(self.hparams))

    def log_metrics(self, metrics: dict, step: int | None = None) -> None:
        values = {key: to_plain(value) for key, value in self._prefixed(metrics).items()}
        self.history.append((step, values))
        for key, value in values.items():
            self.experiment.add_scalar(key, value, step)

    def save(self) -> None:
        if self._experiment is not None:
            self._experiment.flush()

    def finalize(self, status: str) -> None:
        if self._experiment is not None:
            self._experiment.flush()
            self._experiment.close()
            self._experiment = None
