"""Batch normalization layers (``BatchNorm1d/2d/3d``) with PyTorch's parameters, buffers and state_dict keys.

Training normalizes with the biased batch variance and updates ``running_mean`` / ``running_var`` (unbiased)
with ``momentum`` (``None``: cumulative average over ``num_batches_tracked``); eval uses the running stats.
"""

from __future__ import annotations

from typing import Optional

from ...autograd.grad_mode import no_grad
from ...creation import empty, ones, tensor, zeros
from ...dtypes import int64
from ...tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module, shape_error

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


def register_affine(module: Module, shape, affine: bool, bias: bool, dtype) -> None:
    """``weight``/``bias`` Parameters of ``shape`` on a normalization layer (registered as None when off)."""
    if affine:
        module.weight = Parameter(empty(shape, dtype=dtype))
        module.bias = Parameter(empty(shape, dtype=dtype)) if bias else None
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def reset_affine(module: Module) -> None:
    """PyTorch's default for normalization layers: weight ones, bias zeros."""
    with no_grad():
        if module.weight is not None:
            module.weight.fill_(1.0)
        if module.bias is not None:
            module.bias.zero_()


class _NormBase(Module):
    """Parameters ``weight``/``bias`` (C,) and buffers ``running_mean``/``running_var``/``num_batches_tracked``."""

    # checkpoints from before PyTorch added this buffer lack it; loading keeps the current value, as PyTorch does
    # for state dicts without version metadata
    _optional_state_keys = frozenset({"num_batches_tracked"})

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        register_affine(self, num_features, affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, ``num_batches_tracked`` 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running stats; weight to ones and bias to zeros."""
        self.reset_running_stats()
        reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def _check_channels(self, input: Tensor) -> None:
        if input.shape[1] != self.num_features:
            raise shape_error(self, f"expected input with {self.num_features} channels (dim 1), got "
                                    f"{tuple(input.shape)}")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        self._check_channels(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            if input.numel() // input.shape[1] > 1:  # the size-1 batch raises in batch_norm before counting
                with no_grad():
                    self.num_batches_tracked.add_(1)
                if self.momentum is None:
                    factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_stats = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep_stats else None,
                          self.running_var if keep_stats else None, self.weight, self.bias, use_batch_stats,
                          factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over an (N, C) or (N, C, L) input."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input of shape {tuple(input.shape)})")


class BatchNorm2d(_BatchNorm):
    """Batch norm over an (N, C, H, W) input."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input of shape {tuple(input.shape)})")


class BatchNorm3d(_BatchNorm):
    """Batch norm over an (N, C, D, H, W) input."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input of shape {tuple(input.shape)})")
