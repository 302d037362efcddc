"""Fused activation kernels: each activation is one ``Function`` with an analytic backward.

Every formula is written to be finite for large ``|x|`` (no ``exp`` of a large positive number): softplus as
``max(x, 0) + log1p(exp(-|x|))``, the sigmoid through ``tanh``, ELU's ``expm1`` on ``min(x, 0)``.
relu/tanh/sigmoid/softmax/log_softmax live in ``elementwise``/``reduction``."""

from __future__ import annotations

import math

from .._backend import xp
from .._parallel import in_halves, worth_halves
from ..autograd.function import Function
from ._utils import const, masked
from .elementwise import erf_array

__all__ = ["Gelu", "Silu", "Mish", "Softplus", "Elu", "LeakyRelu", "Hardtanh", "Hardsigmoid", "Hardswish",
           "LogSigmoid", "Softsign", "Tanhshrink", "Shrink", "Threshold", "Prelu", "Tanh", "Sigmoid", "Relu"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


_SELU_ALPHA = 1.6732632423543772848170429916717


_SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    return 0.5 * (xp.tanh(0.5 * x) + 1)


def _softplus(x):
    """log(1 + exp(x)) without overflow."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


# Cephes (S. Moshier) rational approximations of erf/erfc, relative error < 1e-13 in float64
_ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
          7.00332514112805075473E3, 5.55923013010394962768E4)


_ERF_U = (3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
          2.26290000613890934246E4, 4.92673942608635921086E4)


_ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
           4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
           9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)


_ERFC_Q = (1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
           9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
           1.65666309194161350182E3, 5.57535340817727675546E2)


_ERFC_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
           6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)


_ERFC_S = (2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
           1.70814450747565897222E1, 9.60896809063285878198E0, 3.36907645100081516050E0)


def _poly(x, coefficients, monic: bool = False):
    """Horner evaluation, highest power first; ``monic`` prepends an implicit leading 1."""
    result = xp.ones_like(x) if monic else xp.full_like(x, coefficients[0])
    for c in coefficients if monic else coefficients[1:]:
        result = result * x + c
    return result


def _normal_cdf64(x):
    """Phi(x) for float64 arrays, vectorised (no per-element Python): Cephes' ndtr."""
    z = xp.abs(x) * (1 / math.sqrt(2.0))
    small_z = xp.minimum(z, 1.0)
    erf_small = small_z * _poly(small_z * small_z, _ERF_T) / _poly(small_z * small_z, _ERF_U, monic=True)
    big = xp.maximum(z, 1.0)
    tail = xp.where(big < 8.0, _poly(big, _ERFC_P) / _poly(big, _ERFC_Q, monic=True),
                    _poly(big, _ERFC_R) / _poly(big, _ERFC_S, monic=True))
    erfc = xp.where(z < 1.0, 1.0 - erf_small, xp.exp(-big * big) * tail)
    half_erfc = 0.5 * erfc
    central = 0.5 + 0.5 * xp.sign(x) * erf_small  # accurate where z < 1/sqrt(2)
    return xp.where(z < 1 / math.sqrt(2.0), central, xp.where(x > 0, 1.0 - half_erfc, half_erfc))


def _normal_cdf(x):
    if x.dtype == xp.float64:
        return _normal_cdf64(x)
    return 0.5 * (1 + erf_array(x * _scalar(1 / math.sqrt(2.0), x)))


def _scalar(value, like):
    """A Python number as a 0-d array of ``like``'s dtype, so float32 stays float32 under NEP 50."""
    return xp.asarray(value, dtype=like.dtype)


class Gelu(Function):
    """``x * Phi(x)`` (``approximate='none'``) or the tanh approximation (``'tanh'``)."""

    def forward(self, x):
        self.x = x
        if self.approximate == "tanh":
            self.t = xp.tanh(_scalar(_SQRT_2_OVER_PI, x) * (x + _scalar(0.044715, x) * x * x * x))
            return 0.5 * x * (1 + self.t)
        self.cdf = _normal_cdf(x)
        return x * self.cdf

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            inner_grad = _scalar(_SQRT_2_OVER_PI, x) * (1 + _scalar(3 * 0.044715, x) * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_grad)
        pdf = _scalar(_INV_SQRT_2PI, x) * xp.exp(-0.5 * x * x)
        return g * (self.cdf + x * pdf)

    def backward_tensors(self, g):
        x = self.inputs[0]
        if self.approximate == "tanh":
            t = (_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh()
            inner_grad = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_grad)
        cdf = 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf())
        return g * (cdf + x * (_INV_SQRT_2PI * (-0.5 * x * x).exp()))


class Silu(Function):
    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))

    def backward_tensors(self, g):
        x = self.inputs[0]
        s = x.sigmoid()
        return g * (s * (1 + x * (1 - s)))


