"""Shape and joining ops (views where NumPy can) at the Tensor level: argument checks, dtype promotion and shapes,
then the kernels of ``tensorlib/kernels/shape.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

import builtins

from .._backend import xp
from ..dtypes import to_numpy_dtype
from ..kernels._utils import normalize_dim
from ..kernels.shape import (
    Cat,
    Diagonal,
    Expand,
    Flip,
    Permute,
    Repeat,
    Roll,
    Slice,
    Stack,
    View,
    _infer_shape,
    _shape_args,
)
from ..tensor import Tensor
from ._utils import prepare, strided_view
from .indexing import index_select

__all__ = ["reshape", "view", "view_as", "reshape_as", "flatten", "unflatten", "ravel", "squeeze", "unsqueeze",
           "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis", "expand", "expand_as",
           "broadcast_to", "broadcast_tensors", "broadcast_shapes", "repeat", "tile", "repeat_interleave", "flip",
           "fliplr", "flipud", "roll", "narrow", "select", "cat", "concat", "concatenate", "stack", "hstack",
           "vstack", "split", "chunk", "tensor_split", "unbind", "atleast_1d", "atleast_2d", "diagonal"]


def _target_shape(input, shape) -> tuple:
    shape = _shape_args(shape)
    try:
        return _infer_shape(shape, input._data.size)
    except ValueError:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {input._data.size}") from None


def reshape(input, *shape):
    target = _target_shape(input, shape)
    if target == input._data.shape:
        return input
    out = View.apply(input, shape=target, requested=shape)  # as written (-1 kept): a jit trace derives that dim
    return strided_view(out) if getattr(input, "_strided_view", False) else out


def view(input, *shape):
    """``view(*shape)``: reshape sharing memory, refused (RuntimeError) for a non-contiguous layout that no strides
    can express, as in PyTorch; or ``view(dtype)`` reinterpreting the bytes."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return Tensor._wrap(input._data.view(to_numpy_dtype(shape[0])))
    if getattr(input, "_strided_view", False):
        try:
            input._data.reshape(_target_shape(input, shape), copy=False)
        except ValueError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) "
                               "instead.") from None
    return reshape(input, *shape)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    if input.ndim == 0:
        return reshape(input, 1)
    start = normalize_dim(start_dim, input.ndim)
    end = normalize_dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:start] + (-1,) + shape[end + 1:])


def unflatten(input, dim: int, sizes):
    dim = normalize_dim(dim, input.ndim)
    shape = input.shape
    return reshape(input, shape[:dim] + tuple(sizes) + shape[dim + 1:])


def ravel(input):
    return reshape(input, -1)


def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        target = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {normalize_dim(d, input.ndim) for d in dims} if input.ndim else set()
        target = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(input, target)


def unsqueeze(input, dim: int):
    dim = normalize_dim(dim, input.ndim + 1)
    shape = input.shape
    return reshape(input, shape[:dim] + (1,) + shape[dim:])


