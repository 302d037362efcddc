"""In-place NumPy update primitives mirroring PyTorch's CPU kernels' evaluation order (so results match)."""

from __future__ import annotations

from .._backend import xp
from .._blas import axpy_


def lerp_(target, end, weight: float) -> None:
    """``target.lerp_(end, weight)``: PyTorch's two-sided formula, exact at both ends."""
    if abs(weight) < 0.5:
        target += weight * (end - target)
    else:
        xp.subtract(end, (end - target) * (1 - weight), out=target)


def decay_(average, value, decay: float) -> None:
    """``average.mul_(decay).addcmul_(value, value, value=1 - decay)``: running mean of squares."""
    average *= decay
    average += (1 - decay) * value * value


def add_weight_decay(grad, param, weight_decay: float):
    """``grad.add(param, alpha=weight_decay)`` (L2 penalty folded into the gradient, one rounding as PyTorch's
    fused ``add``): a new array, or ``grad`` itself when ``weight_decay`` is 0."""
    if weight_decay == 0:
        return grad
    out = grad.copy()
    axpy_(out, weight_decay, param)
    return out