class Mish(Function):
    """``x * tanh(softplus(x))``."""

    def forward(self, x):
        self.x = x
        self.t = xp.tanh(_softplus(x))
        return x * self.t

    def backward(self, g):
        t = self.t
        return g * (t + self.x * _sigmoid(self.x) * (1 - t * t))

    def backward_tensors(self, g):
        x = self.inputs[0]
        t = Softplus.apply(x, beta=1.0, threshold=20.0).tanh()
        return g * (t + x * x.sigmoid() * (1 - t * t))


class Softplus(Function):
    """``log(1 + exp(beta x)) / beta``; linear where ``beta x > threshold`` (PyTorch's switch)."""

    def forward(self, x):
        self.x = x
        bx = x * _scalar(self.beta, x)
        self.linear = bx > self.threshold
        return xp.where(self.linear, x, _softplus(bx) / _scalar(self.beta, x))

    def backward(self, g):
        bx = self.x * _scalar(self.beta, self.x)
        return g * xp.where(self.linear, _scalar(1, g), _sigmoid(bx))

    def backward_tensors(self, g):
        linear = const(g, self.linear)
        return g * (linear + (1 - linear) * (self.inputs[0] * self.beta).sigmoid())


class Elu(Function):
    """PyTorch's fused ELU family: ``scale * (x if x > 0 else alpha * expm1(x * input_scale))``.

    ELU is ``(alpha, 1, 1)``, SELU ``(1.6733, 1.0507, 1)``, CELU ``(alpha, 1, 1/alpha)``.
    """

    def forward(self, x):
        self.x = x
        neg = xp.minimum(x, 0) * _scalar(self.input_scale, x)
        self.neg_exp = xp.exp(neg)
        negative = _scalar(self.alpha, x) * (self.neg_exp - 1)
        return _scalar(self.scale, x) * xp.where(x > 0, x, negative)

    def backward(self, g):
        neg_grad = _scalar(self.alpha * self.input_scale, g) * self.neg_exp
        return g * _scalar(self.scale, g) * xp.where(self.x > 0, _scalar(1, g), neg_grad)

    def backward_tensors(self, g):
        x = self.inputs[0]
        positive = const(g, self.x > 0)
        neg_grad = (self.alpha * self.input_scale) * (x.clamp(max=0) * self.input_scale).exp()
        return g * self.scale * (positive + (1 - positive) * neg_grad)


class LeakyRelu(Function):
    def forward(self, x):
        self.positive = x > 0
        return xp.where(self.positive, x, x * _scalar(self.negative_slope, x))

    def backward(self, g):
        return xp.where(self.positive, g, g * _scalar(self.negative_slope, g))

    def backward_tensors(self, g):
        return g * const(g, xp.where(self.positive, 1.0, self.negative_slope))


def _large(x) -> bool:
    """Whether relu/hardtanh of ``x`` run in two halves on the threads (``in_halves``)."""
    return x.ndim > 0 and worth_halves(x.shape[0], x.nbytes)


class Hardtanh(Function):
    """``clip(x, min_val, max_val)``; the gradient is zero on and outside the bounds (PyTorch's rule)."""

    def forward(self, x):
        low, high = _scalar(self.min_val, x), _scalar(self.max_val, x)
        if not _large(x):
            self.inside = (x > self.min_val) & (x < self.max_val)
            return xp.clip(x, low, high)
        y, inside = xp.empty_like(x), xp.empty_like(x, dtype=bool)  # in x's memory order

        def part(lo: int, hi: int) -> None:
            xp.greater(x[lo:hi], self.min_val, out=inside[lo:hi])
            inside[lo:hi] &= x[lo:hi] < self.max_val
            xp.clip(x[lo:hi], low, high, out=y[lo:hi])

        in_halves(x.shape[0], part)
        self.inside = inside
        return y

    def backward(self, g):
        if not (_large(g) and g.shape == self.inside.shape):
            return masked(g, self.inside)
        out = xp.empty_like(g)
        in_halves(g.shape[0], lambda lo, hi: xp.multiply(g[lo:hi], self.inside[lo:hi], out=out[lo:hi]))
        return out

    def backward_tensors(self, g):
        return g * const(g, self.inside)


class Hardsigmoid(Function):
    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        return xp.clip(x / _scalar(6, x) + _scalar(0.5, x), _scalar(0, x), _scalar(1, x))

    def backward(self, g):
        out = masked(g, self.inside)
        out /= _scalar(6, g)
        return out

    def backward_tensors(self, g):
        return g * const(g, self.inside / 6)


class Hardswish(Function):
    def forward(self, x):
        self.x = x
        return x * xp.clip(x + _scalar(3, x), _scalar(0, x), _scalar(6, x)) / _scalar(6, x)

    def backward(self, g):
        x = self.x
        slope = xp.where(x < -3, _scalar(0, g), xp.where(x <= 3, x / _scalar(3, g) + _scalar(0.5, g),
                                                         _scalar(1, g)))
        return g * slope

    def backward_tensors(self, g):
        x = self.inputs[0]
        middle = const(g, (self.x >= -3) & (self.x <= 3))
        return g * (middle * (x / 3 + 0.5) + const(g, self.x > 3))


