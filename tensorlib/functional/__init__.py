"""The Tensor-level functions: argument validation, dtype promotion and ``out=``, then a kernel's ``apply``.

``tensorlib``'s op functions and ``Tensor``'s op methods are these. Each module mirrors a kernel module
of the same topic; comparison, sorting and in-place ops have no gradient kernels of their own.
"""

from ..autograd.gradients import backward
from ..creation import empty, full, ones, tensor, tril, triu, zeros
from ..random import bernoulli, multinomial
from ._utils import cast
from .activation import *
from .comparison import *
from .conv import *
from .dropout import *
from .elementwise import *
from .elementwise import square_
from .embedding import *
from .indexing import *
from .indexing import getitem
from .inplace import *
from .inplace import binary_, setitem_, unary_
from .inplace_twins import (
    addmm_,
    addmv_,
    atan2_,
    baddbmm_,
    fill_diagonal_,
    hypot_,
    index_add_,
    index_copy_,
    index_fill_,
    masked_scatter_,
    nan_to_num_,
    resize_,
    scatter_,
    scatter_add_,
    view_inplace,
)
from .linalg import *
from .linalg_decomp import *
from .linear import *
from .loss import *
from .normalization import *
from .padding import *
from .pooling import *
from .reduction import *
from .resample import *
from .shape import *
from .sorting import *
