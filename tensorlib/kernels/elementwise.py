"""Elementwise operations: arithmetic, unary math, activations, clamp/where/lerp, and dtype casts.

Each ``Function`` keeps forward and backward side by side on raw arrays; the engine reduces broadcast
dimensions, so backward returns gradients in the broadcast output shape.
Subgradient conventions follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient on the bounds."""

from __future__ import annotations

import math

from .._backend import xp
from ..autograd.function import Function
from ._utils import const, masked

__all__ = ["Cast", "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Maximum", "Minimum", "Where", "Lerp", "Exp", "Expm1",
           "Log", "Log2", "Log10", "Log1p", "Sqrt", "Rsqrt", "Abs", "Sin", "Cos", "Tan", "Erf", "Reciprocal",
           "Clamp", "Clone", "NoGradOp", "Floor", "Ceil", "Trunc", "Sign", "Round"]


class Cast(Function):

    def name(self) -> str:
        return "ToCopyBackward0"

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.in_dtype) if self.in_dtype.kind == "f" else None

    def backward_tensors(self, g):
        return g.to(self.in_dtype) if self.in_dtype.kind == "f" else None


# ---------------------------------------------------------------------------------------------- arithmetic
class Add(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g

    def backward_tensors(self, g):
        return g, g


class Sub(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)

    def backward_tensors(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        need = self.needs_input_grad
        return (g * self.b if need[0] else None), (g * self.a if need[1] else None)

    def backward_tensors(self, g):
        a, b = self.inputs
        need = self.needs_input_grad
        return (g * b if need[0] else None), (g * a if need[1] else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        need = self.needs_input_grad
        ga = g / self.b if need[0] else None
        gb = -g * self.a / (self.b * self.b) if need[1] else None
        return ga, gb

    def backward_tensors(self, g):
        a, b = self.inputs
        need = self.needs_input_grad
        return (g / b if need[0] else None), (-g * a / (b * b) if need[1] else None)


class Neg(Function):
    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g

    def backward_tensors(self, g):
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

    def backward_tensors(self, g):
        a, b = self.inputs
        need = self.needs_input_grad
        ga = gb = None
        if need[0]:
            ga = g * b * a ** (b - 1) if not isinstance(b, (int, float)) or b != 0 else g * 0
        if need[1]:
            if isinstance(a, (int, float)):
                gb = g * a ** b * (math.log(a) if a > 0 else 0.0)
            else:
                positive = const(g, a._data > 0)
                gb = g * a ** b * (a * positive + (1 - positive)).log()
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

    def backward_tensors(self, g):
        mask = const(g, (self.a > self.b) + 0.5 * (self.a == self.b))
        return g * mask, g * (1 - mask)


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        mask = (a < b) + 0.5 * (a == b)
        return g * mask.astype(g.dtype), g * (1 - mask).astype(g.dtype)

    def backward_tensors(self, g):
        mask = const(g, (self.a < self.b) + 0.5 * (self.a == self.b))
        return g * mask, g * (1 - mask)


class Where(Function):
    def forward(self, condition, a, b):
        self.condition = condition
        return xp.where(condition, a, b)

    def backward(self, g):
        need = self.needs_input_grad
        return (None,
                masked(g, self.condition) if need[1] else None,
                masked(g, ~self.condition) if need[2] else None)

    def backward_tensors(self, g):
        mask = const(g, self.condition)
        need = self.needs_input_grad
        return None, (g * mask if need[1] else None), (g * (1 - mask) if need[2] else None)


class Lerp(Function):
    def forward(self, start, end, weight):
        self.start, self.end, self.weight = start, end, weight
        return start + weight * (end - start)

    def backward(self, g):
        need = self.needs_input_grad
        return (g * (1 - self.weight) if need[0] else None,
                g * self.weight if need[1] else None,
                g * (self.end - self.start) if need[2] else None)

    def backward_tensors(self, g):
        start, end, weight = self.inputs
        need = self.needs_input_grad
        return (g * (1 - weight) if need[0] else None, g * weight if need[1] else None,
                g * (end - start) if need[2] else None)


# ---------------------------------------------------------------------------------------------- unary math
class Exp(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.exp(x)
        return self.y

    def backward(self, g):
        return g * self.y

    def backward_tensors(self, g):
        return g * self.inputs[0].exp()


class Expm1(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.expm1(x)
        return self.y

    def backward(self, g):
        return g * (self.y + 1)

    def backward_tensors(self, g):
        return g * self.inputs[0].exp()


class Log(Function):
    def forward(self, x):
        self.x = x
        return xp.log(x)

    def backward(self, g):
        return g / self.x

    def backward_tensors(self, g):
        return g / self.inputs[0]


class Log2(Function):
    def forward(self, x):
        self.x = x
        return xp.log2(x)

    def backward(self, g):
        return g / (self.x * math.log(2.0))

    def backward_tensors(self, g):
        return g / (self.inputs[0] * math.log(2.0))


class Log10(Function):
    def forward(self, x):
        self.x = x
        return xp.log10(x)

    def backward(self, g):
        return g / (self.x * math.log(10.0))

    def backward_tensors(self, g):
        return g / (self.inputs[0] * math.log(10.0))


class Log1p(Function):
    def forward(self, x):
        self.x = x
        return xp.log1p(x)

    def backward(self, g):
        return g / (1 + self.x)

    def backward_tensors(self, g):
        return g / (1 + self.inputs[0])


class Sqrt(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)

    def backward_tensors(self, g):
        return g / (2 * self.inputs[0].sqrt())


class Rsqrt(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = 1 / xp.sqrt(x)
        return self.y

    def backward(self, g):
        return -0.5 * g * self.y ** 3

    def backward_tensors(self, g):
        return -0.5 * g * self.inputs[0].rsqrt() ** 3


class Abs(Function):
    def forward(self, x):
        self.x = x
        return xp.abs(x)

    def backward(self, g):
        return g * xp.sign(self.x)

    def backward_tensors(self, g):
        return g * const(g, xp.sign(self.x))


class Sin(Function):
    def forward(self, x):
        self.x = x
        return xp.sin(x)

    def backward(self, g):
        return g * xp.cos(self.x)

    def backward_tensors(self, g):
        return g * self.inputs[0].cos()


class Cos(Function):
    def forward(self, x):
        self.x = x
        return xp.cos(x)

    def backward(self, g):
        return -g * xp.sin(self.x)

    def backward_tensors(self, g):
        return -g * self.inputs[0].sin()


class Tan(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.tan(x)
        return self.y

    def backward(self, g):
        return g * (1 + self.y * self.y)

    def backward_tensors(self, g):
        y = self.inputs[0].tan()
        return g * (1 + y * y)


class Erf(Function):
    def forward(self, x):
        self.x = x
        return erf_array(x)

    def backward(self, g):
        return g * ((2.0 / math.sqrt(math.pi)) * xp.exp(-self.x * self.x))

    def backward_tensors(self, g):
        x = self.inputs[0]
        return g * ((2.0 / math.sqrt(math.pi)) * (-x * x).exp())


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

    def backward_tensors(self, g):
        y = self.inputs[0].reciprocal()
        return -g * y * y


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
        gx = masked(g, keep) if need[0] else None
        gmin = masked(g, x < self.min) if len(need) > 1 and need[1] else None
        gmax = masked(g, x > self.max) if len(need) > 2 and need[2] else None
        return gx, gmin, gmax

    def backward_tensors(self, g):
        x = self.x
        keep = xp.ones(x.shape, dtype=bool)
        if self.min is not None:
            keep &= x >= self.min
        if self.max is not None:
            keep &= x <= self.max
        need = self.needs_input_grad
        gx = g * const(g, keep) if need[0] else None
        gmin = g * const(g, x < self.min) if len(need) > 1 and need[1] else None
        gmax = g * const(g, x > self.max) if len(need) > 2 and need[2] else None
        return gx, gmin, gmax


class Clone(Function):
    """A differentiable copy (``clone``/``contiguous``)."""

    saves_inputs = False
    keeps_inputs = False

    def forward(self, x):
        return xp.array(x, order="C", copy=self.copy or None)  # (ascontiguousarray would make 0-d 1-d)

    def backward(self, g):
        return g

    def backward_tensors(self, g):
        return g


class NoGradOp(Function):
    """Base for rounding-type ops: forward only, zero gradient (PyTorch returns zeros for them)."""

    saves_inputs = False
    keeps_inputs = False
    ufunc = None

    def forward(self, x):
        return type(self).ufunc(x)

    def backward(self, g):
        return xp.zeros_like(g)

    def backward_tensors(self, g):
        return g * 0


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


# ------------------------------------------------------------------------------ inverse trig, hyperbolic
class Asin(Function):
    def forward(self, x):
        self.x = x
        with xp.errstate(invalid="ignore", divide="ignore"):  # NaN/inf outside the domain, silently
            return xp.arcsin(x)

    def backward(self, g):
        return g / xp.sqrt(1 - self.x * self.x)

    def backward_tensors(self, g):
        x = self.inputs[0]
        return g / (1 - x * x).sqrt()


class Acos(Function):
    def forward(self, x):
        self.x = x
        with xp.errstate(invalid="ignore", divide="ignore"):  # NaN/inf outside the domain, silently
            return xp.arccos(x)

    def backward(self, g):
        return -g / xp.sqrt(1 - self.x * self.x)

    def backward_tensors(self, g):
        x = self.inputs[0]
        return -g / (1 - x * x).sqrt()


class Atan(Function):
    def forward(self, x):
        self.x = x
        return xp.arctan(x)

    def backward(self, g):
        return g / (1 + self.x * self.x)

    def backward_tensors(self, g):
        x = self.inputs[0]
        return g / (1 + x * x)


class Sinh(Function):
    def forward(self, x):
        self.x = x
        return xp.sinh(x)

    def backward(self, g):
        return g * xp.cosh(self.x)

    def backward_tensors(self, g):
        return g * self.inputs[0].cosh()


class Cosh(Function):
    def forward(self, x):
        self.x = x
        return xp.cosh(x)

    def backward(self, g):
        return g * xp.sinh(self.x)

    def backward_tensors(self, g):
        return g * self.inputs[0].sinh()


class Asinh(Function):
    def forward(self, x):
        self.x = x
        return xp.arcsinh(x)

    def backward(self, g):
        return g / xp.sqrt(self.x * self.x + 1)

    def backward_tensors(self, g):
        x = self.inputs[0]
        return g / (x * x + 1).sqrt()


class Acosh(Function):
    def forward(self, x):
        self.x = x
        with xp.errstate(invalid="ignore", divide="ignore"):  # NaN/inf outside the domain, silently
            return xp.arccosh(x)

    def backward(self, g):
        return g / xp.sqrt(self.x * self.x - 1)

    def backward_tensors(self, g):
        x = self.inputs[0]
        return g / (x * x - 1).sqrt()


class Atanh(Function):
    def forward(self, x):
        self.x = x
        with xp.errstate(invalid="ignore", divide="ignore"):  # NaN/inf outside the domain, silently
            return xp.arctanh(x)

    def backward(self, g):
        return g / (1 - self.x * self.x)

    def backward_tensors(self, g):
        x = self.inputs[0]
        return g / (1 - x * x)


class Atan2(Function):
    """``atan2(a, b)``: the angle of the point ``(b, a)``."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.arctan2(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        scale = g / (a * a + b * b)
        need = self.needs_input_grad
        return (scale * b if need[0] else None), (-scale * a if need[1] else None)

    def backward_tensors(self, g):
        a, b = self.inputs
        scale = g / (a * a + b * b)
        need = self.needs_input_grad
        return (scale * b if need[0] else None), (-scale * a if need[1] else None)


class Hypot(Function):
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = xp.hypot(a, b)
        return self.out

    def backward(self, g):
        scale = g / self.out
        need = self.needs_input_grad
        return (scale * self.a if need[0] else None), (scale * self.b if need[1] else None)

    def backward_tensors(self, g):
        a, b = self.inputs
        scale = g / a.hypot(b)
        need = self.needs_input_grad
        return (scale * a if need[0] else None), (scale * b if need[1] else None)


class Logaddexp(Function):
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = xp.logaddexp(a, b)
        return self.out

    def backward(self, g):
        need = self.needs_input_grad
        return (g * xp.exp(self.a - self.out) if need[0] else None,
                g * xp.exp(self.b - self.out) if need[1] else None)

    def backward_tensors(self, g):
        a, b = self.inputs
        out = a.logaddexp(b)
        need = self.needs_input_grad
        return (g * (a - out).exp() if need[0] else None), (g * (b - out).exp() if need[1] else None)


class NanToNum(Function):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf``, ``neginf``; the gradient is 0 where one was replaced."""

    def forward(self, x):
        self.x = x
        return xp.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, g):
        return g * xp.isfinite(self.x)

    def backward_tensors(self, g):
        return g * self.inputs[0].isfinite().to(g.dtype)