class LogSigmoid(Function):
    def forward(self, x):
        self.x = x
        return -_softplus(-x)

    def backward(self, g):
        return g * _sigmoid(-self.x)

    def backward_tensors(self, g):
        return g * (-self.inputs[0]).sigmoid()


class Softsign(Function):
    def forward(self, x):
        self.x = x
        return x / (1 + xp.abs(x))

    def backward(self, g):
        d = 1 + xp.abs(self.x)
        return g / (d * d)

    def backward_tensors(self, g):
        d = 1 + self.inputs[0].abs()
        return g / (d * d)


class Tanhshrink(Function):
    def forward(self, x):
        self.t = xp.tanh(x)
        return x - self.t

    def backward(self, g):
        return g * self.t * self.t

    def backward_tensors(self, g):
        t = self.inputs[0].tanh()
        return g * t * t


class Shrink(Function):
    """Hardshrink (``soft=False``) and Softshrink (``soft=True``) with threshold ``lambd``."""

    def forward(self, x):
        self.keep = xp.abs(x) > self.lambd
        if self.soft:
            return xp.where(self.keep, x - xp.sign(x) * _scalar(self.lambd, x), _scalar(0, x))
        return xp.where(self.keep, x, _scalar(0, x))

    def backward(self, g):
        return masked(g, self.keep)

    def backward_tensors(self, g):
        return g * const(g, self.keep)


class Threshold(Function):
    def forward(self, x):
        self.keep = x > self.threshold
        return xp.where(self.keep, x, _scalar(self.value, x))

    def backward(self, g):
        return masked(g, self.keep)

    def backward_tensors(self, g):
        return g * const(g, self.keep)


class Prelu(Function):
    """``max(0, x) + w * min(0, x)`` with one weight per channel (dim 1) or a single shared weight."""

    def forward(self, x, w):
        self.x, self.w = x, w
        self.wb = self._broadcast(w, x)
        return xp.where(x > 0, x, x * self.wb)

    @staticmethod
    def _broadcast(w, x):
        if w.size == 1 or x.ndim < 2:
            return w.reshape(()) if w.size == 1 else w
        return w.reshape((1, -1) + (1,) * (x.ndim - 2))

    def backward(self, g):
        x = self.x
        positive = x > 0
        gx = xp.where(positive, g, g * self.wb) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            contrib = xp.where(positive, _scalar(0, g), g * x)
            if self.w.size == 1:
                gw = contrib.sum().reshape(self.w.shape)
            elif x.ndim < 2:
                gw = contrib
            else:
                axes = (0,) + tuple(range(2, x.ndim))
                gw = contrib.sum(axis=axes).reshape(self.w.shape)
        return gx, gw

    def backward_tensors(self, g):
        x, w = self.inputs
        positive = const(g, self.x > 0)
        wb = w.reshape(()) if self.w.size == 1 else (w if x.ndim < 2 else w.reshape((1, -1) + (1,) * (x.ndim - 2)))
        gx = g * (positive + (1 - positive) * wb) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            contrib = g * x * (1 - positive)
            if self.w.size == 1:
                gw = contrib.sum().reshape(tuple(self.w.shape))
            elif x.ndim < 2:
                gw = contrib
            else:
                gw = contrib.sum(dim=(0,) + tuple(range(2, x.ndim))).reshape(tuple(self.w.shape))
        return gx, gw


class Tanh(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        self.y = xp.tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)

    def backward_tensors(self, g):
        y = self.inputs[0].tanh()
        return g * (1 - y * y)


class Sigmoid(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        # tanh form: stable for large |x| and keeps float32
        self.y = 0.5 * (xp.tanh(0.5 * x) + 1)
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)

    def backward_tensors(self, g):
        y = self.inputs[0].sigmoid()
        return g * y * (1 - y)


class Relu(Function):
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        if _large(x):
            y = self.y = xp.empty_like(x)  # in x's memory order, as maximum's own output
            in_halves(x.shape[0], lambda lo, hi: xp.maximum(x[lo:hi], 0, out=y[lo:hi]))
        else:
            self.y = xp.maximum(x, 0)
        return self.y

    def backward(self, g):
        # relu'(0) = 0, PyTorch's convention
        if _large(g) and g.shape == self.y.shape:
            out = xp.empty_like(g)
            in_halves(g.shape[0], lambda lo, hi: xp.multiply(g[lo:hi], self.y[lo:hi] > 0, out=out[lo:hi]))
            return out
        return g * (self.y > 0)

    def backward_tensors(self, g):
        return g * const(g, self.y > 0)
