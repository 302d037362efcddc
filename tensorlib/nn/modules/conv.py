"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d`` on a shared ``_ConvNd`` base (PyTorch's
attributes, weight shapes, state_dict keys, default init and repr)."""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

from ... import creation
from ...autograd.grad_mode import no_grad
from ...functional.conv import same_pads
from ...kernels._utils import _ntuple
from ...tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module, shape_error

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared state of the convolutions: hyper-parameters, ``weight`` and ``bias``, init and repr.

    weight: ``(out_channels, in_channels // groups, *kernel_size)``, or for transposed convolutions
    ``(in_channels, out_channels // groups, *kernel_size)``; bias: ``(out_channels,)``.
    """

    _n: int = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation,
                 transposed: bool, output_padding, groups: int, bias: bool, padding_mode: str,
                 device=None, dtype=None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of ['valid', 'same']")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed, self.output_padding = transposed, output_padding
        self.groups, self.padding_mode = groups, padding_mode
        if isinstance(padding, str):
            pairs = same_pads(kernel_size, dilation) if padding == "same" else ((0, 0),) * len(kernel_size)
            self._reversed_padding_repeated_twice = [p for pair in reversed(pairs) for p in pair]
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in range(2)]
        shape = ((in_channels, out_channels // groups) if transposed else
                 (out_channels, in_channels // groups)) + tuple(kernel_size)
        factory = {"device": device, "dtype": dtype}
        self.weight = Parameter(creation.empty(shape, **factory))
        if bias:
            self.bias = Parameter(creation.empty((out_channels,), **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """kaiming_uniform_(a=sqrt(5)) on weight, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias the same bound."""
        fan_in = self.weight.shape[1] * math.prod(self.weight.shape[2:])
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        # kaiming gain sqrt(2 / (1 + 5)) * sqrt(3 / fan_in) == 1 / sqrt(fan_in)
        with no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input: Tensor) -> None:
        n = len(self.kernel_size)
        if input.ndim not in (n + 1, n + 2):
            raise shape_error(self, f"expected {n + 1}D (unbatched) or {n + 2}D (batched) input, got "
                                    f"{tuple(input.shape)}")
        channels = input.shape[-n - 1]
        if channels != self.in_channels:
            raise shape_error(self, f"expected input with {self.in_channels} channels, got {tuple(input.shape)}")

    def _mode_padded(self, input: Tensor) -> Tensor:
        """Apply reflect/replicate/circular padding (the conv then runs with zero padding 0)."""
        return F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or (C_in, L) -> (N, C_out, L_out)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int]],
                 stride: Union[int, Tuple[int]] = 1, padding: Union[int, Tuple[int], str] = 0,
                 dilation: Union[int, Tuple[int]] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        padding = padding if isinstance(padding, str) else _ntuple(padding, 1)
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, 1), _ntuple(stride, 1), padding,
                         _ntuple(dilation, 1), False, (0,), groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        if self.padding_mode != "zeros":
            return F.conv1d(self._mode_padded(input), weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv1d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        return self._conv_forward(input, self.weight, self.bias)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int, int]],
                 stride: Union[int, Tuple[int, int]] = 1, padding: Union[int, Tuple[int, int], str] = 0,
                 dilation: Union[int, Tuple[int, int]] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        padding = padding if isinstance(padding, str) else _ntuple(padding, 2)
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, 2), _ntuple(stride, 2), padding,
                         _ntuple(dilation, 2), False, (0, 0), groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        if self.padding_mode != "zeros":
            return F.conv2d(self._mode_padded(input), weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        return self._conv_forward(input, self.weight, self.bias)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the gradient of Conv2d w.r.t. its input); weight (C_in, C_out/groups, kH, kW).

    ``forward(input, output_size=None)``: ``output_size`` picks the output_padding that reaches that size.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int, int]],
                 stride: Union[int, Tuple[int, int]] = 1, padding: Union[int, Tuple[int, int]] = 0,
                 output_padding: Union[int, Tuple[int, int]] = 0, groups: int = 1, bias: bool = True,
                 dilation: Union[int, Tuple[int, int]] = 1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not support string padding, got {padding!r}")
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, 2), _ntuple(stride, 2),
                         _ntuple(padding, 2), _ntuple(dilation, 2), True, _ntuple(output_padding, 2), groups,
                         bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Optional[Sequence[int]]) -> Tuple[int, ...]:
        if output_size is None:
            return self.output_padding
        size = tuple(int(s) for s in output_size)[-2:]
        result = []
        for d in range(2):
            n = input.shape[input.ndim - 2 + d]
            smallest = ((n - 1) * self.stride[d] - 2 * self.padding[d] + self.dilation[d] *
                        (self.kernel_size[d] - 1) + 1)
            largest = smallest + self.stride[d] - 1
            if not smallest <= size[d] <= largest:
                raise ValueError(f"requested an output size of {list(size)}, but valid sizes range from "
                                 f"{smallest} to {largest} (for an input of {list(input.shape[-2:])})")
            result.append(size[d] - smallest)
        return tuple(result)

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                self.groups, self.dilation)
