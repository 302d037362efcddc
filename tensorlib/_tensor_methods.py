"""Tensor methods that are one-line delegations to ``tensorlib.ops`` (kept apart from tensor.py's core).

``_ops`` is set by tensor.py once the ops package is importable (the ops themselves need ``Tensor``).
"""

from __future__ import annotations

_ops = None


class TensorMethods:
    """Operation methods of ``Tensor``; every body is a call into the kernel layer."""

    __slots__ = ()

    # arithmetic
    def add(self, other, *, alpha=1):
        return _ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ops.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return _ops.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _ops.div(self, other, rounding_mode=rounding_mode)

    divide = div
    true_divide = div

    def floor_divide(self, other):
        return _ops.floor_divide(self, other)

    def remainder(self, other):
        return _ops.remainder(self, other)

    def fmod(self, other):
        return _ops.fmod(self, other)

    def neg(self):
        return _ops.neg(self)

    negative = neg

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def square(self):
        return _ops.square(self)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def mm(self, other):
        return _ops.mm(self, other)

    def bmm(self, other):
        return _ops.bmm(self, other)

    def mv(self, vec):
        return _ops.mv(self, vec)

    def dot(self, other):
        return _ops.dot(self, other)

    def outer(self, other):
        return _ops.outer(self, other)

    # unary math
    def exp(self):
        return _ops.exp(self)

    def expm1(self):
        return _ops.expm1(self)

    def log(self):
        return _ops.log(self)

    def log2(self):
        return _ops.log2(self)

    def log10(self):
        return _ops.log10(self)

    def log1p(self):
        return _ops.log1p(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def rsqrt(self):
        return _ops.rsqrt(self)

    def abs(self):
        return _ops.abs(self)

    absolute = abs

    def sign(self):
        return _ops.sign(self)

    def reciprocal(self):
        return _ops.reciprocal(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def tan(self):
        return _ops.tan(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def relu(self):
        return _ops.relu(self)

    def erf(self):
        return _ops.erf(self)

    def floor(self):
        return _ops.floor(self)

    def ceil(self):
        return _ops.ceil(self)

    def round(self, *, decimals=0):
        return _ops.round(self, decimals=decimals)

    def trunc(self):
        return _ops.trunc(self)

    def frac(self):
        return _ops.frac(self)

    def clamp(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return _ops.clamp(self, min=min)

    def clamp_max(self, max):
        return _ops.clamp(self, max=max)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def where(self, condition, other):
        return _ops.where(condition, self, other)

    def lerp(self, end, weight):
        return _ops.lerp(self, end, weight)

    # reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.sum(self, dim, keepdim, dtype=dtype)

    def nansum(self, dim=None, keepdim=False):
        return _ops.nansum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.prod(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return _ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _ops.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _ops.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _ops.cumprod(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _ops.norm(self, p, dim, keepdim, dtype)

    def softmax(self, dim, dtype=None):
        return _ops.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return _ops.log_softmax(self, dim, dtype)

    def all(self, dim=None, keepdim=False):
        return _ops.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _ops.any(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _ops.count_nonzero(self, dim)

    # comparisons and logic
    def eq(self, other):
        return _ops.eq(self, other)

    def ne(self, other):
        return _ops.ne(self, other)

    def lt(self, other):
        return _ops.lt(self, other)

    def le(self, other):
        return _ops.le(self, other)

    def gt(self, other):
        return _ops.gt(self, other)

    def ge(self, other):
        return _ops.ge(self, other)

    def equal(self, other):
        return _ops.equal(self, other)

    def isnan(self):
        return _ops.isnan(self)

    def isinf(self):
        return _ops.isinf(self)

    def isfinite(self):
        return _ops.isfinite(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other):
        return _ops.logical_and(self, other)

    def logical_or(self, other):
        return _ops.logical_or(self, other)

    def logical_xor(self, other):
        return _ops.logical_xor(self, other)

    def logical_not(self):
        return _ops.logical_not(self)

    # shape
    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.view(self, *shape)

    def view_as(self, other):
        return _ops.view_as(self, other)

    def reshape_as(self, other):
        return _ops.reshape_as(self, other)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _ops.unflatten(self, dim, sizes)

    def ravel(self):
        return _ops.ravel(self)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return _ops.transpose(self, dim0, dim1)

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        return _ops.t(self)

    def movedim(self, source, destination):
        return _ops.movedim(self, source, destination)

    moveaxis = movedim

    def expand(self, *sizes):
        return _ops.expand(self, *sizes)

    def expand_as(self, other):
        return _ops.expand_as(self, other)

    def broadcast_to(self, shape):
        return _ops.expand(self, shape)

    def repeat(self, *sizes):
        return _ops.repeat(self, *sizes)

    def tile(self, dims):
        return _ops.tile(self, dims)

    def repeat_interleave(self, repeats, dim=None):
        return _ops.repeat_interleave(self, repeats, dim)

    def flip(self, dims):
        return _ops.flip(self, dims)

    def roll(self, shifts, dims=None):
        return _ops.roll(self, shifts, dims)

    def narrow(self, dim, start, length):
        return _ops.narrow(self, dim, start, length)

    def select(self, dim, index):
        return _ops.select(self, dim, index)

    def split(self, split_size, dim=0):
        return _ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)

    def tensor_split(self, indices_or_sections, dim=0):
        return _ops.tensor_split(self, indices_or_sections, dim)

    def unbind(self, dim=0):
        return _ops.unbind(self, dim)

    def tril(self, diagonal=0):
        from .creation import tril

        return tril(self, diagonal)

    def triu(self, diagonal=0):
        from .creation import triu

        return triu(self, diagonal)

    # indexing
    def gather(self, dim, index):
        return _ops.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return _ops.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return _ops.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops.index_add(self, dim, index, source, alpha=alpha)

    def take_along_dim(self, indices, dim=None):
        return _ops.take_along_dim(self, indices, dim)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return _ops.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return _ops.nonzero(self, as_tuple=as_tuple)

    # sorting
    def sort(self, dim=-1, descending=False, stable=False):
        return _ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _ops.kthvalue(self, k, dim, keepdim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _ops.bincount(self, weights, minlength)

    # in place
    def add_(self, other, *, alpha=1):
        return _ops.add_(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return _ops.sub_(self, other, alpha=alpha)

    def mul_(self, other):
        return _ops.mul_(self, other)

    def div_(self, other, *, rounding_mode=None):
        return _ops.div_(self, other, rounding_mode=rounding_mode)

    def pow_(self, exponent):
        return _ops.pow_(self, exponent)

    def clamp_(self, min=None, max=None):
        return _ops.clamp_(self, min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return _ops.masked_fill_(self, mask, value)

    def lerp_(self, end, weight):
        return _ops.lerp_(self, end, weight)

    def zero_(self):
        return _ops.zero_(self)

    def fill_(self, value):
        return _ops.fill_(self, value)

    def copy_(self, src, non_blocking=False):
        return _ops.copy_(self, src)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return _ops.uniform_(self, a, b, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _ops.normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return _ops.bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return _ops.exponential_(self, lambd, generator=generator)

    def random_(self, from_=0, to=None, *, generator=None):
        return _ops.random_(self, from_, to, generator=generator)

    def exp_(self):
        return _ops.unary_(self, _ops.exp, "exp_")

    def log_(self):
        return _ops.unary_(self, _ops.log, "log_")

    def sqrt_(self):
        return _ops.unary_(self, _ops.sqrt, "sqrt_")

    def abs_(self):
        return _ops.unary_(self, _ops.abs, "abs_")

    def neg_(self):
        return _ops.unary_(self, _ops.neg, "neg_")

    def relu_(self):
        return _ops.unary_(self, _ops.relu, "relu_")

    def sigmoid_(self):
        return _ops.unary_(self, _ops.sigmoid, "sigmoid_")

    def tanh_(self):
        return _ops.unary_(self, _ops.tanh, "tanh_")

    def floor_(self):
        return _ops.unary_(self, _ops.floor, "floor_")

    def round_(self):
        return _ops.unary_(self, _ops.round, "round_")

    def sign_(self):
        return _ops.unary_(self, _ops.sign, "sign_")

    def square_(self):
        return _ops.unary_(self, _ops.square, "square_")

    def reciprocal_(self):
        return _ops.unary_(self, _ops.reciprocal, "reciprocal_")

    # random (non in-place)
    def bernoulli(self, *, generator=None):
        from .random import bernoulli

        return bernoulli(self, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .random import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    # new tensors like this one
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import ones

        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from .creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import empty

        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from .creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def type_as(self, other):
        return self.to(other.dtype)
