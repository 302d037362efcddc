"""Elementwise arithmetic and math at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/elementwise.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from .. import dtypes as _dtypes
from .._backend import xp
from ..kernels.elementwise import (
    Abs,
    Acos,
    Acosh,
    Add,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    Ceil,
    Clamp,
    Clone,
    Cos,
    Cosh,
    Div,
    Erf,
    Exp,
    Expm1,
    Floor,
    Hypot,
    Lerp,
    Log,
    Log1p,
    Log2,
    Log10,
    Logaddexp,
    Maximum,
    Minimum,
    Mul,
    NanToNum,
    Neg,
    Pow,
    Reciprocal,
    Round,
    Rsqrt,
    Sign,
    Sin,
    Sinh,
    Sqrt,
    Sub,
    Tan,
    Trunc,
    Where,
)
from ..tensor import Tensor
from ._utils import cast, prepare, to_tensor

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
           "fmod", "neg", "negative", "pow", "square", "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt",
           "rsqrt", "sin", "cos", "tan", "erf", "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc",
           "fix", "round", "frac", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin",
           "where", "lerp", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "clone", "contiguous",
           "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan",
           "arctan2", "arcsinh", "arccosh", "arctanh", "hypot", "logaddexp", "nan_to_num", "deg2rad", "rad2deg"]


# ---------------------------------------------------------------------------------------------- public API
def _binary(fn_cls, a, b):
    a, b = prepare(a, b)
    return fn_cls.apply(a, b)


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other)


def sub(input, other, *, alpha=1):
    if isinstance(input, Tensor) and input._data.dtype == xp.bool_ and isinstance(other, Tensor) \
            and other._data.dtype == xp.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, input, other)


subtract = sub


def mul(input, other):
    return _binary(Mul, input, other)


multiply = mul


def div(input, other, *, rounding_mode=None):
    """True division (int/int gives the default float dtype), or ``rounding_mode='trunc'|'floor'``."""
    if rounding_mode is not None:
        a, b = prepare(input, other)
        quotient = _binary(Div, a, b) if _is_float(a) or _is_float(b) else None
        if rounding_mode == "floor":
            return floor(quotient) if quotient is not None else floor_divide(a, b)
        if rounding_mode == "trunc":
            if quotient is not None:
                return trunc(quotient)
            ad, bd = _raw(a), _raw(b)
            return Tensor._wrap(xp.trunc(ad / bd).astype(xp.result_type(ad, bd)))
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"'{rounding_mode}'")
    a, b = prepare(input, other)
    if not (_is_float(a) or _is_float(b)):
        default = _dtypes.get_default_dtype().np
        a = cast(a, default) if isinstance(a, Tensor) else xp.asarray(a, dtype=default)
        b = cast(b, default) if isinstance(b, Tensor) else xp.asarray(b, dtype=default)
    return Div.apply(a, b)


divide = div


true_divide = div


def _is_float(value) -> bool:
    if isinstance(value, Tensor):
        return value._data.dtype.kind == "f"
    if isinstance(value, float):
        return True
    return hasattr(value, "dtype") and value.dtype.kind == "f"


def _raw(value):
    return value._data if isinstance(value, Tensor) else value


def floor_divide(input, other):
    a, b = prepare(input, other)
    return Tensor._wrap(xp.floor_divide(_raw(a), _raw(b)))


def remainder(input, other):
    """Python-style modulus (sign of the divisor); gradient 1 w.r.t. ``input`` like PyTorch."""
    a, b = prepare(input, other)
    if _is_float(a) or _is_float(b):
        return sub(a, mul(floor_divide(a, b), b).detach() if isinstance(b, Tensor) else floor_divide(a, b) * b)
    return Tensor._wrap(xp.remainder(_raw(a), _raw(b)))


def fmod(input, other):
    a, b = prepare(input, other)
    return Tensor._wrap(xp.fmod(_raw(a), _raw(b)))


def neg(input):
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    """``input ** exponent``; a tensor base with an integer tensor is promoted as in PyTorch."""
    a, b = prepare(input, exponent)
    return Pow.apply(a, b)


def square(input):
    return mul(input, input)


def _unary_float(fn_cls, input):
    if not isinstance(input, Tensor):
        input = to_tensor(input)
    if input._data.dtype.kind != "f":
        input = cast(input, _dtypes.get_default_dtype().np)
    return fn_cls.apply(input)


def exp(input):
    return _unary_float(Exp, input)


def expm1(input):
    return _unary_float(Expm1, input)


def log(input):
    return _unary_float(Log, input)


def log2(input):
    return _unary_float(Log2, input)


def log10(input):
    return _unary_float(Log10, input)


def log1p(input):
    return _unary_float(Log1p, input)


def sqrt(input):
    return _unary_float(Sqrt, input)


def rsqrt(input):
    return _unary_float(Rsqrt, input)


def sin(input):
    return _unary_float(Sin, input)


def cos(input):
    return _unary_float(Cos, input)


def tan(input):
    return _unary_float(Tan, input)


def erf(input):
    return _unary_float(Erf, input)


def asin(input):
    return _unary_float(Asin, input)


def acos(input):
    return _unary_float(Acos, input)


def atan(input):
    return _unary_float(Atan, input)


def sinh(input):
    return _unary_float(Sinh, input)


def cosh(input):
    return _unary_float(Cosh, input)


def asinh(input):
    return _unary_float(Asinh, input)


def acosh(input):
    return _unary_float(Acosh, input)


def atanh(input):
    return _unary_float(Atanh, input)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def atan2(input, other):
    """The angle of ``(other, input)`` elementwise; integer operands give the default float dtype."""
    a, b = prepare(input, other)
    if not (_is_float(a) or _is_float(b)):
        default = _dtypes.get_default_dtype().np
        a = cast(a, default) if isinstance(a, Tensor) else xp.asarray(a, dtype=default)
        b = cast(b, default) if isinstance(b, Tensor) else xp.asarray(b, dtype=default)
    return Atan2.apply(a, b)


arctan2 = atan2


def _binary_float_only(fn_cls, name, input, other):
    a, b = prepare(input, other)
    if not (_is_float(a) or _is_float(b)):
        dtype = _raw(a).dtype if isinstance(a, Tensor) else _raw(b).dtype
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_dtypes.scalar_type_name(dtype)}\'')
    return fn_cls.apply(a, b)


def hypot(input, other):
    """``sqrt(input**2 + other**2)`` without overflow; floating point only, as in PyTorch."""
    return _binary_float_only(Hypot, "hypot", input, other)


def logaddexp(input, other):
    """``log(exp(input) + exp(other))`` computed stably; floating point only, as in PyTorch."""
    return _binary_float_only(Logaddexp, "logaddexp", input, other)


def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest value), -inf -> ``neginf`` (its
    lowest); integer and bool tensors come back unchanged (as a copy)."""
    if input._data.dtype.kind != "f":
        return input.clone()
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def deg2rad(input):
    return mul(_to_float(input), 3.141592653589793 / 180.0)


