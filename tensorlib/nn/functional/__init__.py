"""``tensorlib.nn.functional``: the functional forms of the layers (``import tensorlib.nn.functional as F``).

A thin PyTorch-named layer: it validates arguments and calls the Tensor-level functions in
``tensorlib.functional``; the array math lives in the kernel layer.
"""

from ...functional import log_softmax, relu, sigmoid, softmax, tanh
from .activation import *
from .attention import *
from .conv import *
from .dropout import *
from .linear import *
from .loss import *
from .normalization import *
from .padding import *
from .pixel_shuffle import *
from .pooling import *
from .sparse import *
from .vision import *
