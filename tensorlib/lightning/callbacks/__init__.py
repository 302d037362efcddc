"""``tensorlib.lightning.callbacks`` (Lightning's ``lightning.pytorch.callbacks``)."""

from .callback import Callback
from .early_stopping import EarlyStopping
from .lr_monitor import LearningRateMonitor
from .model_checkpoint import ModelCheckpoint
from .on_exception_checkpoint import OnExceptionCheckpoint
from .progress import TQDMProgressBar

ProgressBar = TQDMProgressBar

__all__ = ["Callback", "EarlyStopping", "LearningRateMonitor", "ModelCheckpoint", "OnExceptionCheckpoint",
           "ProgressBar", "TQDMProgressBar"]
