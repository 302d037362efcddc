"""``tensorlib.nn.utils``: gradient clipping, parameter/vector conversion, and ``rnn`` padding helpers."""

from . import rnn
from .clip_grad import *
from .convert_parameters import *
