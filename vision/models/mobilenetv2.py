"""MobileNetV2 (Sandler et al. 2018) with torchvision's layout, names and init.

``features.0`` is a Conv2dNormActivation stem (3x3/2), ``features.1`` .. ``features.17`` are
``InvertedResidual`` blocks (``conv`` = [expand 1x1 ConvBNReLU6,] depthwise 3x3 ConvBNReLU6, 1x1 conv, BN),
``features.18`` the 1x1 ConvBNReLU6 to ``last_channel``; then global average pooling and ``classifier`` =
Dropout + Linear. State_dict keys/shapes equal torchvision's (3,504,872 parameters for the defaults).
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

from tensorlib import nn
from tensorlib.nn import functional as F
from tensorlib.tensor import Tensor

from . import _weights
from ._api import load_pretrained, resolve_weights
from ._layers import Conv2dNormActivation
from ._utils import make_divisible

__all__ = ["MobileNetV2", "InvertedResidual", "mobilenet_v2"]


class InvertedResidual(nn.Module):
    """Expand (1x1) -> depthwise 3x3 (stride) -> linear project (1x1), residual when shapes allow:
    (N, inp, H, W) -> (N, oup, H/stride, W/stride)."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.stride = stride
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        layers: List[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x: Tensor) -> Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2: input ``(N, in_channels, H, W)`` -> logits ``(N, num_classes)`` (any ``H, W >= 1``).

    ``width_mult`` scales every width (rounded to multiples of ``round_nearest``; ``last_channel`` is never
    scaled below 1280). ``inverted_residual_setting`` is a list of ``[t, c, n, s]`` (expansion, channels,
    repeats, first stride). ``in_channels`` (default 3) is the only addition to torchvision's signature.
    """

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 inverted_residual_setting: Optional[List[List[int]]] = None, round_nearest: int = 8,
                 block: Optional[Callable[..., nn.Module]] = None,
                 norm_layer: Optional[Callable[..., nn.Module]] = None, dropout: float = 0.2,
                 in_channels: int = 3) -> None:
        super().__init__()
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        input_channel, last_channel = 32, 1280
        if inverted_residual_setting is None:
            inverted_residual_setting = [
                # t, c, n, s
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError("inverted_residual_setting should be non-empty or a 4-element list, got "
                             f"{inverted_residual_setting}")
        input_channel = make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features: List[nn.Module] = [Conv2dNormActivation(in_channels, input_channel, stride=2,
                                                          norm_layer=norm_layer, activation_layer=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1, expand_ratio=t,
                                      norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1,
                                             norm_layer=norm_layer, activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        # functional pooling (no module), as torchvision does: keeps the state_dict/children identical
        x = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        return self.classifier(x)


def mobilenet_v2(*, weights: Any = None, progress: bool = True, pretrained: bool = False,
                 **kwargs: Any) -> MobileNetV2:
    """MobileNetV2; kwargs go to ``MobileNetV2`` (``num_classes=1000``, ``width_mult=1.0``, ``dropout=0.2``,
    ``in_channels=3`` ...). 3,504,872 parameters with the defaults."""
    weights = resolve_weights("mobilenet_v2", _weights.MobileNet_V2_Weights, weights, pretrained, kwargs)
    return load_pretrained(MobileNetV2(**kwargs), weights, progress)
