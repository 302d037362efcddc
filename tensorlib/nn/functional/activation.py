"""Functional activations (``F.relu``, ``F.gelu`` ...): argument checks, ``inplace=`` handling, then the kernel."""

from __future__ import annotations

from typing import Optional

from ...functional import activation as _act
from ...functional import chunk, neg, sigmoid, softmax
from ...functional import relu as _relu
from ...functional.inplace import unary_
from ...tensor import Tensor

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu", "gelu", "silu",
           "mish", "softplus", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "logsigmoid", "prelu",
           "softmin", "softsign", "tanhshrink", "hardshrink", "softshrink", "threshold", "glu"]


def _maybe_inplace(input: Tensor, fn, inplace: bool, name: str) -> Tensor:
    """``fn(input)``, or written back into ``input`` (autograd-aware) when ``inplace``."""
    if inplace:
        return unary_(input, fn, name)
    return fn(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _maybe_inplace(input, _relu, inplace, "relu_")


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return _maybe_inplace(input, _act.relu6, inplace, "relu6_")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return _maybe_inplace(input, lambda t: _act.leaky_relu(t, negative_slope), inplace, "leaky_relu_")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _maybe_inplace(input, lambda t: _act.elu(t, alpha), inplace, "elu_")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, _act.selu, inplace, "selu_")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda t: _act.celu(t, alpha), inplace, "celu_")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), or the tanh approximation with ``approximate='tanh'``."""
    return _act.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _maybe_inplace(input, _act.silu, inplace, "silu_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _maybe_inplace(input, _act.mish, inplace, "mish_")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, linear above ``threshold``."""
    return _act.softplus(input, beta, threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda t: _act.hardtanh(t, min_val, max_val), inplace, "hardtanh_")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, _act.hardsigmoid, inplace, "hardsigmoid_")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, _act.hardswish, inplace, "hardswish_")


def logsigmoid(input: Tensor) -> Tensor:
    return _act.logsigmoid(input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    return _act.prelu(input, weight)


def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    return softmax(neg(input), dim)


def softsign(input: Tensor) -> Tensor:
    return _act.softsign(input)


def tanhshrink(input: Tensor) -> Tensor:
    return _act.tanhshrink(input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _act.hardshrink(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _act.softshrink(input, lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda t: _act.threshold(t, threshold, value), inplace, "threshold_")


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) where a, b are the halves of ``input`` along ``dim``."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    a, b = chunk(input, 2, dim)
    return a * sigmoid(b)
