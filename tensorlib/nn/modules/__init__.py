"""All layer classes; one topic per file."""

from .activation import *
from .attention import *
from .batchnorm import *
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *
from .dropout import *
from .flatten import *
from .fold import *
from .linear import *
from .loss import *
from .module import Module, ModuleShapeError
from .normalization import *
from .padding import *
from .pixelshuffle import *
from .pooling import *
from .rnn import *
from .sparse import *
from .sync_batchnorm import *
from .transformer import *
from .upsampling import *
