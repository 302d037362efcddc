"""``OnExceptionCheckpoint``: write a checkpoint when fit is interrupted (Ctrl-C) or fails."""

from __future__ import annotations

import os
from typing import Any

from .callback import Callback


class OnExceptionCheckpoint(Callback):
    """On any exception during fit (KeyboardInterrupt included) save ``<dirpath>/<filename>.ckpt``."""

    FILE_EXTENSION = ".ckpt"

    def __init__(self, dirpath: Any, filename: str = "on_exception") -> None:
        self.dirpath = os.fspath(dirpath)
        self.filename = filename

    @property
    def ckpt_path(self) -> str:
        return os.path.join(self.dirpath, self.filename + self.FILE_EXTENSION)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        trainer.save_checkpoint(self.ckpt_path)
