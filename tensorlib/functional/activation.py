"""Activations at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/activation.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from ..kernels.activation import (
    _SELU_ALPHA,
    _SELU_SCALE,
    Elu,
    Gelu,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyRelu,
    LogSigmoid,
    Mish,
    Prelu,
    Relu,
    Shrink,
    Sigmoid,
    Silu,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from ..tensor import Tensor
from ._utils import float_only
from .elementwise import _unary_float

__all__ = ["gelu", "silu", "mish", "softplus", "elu", "selu", "celu", "leaky_relu", "hardtanh", "relu6",
           "hardsigmoid", "hardswish", "logsigmoid", "softsign", "tanhshrink", "hardshrink", "softshrink",
           "threshold", "prelu", "tanh", "sigmoid", "relu"]


def _unary(fn_cls, input: Tensor, name: str, **attrs) -> Tensor:
    float_only(input, name)
    return fn_cls.apply(input, **attrs)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _unary(Gelu, input, "gelu", approximate=approximate)


def silu(input: Tensor) -> Tensor:
    return _unary(Silu, input, "silu")


def mish(input: Tensor) -> Tensor:
    return _unary(Mish, input, "mish")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _unary(Softplus, input, "softplus", beta=float(beta), threshold=float(threshold))


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _unary(Elu, input, "elu", alpha=float(alpha), scale=1.0, input_scale=1.0)


def selu(input: Tensor) -> Tensor:
    return _unary(Elu, input, "selu", alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _unary(Elu, input, "celu", alpha=float(alpha), scale=1.0, input_scale=1.0 / alpha)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _unary(LeakyRelu, input, "leaky_relu", negative_slope=float(negative_slope))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _unary(Hardtanh, input, "hardtanh", min_val=min_val, max_val=max_val)


def relu6(input: Tensor) -> Tensor:
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input: Tensor) -> Tensor:
    return _unary(Hardsigmoid, input, "hardsigmoid")


def hardswish(input: Tensor) -> Tensor:
    return _unary(Hardswish, input, "hardswish")


def logsigmoid(input: Tensor) -> Tensor:
    return _unary(LogSigmoid, input, "log_sigmoid")


def softsign(input: Tensor) -> Tensor:
    return _unary(Softsign, input, "softsign")


def tanhshrink(input: Tensor) -> Tensor:
    return _unary(Tanhshrink, input, "tanhshrink")


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _unary(Shrink, input, "hardshrink", lambd=float(lambd), soft=False)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _unary(Shrink, input, "softshrink", lambd=float(lambd), soft=True)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return _unary(Threshold, input, "threshold", threshold=threshold, value=value)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """PReLU; ``weight`` has one element or ``input.shape[1]`` elements."""
    float_only(input, "prelu")
    count = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim == 1 else 1)
    if count != 1 and count != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{count} and channel size = {channels}.")
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"prelu: expected weight dtype {input.dtype}, got {weight.dtype}")
    return Prelu.apply(input, weight)


def tanh(input):
    return _unary_float(Tanh, input)


def sigmoid(input):
    return _unary_float(Sigmoid, input)


def relu(input):
    return Relu.apply(input)
