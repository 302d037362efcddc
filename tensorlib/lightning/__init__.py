"""``tensorlib.lightning``: the Lightning role on tensorlib. ``import tensorlib.lightning as L`` where a script has
``import lightning as L`` (or ``import pytorch_lightning as pl``): LightningModule, LightningDataModule, Trainer,
seed_everything, ``L.callbacks`` and ``L.loggers`` with Lightning 2.x names, arguments and semantics.
"""

import logging as _logging
import sys as _sys

from . import callbacks, loggers
from .callbacks import Callback
from .datamodule import LightningDataModule
from .exceptions import MisconfigurationException
from .module import LightningModule
from .seed import seed_everything
from .trainer import Trainer

_log = _logging.getLogger("tensorlib.lightning")
if not _log.handlers:  # Lightning prints its info messages (seed, summary, early stopping) on the console
    _log.addHandler(_logging.StreamHandler())
    _log.setLevel(_logging.INFO)
    _log.propagate = False

# `lightning.pytorch` (and `pytorch_lightning`) spellings: `L.pytorch.Trainer`, `from ....pytorch.callbacks import ...`
pytorch = _sys.modules[__name__]
for _name in ("", ".callbacks", ".loggers"):
    _sys.modules[f"{__name__}.pytorch{_name}"] = _sys.modules[f"{__name__}{_name}"]

__all__ = ["Callback", "LightningDataModule", "LightningModule", "MisconfigurationException", "Trainer",
           "callbacks", "loggers", "seed_everything"]
