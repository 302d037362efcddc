"""``out=``: the one place where a Tensor-level function writes its result into a given tensor.

``@supports_out`` gives a function PyTorch's ``out=`` keyword: the result is computed as usual, then written
into ``out`` (cast to its dtype when PyTorch would allow the cast, resized with PyTorch's warning when its
shape differs) and ``out`` is returned. Autograd does not flow through ``out=``, so an input that requires
grad is refused, as PyTorch does.
"""

from __future__ import annotations

import functools
import warnings

from ._backend import xp
from ._grad_mode import is_grad_enabled
from .tensor import Tensor

__all__ = ["OUT_FACTORIES", "OUT_FUNCTIONS", "out_variants", "supports_out", "write_out"]

# The torch.* functions that take ``out=``. Tensor methods call the same functional code without it, as in
# PyTorch, where ``x.add(y, out=z)`` does not exist; so the hot method path pays nothing for ``out=``.
OUT_FUNCTIONS = ("abs", "absolute", "add", "all", "amax", "amin", "any", "argmax", "argmin", "bitwise_and",
    "bitwise_not", "bitwise_or", "bitwise_xor", "bmm", "cat", "ceil", "clamp", "clamp_max", "clamp_min", "clip",
    "concat", "concatenate", "cos", "cumprod", "cumsum", "div", "divide", "dot", "eq", "erf", "exp", "expm1", "fix",
    "floor", "floor_divide", "fmax", "fmin", "fmod", "frac", "ge", "greater", "greater_equal", "gt", "hstack", "le",
    "lerp", "less", "less_equal", "log", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or",
    "logical_xor", "logsumexp", "lt", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul", "multiply",
    "mv", "nansum", "ne", "neg", "negative", "norm", "not_equal", "outer", "pow", "prod", "reciprocal", "remainder",
    "round", "rsqrt", "sigmoid", "sign", "sin", "sort", "sqrt", "square", "stack", "std", "sub", "subtract", "sum",
    "tan", "tanh", "topk", "true_divide", "trunc", "var", "vstack", "where",
    # linear algebra, inverse trig/hyperbolic, median and friends
    "acos", "acosh", "addmm", "addmv", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "asin", "asinh", "atan", "atan2", "atanh", "baddbmm", "cholesky", "cosh", "cross", "deg2rad", "hypot", "inverse",
    "isin", "logaddexp", "matrix_power", "median", "nan_to_num", "nanmedian", "qr", "rad2deg", "sinh", "slogdet",
    "svd", "tensordot")
OUT_FACTORIES = ("arange", "empty", "eye", "full", "linspace", "logspace", "normal", "ones", "rand", "randint",
    "randn", "randperm", "zeros")

_SCALAR_TYPES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def write_out(out, result, op: str):
    """Copy ``result`` (a Tensor, or a tuple of Tensors for a tuple ``out``) into ``out``; return ``out``."""
    if isinstance(out, (tuple, list)):
        if not isinstance(result, tuple) or len(out) != len(result):
            raise TypeError(f"{op}(): argument 'out' must be a tuple of {len(result)} Tensors")
        for o, r in zip(out, result):
            write_out(o, r, op)
        return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if result.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    data, target = result._data, out._data
    if not xp.can_cast(data.dtype, target.dtype, casting="same_kind") and data.dtype != xp.bool_:
        raise RuntimeError(f"result type {_SCALAR_TYPES.get(data.dtype.name, data.dtype.name)} can't be cast to the "
                           f"desired output type {_SCALAR_TYPES.get(target.dtype.name, target.dtype.name)}")
    if data.shape != target.shape:
        if target.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(target.shape)}, which does not match the required output shape "
                          f"{list(data.shape)}. This behavior is deprecated, and in a future PyTorch release "
                          "outputs will not be resized unless they have zero elements.", UserWarning, stacklevel=3)
        out._data = xp.empty(data.shape, dtype=target.dtype)
    out._data[...] = data
    out._version.bump(op + "_out")
    return out


def supports_out(fn=None, *, factory: bool = False):
    """Decorator: add the keyword-only ``out=`` argument to a function that returns a new Tensor.

    ``factory=True`` marks creation functions, whose result takes ``out``'s dtype when none is given.
    """
    if fn is None:
        return functools.partial(supports_out, factory=factory)

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if factory and kwargs.get("dtype") is None and isinstance(out, Tensor):
            kwargs["dtype"] = out.dtype
        return write_out(out, fn(*args, **kwargs), fn.__name__)

    return with_out


def out_variants(namespace: dict) -> dict:
    """``supports_out`` versions of the ``OUT_FUNCTIONS`` and ``OUT_FACTORIES`` found in ``namespace``."""
    variants = {name: supports_out(namespace[name]) for name in OUT_FUNCTIONS}
    variants.update({name: supports_out(namespace[name], factory=True) for name in OUT_FACTORIES})
    return variants
