"""``tensorlib.lightning.loggers`` (Lightning's ``lightning.pytorch.loggers``)."""

from .csv_logs import CSVLogger
from .jsonl import JSONLLogger
from .logger import Logger
from .tensorboard import TensorBoardLogger

__all__ = ["CSVLogger", "JSONLLogger", "Logger", "TensorBoardLogger"]
