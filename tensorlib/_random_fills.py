"""The array work behind ``nn.init``'s structured fills: truncated normal, orthogonal, sparse and dirac.

They draw from the framework RNG (``tensorlib.random``) and write in place through the version counter."""

from __future__ import annotations

import math

from . import random as _random
from ._backend import xp
from .functional.inplace import _write
from .tensor import Tensor


def _work_dtype(tensor: Tensor):
    return xp.float32 if tensor._data.dtype == xp.float32 else xp.float64


def init_trunc_normal_(tensor: Tensor, mean: float, std: float, a: float, b: float, generator=None) -> Tensor:
    """Fill with N(mean, std) truncated to [a, b]; out-of-range draws are redrawn (vectorised rejection)."""
    rng = _random.np_rng(generator)
    shape = tensor._data.shape
    values = rng.normal(mean, std, size=shape)
    bad = (values < a) | (values > b)
    while bad.any():
        values[bad] = rng.normal(mean, std, size=int(bad.sum()))
        bad = (values < a) | (values > b)
    return _write(tensor, values.astype(tensor._data.dtype), "trunc_normal_")


def init_orthogonal_(tensor: Tensor, gain: float, generator=None) -> Tensor:
    """PyTorch's orthogonal init: QR of a normal matrix (rows = dim 0), signs fixed by diag(R)."""
    rows = tensor.shape[0]
    cols = tensor._data.size // rows if rows else 0
    flat = _random.np_rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q *= xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor._data.shape).astype(tensor._data.dtype), "orthogonal_")


def init_sparse_(tensor: Tensor, sparsity: float, std: float, generator=None) -> Tensor:
    """N(0, std) with ``ceil(sparsity * rows)`` random entries of every column set to zero."""
    rng = _random.np_rng(generator)
    rows, cols = tensor.shape
    values = rng.normal(0.0, std, size=(rows, cols))
    num_zeros = int(math.ceil(sparsity * rows))
    # a random permutation of the rows per column: argsort of uniform keys
    order = xp.argsort(rng.random((rows, cols)), axis=0)
    xp.put_along_axis(values, order[:num_zeros], 0.0, axis=0)
    return _write(tensor, values.astype(tensor._data.dtype), "sparse_")


def init_dirac_(tensor: Tensor, groups: int) -> Tensor:
    """Identity-preserving conv weight: a 1 at the centre of ``[g*out + d, d]`` for each group and ``d``."""
    shape = tensor.shape
    out_per_group = shape[0] // groups
    min_dim = min(out_per_group, shape[1])
    values = xp.zeros(shape, dtype=tensor._data.dtype)
    d = xp.arange(min_dim)
    out_index = (xp.arange(groups)[:, None] * out_per_group + d[None, :]).reshape(-1)
    in_index = xp.tile(d, groups)
    centre = tuple(s // 2 for s in shape[2:])
    values[(out_index, in_index) + centre] = 1
    return _write(tensor, values, "dirac_")