def permute(input, *dims):
    dims = _shape_args(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
                           f"equal to len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, input.ndim) for d in dims)
    if dims == tuple(range(input.ndim)):
        return input
    return strided_view(Permute.apply(input, dims=dims))


def transpose(input, dim0: int, dim1: int):
    if input.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    d0, d1 = normalize_dim(dim0, input.ndim), normalize_dim(dim1, input.ndim)
    dims = list(range(input.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(input, dims)


swapaxes = transpose


swapdims = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, -1) if input.ndim == 2 else input


def movedim(input, source, destination):
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    src = [normalize_dim(s, input.ndim) for s in src]
    dst = [normalize_dim(d, input.ndim) for d in dst]
    order = [d for d in range(input.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    shape = input.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = tuple(shape[i - lead] if s == -1 and i >= lead else int(s) for i, s in enumerate(sizes))
    for i, s in enumerate(shape):
        if s != 1 and s != target[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[lead + i]}) must match the existing size "
                               f"({s}) at non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(shape)}")
    if target == tuple(shape):
        return input
    return strided_view(Expand.apply(input, shape=target))


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


def broadcast_tensors(*tensors):
    shape = xp.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    return xp.broadcast_shapes(*shapes)


def repeat(input, *sizes):
    sizes = _shape_args(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    return Repeat.apply(input, reps=tuple(int(s) for s in sizes))


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return Repeat.apply(input, reps=dims)


def repeat_interleave(input, repeats, dim=None):
    if dim is None:
        input, dim = reshape(input, -1), 0
    dim = normalize_dim(dim, input.ndim)
    reps = repeats._data if isinstance(repeats, Tensor) else repeats
    index = xp.repeat(xp.arange(input.shape[dim]), reps)
    return index_select(input, dim, Tensor._wrap(index))


def flip(input, dims):
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    return Flip.apply(input, dims=tuple(normalize_dim(d, input.ndim) for d in dims))


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


def roll(input, shifts, dims=None):
    if dims is None:
        return reshape(Roll.apply(reshape(input, -1), shifts=shifts, dims=0), input.shape)
    if isinstance(shifts, (tuple, list)):
        shifts, dims = tuple(shifts), tuple(dims)
    return Roll.apply(input, shifts=shifts, dims=dims)


def narrow(input, dim: int, start: int, length: int):
    dim = normalize_dim(dim, input.ndim)
    start = int(start) % input.shape[dim] if int(start) < 0 else int(start)
    if start + length > input.shape[dim]:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({input.shape[dim]}).")
    index = (slice(None),) * dim + (slice(start, start + length),)
    return strided_view(Slice.apply(input, index=index))


def select(input, dim: int, index: int):
    dim = normalize_dim(dim, input.ndim)
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {dim}")
    return strided_view(Slice.apply(input, index=(slice(None),) * dim + (index,)))


def _same_dtype(tensors):
    tensors = [t if isinstance(t, Tensor) else Tensor._wrap(xp.asarray(t)) for t in tensors]
    dtypes = {t._data.dtype for t in tensors}
    if len(dtypes) > 1:
        first = tensors[0]
        for other in tensors[1:]:
            first, other = prepare(first, other)
        target = first._data.dtype
        tensors = [t if t._data.dtype == target else t.to(target) for t in tensors]
    return tensors


def cat(tensors, dim: int = 0):
    """Concatenate along an existing dim; sizes must match elsewhere (the error names both shapes)."""
    tensors = [t for t in _same_dtype(list(tensors)) if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    ref = tensors[0]
    dim = normalize_dim(dim, ref.ndim)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != ref.ndim or builtins.any(a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape))
                                              if j != dim):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                               f"{list(ref.shape)} but got size {list(t.shape)} for tensor number {i} in the list.")
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(*tensors, dim=dim)


concat = cat


concatenate = cat


def stack(tensors, dim: int = 0):
    tensors = _same_dtype(list(tensors))
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != ref.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry 0 "
                               f"and {list(t.shape)} at entry {i}")
    return Stack.apply(*tensors, dim=normalize_dim(dim, ref.ndim + 1))


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def split(tensor, split_size_or_sections, dim: int = 0):
    dim = normalize_dim(dim, tensor.ndim)
    size = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = [builtins.min(step, size - i) for i in range(0, size, step)] or [0]
    else:
        sections = [int(s) for s in split_size_or_sections]
        if builtins.sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sections}")
    out, start = [], 0
    for length in sections:
        out.append(Slice.apply(tensor, index=(slice(None),) * dim + (slice(start, start + length),)))
        start += length
    return tuple(out)


def chunk(input, chunks: int, dim: int = 0):
    size = input.shape[normalize_dim(dim, input.ndim)]
    step = -(-size // chunks) if chunks > 0 else 0
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    return split(input, builtins.max(step, 1), dim)


def tensor_split(input, indices_or_sections, dim: int = 0):
    dim = normalize_dim(dim, input.ndim)
    size = input.shape[dim]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        sizes = [size // n + (1 if i < size % n else 0) for i in range(n)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [size]
        sizes = [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
    return split(input, sizes, dim)


def unbind(input, dim: int = 0):
    dim = normalize_dim(dim, input.ndim)
    return tuple(Slice.apply(input, index=(slice(None),) * dim + (i,)) for i in range(input.shape[dim]))


def atleast_1d(input):
    return reshape(input, 1) if input.ndim == 0 else input


def atleast_2d(input):
    return reshape(input, (1,) * (2 - input.ndim) + tuple(input.shape)) if input.ndim < 2 else input


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The ``offset`` diagonal of the planes ``(dim1, dim2)``, as a new last dim (``torch.diagonal``)."""
    d1, d2 = normalize_dim(dim1, input.ndim), normalize_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=int(offset), dim1=d1, dim2=d2)
