"""Batch, layer, group, instance and local response normalization at the Tensor level: argument checks, dtype
promotion and shapes, then the kernels of ``tensorlib/kernels/normalization.py`` (where the maths, forward
beside backward, lives)."""

from __future__ import annotations

from typing import Optional, Sequence

from ..kernels.normalization import LocalResponseNorm, NativeBatchNorm, NativeGroupNorm, NativeLayerNorm
from ..tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization of an (N, C, *) input; updates ``running_mean``/``running_var`` in place when
    training (PyTorch's ``F.batch_norm``)."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *) with at least 2 dims, got "
                         f"{tuple(input.shape)}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise RuntimeError(f"batch_norm: {name} should have shape ({channels},) for input of shape "
                               f"{tuple(input.shape)}, got {tuple(t.shape)}")
    use_batch_stats = training or running_mean is None or running_var is None
    if training:
        count = input.numel() // channels
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{tuple(input.shape)}; with a DataLoader, pass drop_last=True so the last batch is "
                             f"not of size 1")
    if not use_batch_stats:
        return NativeBatchNorm.apply(input, weight, bias, use_batch_stats=False, eps=eps, momentum=momentum,
                                 running_mean=running_mean._data, running_var=running_var._data)
    update = training
    for t in (running_mean, running_var):
        if update and t is not None:
            t._version.bump("batch_norm")
    return NativeBatchNorm.apply(input, weight, bias, use_batch_stats=True, eps=eps,
                             momentum=0.0 if momentum is None else momentum,
                             running_mean=running_mean._data if update and running_mean is not None else None,
                             running_var=running_var._data if update and running_var is not None else None)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` dims of ``input``."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of size "
                           f"{tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"layer_norm: expected {name} of shape {normalized_shape}, got {tuple(t.shape)}")
    numel = 1
    for s in normalized_shape:
        numel *= s
    return NativeLayerNorm.apply(input, weight, bias, eps=eps,
                             numel_normalized=numel, normalized_ndim=k)


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Group normalization of an (N, C, *) input with ``C`` divisible by ``num_groups``."""
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    channels = input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input ({channels}) to be divisible by "
                           f"num_groups ({num_groups}), input shape {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise RuntimeError(f"group_norm: expected {name} of shape ({channels},) for input of shape "
                               f"{tuple(input.shape)}, got {tuple(t.shape)}")
    return NativeGroupNorm.apply(input, weight, bias, groups=num_groups, eps=eps,
                             running_mean=None, running_var=None, momentum=0.0)


def instance_norm(input: Tensor, running_mean: Optional[Tensor] = None, running_var: Optional[Tensor] = None,
                  weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization (per sample and channel) of an (N, C, *) input."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, L, ...) with at least 3 dims, got "
                         f"{tuple(input.shape)}")
    channels = input.shape[1]
    if use_input_stats and input.numel() // (input.shape[0] * channels) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {tuple(input.shape)}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
        return NativeBatchNorm.apply(input, weight, bias, use_batch_stats=False, eps=eps, momentum=momentum,
                                 running_mean=running_mean._data, running_var=running_var._data)
    for t in (running_mean, running_var):
        if t is not None:
            t._version.bump("instance_norm")
    return NativeGroupNorm.apply(input, weight, bias, groups=channels, eps=eps,
                             running_mean=None if running_mean is None else running_mean._data,
                             running_var=None if running_var is None else running_var._data,
                             momentum=momentum)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalization across channels of an (N, C, *) input."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    return LocalResponseNorm.apply(input, size=size, alpha=alpha, beta=beta, k=k)
