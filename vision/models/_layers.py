"""Building blocks shared by the models: ``Conv2dNormActivation`` (torchvision.ops.misc's layout)."""

from __future__ import annotations

from typing import Callable, Optional

from tensorlib import nn

__all__ = ["Conv2dNormActivation"]


class Conv2dNormActivation(nn.Sequential):
    """Conv2d -> norm -> activation as a Sequential (children ``0``, ``1``, ``2``, as in torchvision, so
    state_dict keys read ``<name>.0.weight``, ``<name>.1.running_mean`` ...).

    ``padding`` defaults to ``(kernel_size - 1) // 2 * dilation`` (size-preserving at stride 1); the conv has a
    bias only when ``norm_layer`` is None. Pass ``norm_layer=None`` / ``activation_layer=None`` to drop them.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: Optional[int] = None, groups: int = 1,
                 norm_layer: Optional[Callable[..., nn.Module]] = nn.BatchNorm2d,
                 activation_layer: Optional[Callable[..., nn.Module]] = nn.ReLU, dilation: int = 1,
                 inplace: Optional[bool] = True, bias: Optional[bool] = None) -> None:
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer() if inplace is None else activation_layer(inplace=inplace))
        super().__init__(*layers)
        self.out_channels = out_channels
