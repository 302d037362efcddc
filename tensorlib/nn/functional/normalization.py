"""Functional normalization (``F.batch_norm``, ``F.layer_norm``, ``F.group_norm`` ...) with PyTorch signatures.

The kernels (single fused ops with analytic backward) live in ``tensorlib.kernels.normalization``.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ...functional import normalization as _norm
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of an (N, C, *) input; when ``training`` the batch statistics are used and the
    running buffers updated in place (``running = (1 - momentum) * running + momentum * batch``)."""
    return _norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims, then apply the elementwise affine."""
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize each group of ``C // num_groups`` channels per sample, then the per-channel affine."""
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, running_mean: Optional[Tensor] = None, running_var: Optional[Tensor] = None,
                  weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample of an (N, C, *) input."""
    return _norm.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Divide by ``(k + alpha / size * sum of squares over size neighbouring channels) ** beta``."""
    return _norm.local_response_norm(input, size, alpha, beta, k)
