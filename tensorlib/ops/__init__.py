"""The kernel layer: every differentiable op as a ``Function`` on raw arrays, plus its public function."""

from ._utils import cast
from .comparison import *
from .elementwise import *
from .elementwise import abs, pow, round
from .indexing import *
from .inplace import *
from .linalg import *
from .reduction import *
from .reduction import all, any, max, min, sum
from .shape import *
from .sorting import *
