"""``SyncBatchNorm``: batch norm whose batch statistics are computed over all processes of the default group.

In training with an initialised process group of more than one process, the per-channel sum, sum of squares
and count are all-reduced in forward, and the sums of ``dy`` and ``dy * x_hat`` in backward, so outputs and
gradients equal BatchNorm on the concatenation of every process's batch. Otherwise it is plain BatchNorm.
"""

from __future__ import annotations

from typing import Optional

import tensorlib as tl

from ...autograd import Function
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .batchnorm import _BatchNorm
from .module import Module, shape_error

__all__ = ["SyncBatchNorm"]


def _reduce_dims(input: Tensor) -> tuple:
    return (0,) + tuple(range(2, input.dim()))


def _channel_shape(input: Tensor) -> tuple:
    return (1, input.shape[1]) + (1,) * (input.dim() - 2)


class _SyncBatchNormFunction(Function):
    """Forward/backward of synchronised batch norm; shapes: input (N, C, *), weight/bias/running stats (C,)."""

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum):
        from ... import distributed as dist

        channels, dims = input.shape[1], _reduce_dims(input)
        wide = input.double()  # sums of squares in float64: E[x^2] - E[x]^2 loses little precision then
        stats = tl.cat([wide.sum(dim=dims), (wide * wide).sum(dim=dims),
                        tl.tensor([input.numel() // channels], dtype=tl.float64)])
        dist.all_reduce(stats)
        count = stats[2 * channels].item()
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)} summed over all processes")
        mean = stats[:channels] / count
        var = (stats[channels:2 * channels] / count - mean * mean).clamp(min=0)
        invstd = (var + eps).rsqrt()
        x_hat = ((wide - mean.reshape(_channel_shape(input))) * invstd.reshape(_channel_shape(input))).to(input.dtype)
        output = x_hat if weight is None else x_hat * weight.reshape(_channel_shape(input))
        if bias is not None:
            output = output + bias.reshape(_channel_shape(input))
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype) * momentum)
            running_var.mul_(1 - momentum).add_((var * count / (count - 1)).to(running_var.dtype) * momentum)
        ctx.save_for_backward(x_hat, invstd.to(input.dtype), weight)
        ctx.count = count
        return output

    @staticmethod
    def backward(ctx, grad_output):
        from ... import distributed as dist

        x_hat, invstd, weight = ctx.saved_tensors
        dims, shape, channels = _reduce_dims(grad_output), _channel_shape(grad_output), grad_output.shape[1]
        grad_bias = grad_output.sum(dim=dims)
        grad_weight = (grad_output * x_hat).sum(dim=dims)
        sums = tl.cat([grad_bias, grad_weight]).double()
        dist.all_reduce(sums)  # the input gradient depends on every process's dy through the shared statistics
        mean_dy = (sums[:channels] / ctx.count).to(grad_output.dtype).reshape(shape)
        mean_dy_xhat = (sums[channels:] / ctx.count).to(grad_output.dtype).reshape(shape)
        scale = invstd if weight is None else invstd * weight
        grad_input = (grad_output - mean_dy - x_hat * mean_dy_xhat) * scale.reshape(shape)
        return (grad_input, None if weight is None else grad_weight, grad_bias if weight is not None else None,
                None, None, None, None)


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, *) inputs with statistics synchronised across processes in training."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        if process_group is not None:
            raise NotImplementedError("SyncBatchNorm supports only the default process group (process_group=None)")
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise shape_error(self, f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        from ... import distributed as dist

        synced = self.training and dist.is_initialized() and dist.get_world_size() > 1
        if not synced:
            return super().forward(input)
        self._check_input_dim(input)
        self._check_channels(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        running = (self.running_mean, self.running_var) if self.track_running_stats else (None, None)
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, *running, self.eps, factor)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every BatchNorm*d replaced by a SyncBatchNorm sharing its parameters and buffers."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            if module.affine:
                converted.weight, converted.bias = module.weight, module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.train(module.training)
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
