"""``tensorlib.utils.data`` is ``tensorlib.data`` (PyTorch's ``torch.utils.data`` spelling)."""

import sys

from .. import data
from ..data import distributed as _data_distributed

sys.modules[__name__ + ".data"] = data
sys.modules[__name__ + ".data.distributed"] = _data_distributed