def rad2deg(input):
    return mul(_to_float(input), 180.0 / 3.141592653589793)


def _to_float(input):
    return input if input._data.dtype.kind == "f" else cast(input, _dtypes.get_default_dtype().np)


def reciprocal(input):
    return _unary_float(Reciprocal, input)


def abs(input):
    return Abs.apply(input)


absolute = abs


def sign(input):
    return Sign.apply(input)


def floor(input):
    return Floor.apply(input) if input._data.dtype.kind == "f" else input.clone()


def ceil(input):
    return Ceil.apply(input) if input._data.dtype.kind == "f" else input.clone()


def trunc(input):
    return Trunc.apply(input) if input._data.dtype.kind == "f" else input.clone()


fix = trunc


def round(input, *, decimals: int = 0):
    return Round.apply(input, decimals=decimals) if input._data.dtype.kind == "f" else input.clone()


def frac(input):
    return sub(input, trunc(input))


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]``; ``min``/``max`` may be numbers or tensors (broadcast)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else to_tensor(min, like=input))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else to_tensor(max, like=input))
        return out
    if input._data.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = cast(input, _dtypes.get_default_dtype().np)
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def maximum(input, other):
    return _binary(Maximum, input, other)


def minimum(input, other):
    return _binary(Minimum, input, other)


def fmax(input, other):
    return maximum(input, other)


def fmin(input, other):
    return minimum(input, other)


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` else ``other``; ``where(condition)`` is ``nonzero(as_tuple)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else xp.asarray(condition)
    if cond.dtype != xp.bool_:
        cond = cond.astype(bool)
    elif isinstance(condition, Tensor):
        cond = condition  # the Tensor itself (no gradient): a jit trace then follows it as an input
    a, b = prepare(input, other)
    return Where.apply(cond, a, b)


def lerp(input, end, weight):
    a, b = prepare(input, end)
    if isinstance(weight, Tensor):
        return Lerp.apply(a, b, weight)
    return Lerp.apply(a, b, weight)


def clone(input, *, memory_format=None):
    return Clone.apply(input, copy=True)


def contiguous(input):
    return Clone.apply(input, copy=False)


def square_(input):
    return input.mul_(input)


def bitwise_not(input):
    if input._data.dtype.kind == "f":
        raise TypeError("bitwise_not is only supported for integer and boolean tensors")
    return Tensor._wrap(xp.invert(input._data))


def _bitwise(np_fn, name, input, other):
    a, b = prepare(input, other)
    ad, bd = _raw(a), _raw(b)
    if getattr(ad, "dtype", xp.dtype(int)).kind == "f" or getattr(bd, "dtype", xp.dtype(int)).kind == "f":
        raise RuntimeError(f"{name} is only supported for integer and boolean tensors")
    return Tensor._wrap(np_fn(ad, bd))


def bitwise_and(input, other):
    return _bitwise(xp.bitwise_and, "bitwise_and", input, other)


def bitwise_or(input, other):
    return _bitwise(xp.bitwise_or, "bitwise_or", input, other)


def bitwise_xor(input, other):
    return _bitwise(xp.bitwise_xor, "bitwise_xor", input, other)
