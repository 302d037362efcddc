"""Elementwise operations: arithmetic, unary math, activations, clamp/where/lerp, and dtype casts.

Each ``Function`` keeps forward and backward side by side on raw arrays; the engine reduces broadcast
dimensions, so backward returns gradients in the broadcast output shape.
Subgradient conventions follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient on the bounds.
"""

from __future__ import annotations

import math

from .. import dtypes as _dtypes
from .._backend import xp
from ..autograd.function import Function
from ..tensor import Tensor
from ._utils import cast, prepare, to_tensor


class Cast(Function):
    saves_inputs = False

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.in_dtype) if self.in_dtype.kind == "f" else None


# ---------------------------------------------------------------------------------------------- arithmetic
class Add(Function):
    saves_inputs = False

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    saves_inputs = False

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        need = self.needs_input_grad
        return (g * self.b if need[0] else None), (g * self.a if need[1] else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        need = self.needs_input_grad
        ga = g / self.b if need[0] else None
        gb = -g * self.a / (self.b * self.b) if need[1] else None
        return ga, gb


class Neg(Function):
    saves_inputs = False

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Pow(Function):
    """``a ** b`` for tensor/scalar bases and exponents."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        need = self.needs_input_grad
        a, b = self.a, self.b
        ga = gb = None
        if need[0]:
            ga = g * b * a ** (b - 1) if not isinstance(b, (int, float)) or b != 0 else xp.zeros_like(g)
        if need[1]:
            # d/db a**b = a**b * log(a); 0 where a == 0 (PyTorch's convention for the 0**b kink)
            log_a = xp.log(xp.where(a > 0, a, 1)) if hasattr(a, "dtype") else math.log(a) if a > 0 else 0.0
            gb = g * self.out * log_a
        return ga, gb


class Maximum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, g):
        # ties split the gradient evenly between the two inputs, as PyTorch does
        a, b = self.a, self.b
        mask = (a > b) + 0.5 * (a == b)
        return g * mask.astype(g.dtype), g * (1 - mask).astype(g.dtype)


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        mask = (a < b) + 0.5 * (a == b)
        return g * mask.astype(g.dtype), g * (1 - mask).astype(g.dtype)


class Where(Function):
    def forward(self, condition, a, b):
        self.condition = condition
        return xp.where(condition, a, b)

    def backward(self, g):
        zero = xp.zeros((), dtype=g.dtype)
        need = self.needs_input_grad
        return (None,
                xp.where(self.condition, g, zero) if need[1] else None,
                xp.where(self.condition, zero, g) if need[2] else None)


class Lerp(Function):
    def forward(self, start, end, weight):
        self.start, self.end, self.weight = start, end, weight
        return start + weight * (end - start)

    def backward(self, g):
        need = self.needs_input_grad
        return (g * (1 - self.weight) if need[0] else None,
                g * self.weight if need[1] else None,
                g * (self.end - self.start) if need[2] else None)


# ---------------------------------------------------------------------------------------------- unary math
class Exp(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.exp(x)
        return self.y

    def backward(self, g):
        return g * self.y


class Expm1(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.expm1(x)
        return self.y

    def backward(self, g):
        return g * (self.y + 1)


class Log(Function):
    def forward(self, x):
        self.x = x
        return xp.log(x)

    def backward(self, g):
        return g / self.x


class Log2(Function):
    def forward(self, x):
        self.x = x
        return xp.log2(x)

    def backward(self, g):
        return g / (self.x * math.log(2.0))


class Log10(Function):
    def forward(self, x):
        self.x = x
        return xp.log10(x)

    def backward(self, g):
        return g / (self.x * math.log(10.0))


class Log1p(Function):
    def forward(self, x):
        self.x = x
        return xp.log1p(x)

    def backward(self, g):
        return g / (1 + self.x)


class Sqrt(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class Rsqrt(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = 1 / xp.sqrt(x)
        return self.y

    def backward(self, g):
        return -0.5 * g * self.y ** 3


class Abs(Function):
    def forward(self, x):
        self.x = x
        return xp.abs(x)

    def backward(self, g):
        return g * xp.sign(self.x)


class Sin(Function):
    def forward(self, x):
        self.x = x
        return xp.sin(x)

    def backward(self, g):
        return g * xp.cos(self.x)


class Cos(Function):
    def forward(self, x):
        self.x = x
        return xp.cos(x)

    def backward(self, g):
        return -g * xp.sin(self.x)


class Tan(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.tan(x)
        return self.y

    def backward(self, g):
        return g * (1 + self.y * self.y)


class Tanh(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


class Sigmoid(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        # tanh form: stable for large |x| and keeps float32
        self.y = 0.5 * (xp.tanh(0.5 * x) + 1)
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class Relu(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.maximum(x, 0)
        return self.y

    def backward(self, g):
        # relu'(0) = 0, PyTorch's convention
        return g * (self.y > 0)


class Erf(Function):
    def forward(self, x):
        self.x = x
        return erf_array(x)

    def backward(self, g):
        return g * ((2.0 / math.sqrt(math.pi)) * xp.exp(-self.x * self.x))


def erf_array(x):
    """erf for arrays without SciPy: exact (math.erf) in float64, a 1.2e-7-accurate rational form otherwise."""
    if x.dtype == xp.float64:
        return xp.asarray(xp.frompyfunc(math.erf, 1, 1)(x), dtype=xp.float64)
    # Numerical Recipes erfc Chebyshev fit (fractional error < 1.2e-7), evaluated in float32
    z = xp.abs(x)
    t = 1 / (1 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    erfc = t * xp.exp(poly)
    return (xp.sign(x) * (1 - erfc)).astype(x.dtype, copy=False)


class Reciprocal(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = 1 / x
        return self.y

    def backward(self, g):
        return -g * self.y * self.y


class Clamp(Function):
    def forward(self, x, min, max):
        self.x, self.min, self.max = x, min, max
        return xp.clip(x, min, max) if min is not None or max is not None else x.copy()

    def backward(self, g):
        # the gradient passes where min <= x <= max (bounds included), as in PyTorch
        x = self.x
        keep = xp.ones(x.shape, dtype=bool)
        if self.min is not None:
            keep &= x >= self.min
        if self.max is not None:
            keep &= x <= self.max
        need = self.needs_input_grad
        zero = xp.zeros((), g.dtype)
        gx = xp.where(keep, g, zero) if need[0] else None
        gmin = xp.where(x < self.min, g, zero) if len(need) > 1 and need[1] else None
        gmax = xp.where(x > self.max, g, zero) if len(need) > 2 and need[2] else None
        return gx, gmin, gmax


class Identity(Function):
    """A differentiable copy (``clone``/``contiguous``)."""

    saves_inputs = False

    def forward(self, x):
        return xp.ascontiguousarray(x).copy() if self.copy else xp.ascontiguousarray(x)

    def backward(self, g):
        return g


class NoGradOp(Function):
    """Base for rounding-type ops: forward only, zero gradient (PyTorch returns zeros for them)."""

    saves_inputs = False
    ufunc = None

    def forward(self, x):
        return type(self).ufunc(x)

    def backward(self, g):
        return xp.zeros_like(g)


class Floor(NoGradOp):
    ufunc = staticmethod(xp.floor)


class Ceil(NoGradOp):
    ufunc = staticmethod(xp.ceil)


class Trunc(NoGradOp):
    ufunc = staticmethod(xp.trunc)


class Sign(NoGradOp):
    ufunc = staticmethod(xp.sign)


class Round(NoGradOp):
    def forward(self, x):
        # NumPy rounds half to even, like PyTorch
        return xp.round(x, self.decimals)


# ---------------------------------------------------------------------------------------------- public API
def _binary(fn_cls, a, b):
    a, b = prepare(a, b)
    return fn_cls.apply(a, b)


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other)


def sub(input, other, *, alpha=1, out=None):
    if isinstance(input, Tensor) and input._data.dtype == xp.bool_ and isinstance(other, Tensor) \
            and other._data.dtype == xp.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, input, other)


subtract = sub


def mul(input, other, *, out=None):
    return _binary(Mul, input, other)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
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


def tanh(input):
    return _unary_float(Tanh, input)


def sigmoid(input):
    return _unary_float(Sigmoid, input)


def erf(input):
    return _unary_float(Erf, input)


def reciprocal(input):
    return _unary_float(Reciprocal, input)


def abs(input):
    return Abs.apply(input)


absolute = abs


def relu(input):
    return Relu.apply(input)


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
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else xp.asarray(condition)
    if cond.dtype != xp.bool_:
        cond = cond.astype(bool)
    a, b = prepare(input, other)
    return Where.apply(cond, a, b)


def lerp(input, end, weight):
    a, b = prepare(input, end)
    if isinstance(weight, Tensor):
        return Lerp.apply(a, b, weight)
    return Lerp.apply(a, b, weight)


def clone(input, *, memory_format=None):
    return Identity.apply(input, copy=True)


def contiguous(input):
    return Identity.apply(input, copy=False)


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
