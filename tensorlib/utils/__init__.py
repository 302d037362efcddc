"""``tensorlib.utils.data`` is ``tensorlib.data`` (PyTorch's ``torch.utils.data`` spelling)."""

import sys

from .. import data

sys.modules[__name__ + ".data"] = data
