"""In-place twins of the indexing, matrix and shape methods (``scatter_``, ``index_fill_``, ``masked_scatter_``,
``fill_diagonal_``, ``addmm_``, ``t_``, ``unsqueeze_``, ``resize_`` ...), built on ``inplace.apply_inplace`` so
they write into shared memory and join the graph (CopySlices on views) exactly as the arithmetic ones do."""

from __future__ import annotations

from .._backend import xp
from ..kernels.indexing import IndexPut
from ..tensor import Tensor
from .elementwise import add, atan2, hypot, mul, nan_to_num
from .indexing import index_add, scatter, scatter_add
from .inplace import _set_node, apply_inplace, check_inplace
from .linalg import addmv, baddbmm, mm

__all__ = ["scatter_", "scatter_add_", "index_add_", "index_fill_", "index_copy_", "masked_scatter_",
           "fill_diagonal_", "addmm_", "view_inplace", "resize_", "addmv_", "baddbmm_", "atan2_", "hypot_",
           "nan_to_num_"]


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    return apply_inplace(self, lambda s, v: scatter(s, dim, index, v, reduce=reduce), "scatter_",
                         value if src is None else src)


def scatter_add_(self, dim, index, src):
    return apply_inplace(self, lambda s, v: scatter_add(s, dim, index, v), "scatter_add_", src)


def index_add_(self, dim, index, source, *, alpha=1):
    return apply_inplace(self, lambda s, v: index_add(s, dim, index, v, alpha=alpha), "index_add_", source)


def _dim_index(self: Tensor, dim: int, index) -> tuple:
    """The advanced index selecting ``index`` entries along ``dim`` (every other dimension whole)."""
    idx = (index._data if isinstance(index, Tensor) else xp.asarray(index)).astype(xp.intp).reshape(-1)
    dim = dim + self.ndim if dim < 0 else dim
    size = self.shape[dim]
    if idx.size and (idx.max() >= size or idx.min() < -size):
        raise IndexError(f"index out of range in self (dimension {dim} has size {self.shape[dim]})")
    return (slice(None),) * dim + (idx,)


def index_fill_(self, dim: int, index, value):
    """Fill the entries at ``index`` along ``dim`` with ``value`` (a number or a 0-d tensor)."""
    where_ = _dim_index(self, dim, index)

    def compute(s, v):
        v = v if isinstance(v, Tensor) else Tensor._wrap(xp.asarray(v, dtype=s._data.dtype))
        return IndexPut.apply(s, v.to(s.dtype) if v._data.dtype != s._data.dtype else v, index=where_)
    return apply_inplace(self, compute, "index_fill_", value)


def index_copy_(self, dim: int, index, source):
    """Copy the slices of ``source`` into the entries at ``index`` along ``dim``."""
    where_ = _dim_index(self, dim, index)
    return apply_inplace(self, lambda s, v: IndexPut.apply(s, v.to(s.dtype) if v._data.dtype != s._data.dtype
                                                           else v, index=where_), "index_copy_", source)


def masked_scatter_(self, mask, source):
    """Copy ``source``'s leading elements, in order, into the positions where ``mask`` (broadcast) is True."""
    full = xp.broadcast_to(mask._data if isinstance(mask, Tensor) else xp.asarray(mask), self._data.shape)
    count = int(full.sum())
    if count > source.numel():
        raise RuntimeError("masked_scatter_: expected source to have at least as many elements as ones in mask")

    def compute(s, v):
        taken = v.reshape(-1)[:count]
        return IndexPut.apply(s, taken.to(s.dtype) if taken._data.dtype != s._data.dtype else taken, index=(full,))
    return apply_inplace(self, compute, "masked_scatter_", source)


def fill_diagonal_(self, fill_value, wrap: bool = False):
    """Fill the main diagonal (all dimensions equal for n-d; rows of a tall matrix repeat with ``wrap``)."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    rows, cols = self.shape[0], self.shape[1]
    n = min(self.shape)
    positions = xp.arange(n)
    if self.ndim == 2 and wrap and rows > cols + 1:
        flat = xp.arange(0, rows * cols, cols + 1)  # NumPy's fill_diagonal(wrap=True) walk over the flat rows
        index = (flat // cols, flat % cols)
    else:
        index = (positions,) * self.ndim
    values = Tensor._wrap(xp.asarray(fill_value, dtype=self._data.dtype))
    return apply_inplace(self, lambda s: IndexPut.apply(s, values, index=index), "fill_diagonal_")


def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
    """``self = beta * self + alpha * (mat1 @ mat2)``."""

    def compute(s, a, b):
        product = mm(a, b)
        product = product if alpha == 1 else mul(product, alpha)
        return add(s if beta == 1 else mul(s, beta), product)
    return apply_inplace(self, compute, "addmm_", mat1, mat2)


def view_inplace(self: Tensor, make_view, name: str) -> Tensor:
    """``t_``, ``unsqueeze_``, ``transpose_`` ...: this tensor itself becomes the view ``make_view(self)``."""
    check_inplace(self, name)
    out = make_view(self)
    self._data = out._data
    if out._requires_grad:
        _set_node(self, out.grad_fn, True)
    if self._view is not None:
        self._view = out._view
    return self


def resize_(self, *sizes):
    """Give this tensor the shape ``sizes``, keeping its leading elements (new elements are uninitialised,
    here zero); the same number of elements reshapes in place."""
    shape = tuple(int(s) for s in (sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes))
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    count = 1
    for s in shape:
        count *= s
    if count == self._data.size and self._data.flags.c_contiguous:
        self._data = self._data.reshape(shape)
    else:
        fresh = xp.zeros(shape, dtype=self._data.dtype)
        keep = min(count, self._data.size)
        fresh.reshape(-1)[:keep] = self._data.reshape(-1)[:keep]
        self._data = fresh
    self._version.bump("resize_")
    return self


def addmv_(self, mat, vec, *, beta=1, alpha=1):
    """``self = beta * self + alpha * (mat @ vec)``."""
    return apply_inplace(self, lambda s, m, v: addmv(s, m, v, beta=beta, alpha=alpha), "addmv_", mat, vec)


def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    """``self = beta * self + alpha * (batch1 @ batch2)``."""
    return apply_inplace(self, lambda s, a, b: baddbmm(s, a, b, beta=beta, alpha=alpha), "baddbmm_", batch1, batch2)


def atan2_(self, other):
    return apply_inplace(self, atan2, "atan2_", other)


def hypot_(self, other):
    return apply_inplace(self, hypot, "hypot_", other)


def nan_to_num_(self, nan: float = 0.0, posinf=None, neginf=None):
    return apply_inplace(self, lambda s: nan_to_num(s, nan, posinf, neginf), "nan_to_num_")
