"""ResNet-20/32/56 for 32x32 images, the CIFAR-10 layout of He et al. 2016 ("Deep Residual Learning", sec. 4.2).

Stem: 3x3 conv with 16 channels -> BN -> ReLU (no max pool); three stages of ``n`` ``BasicBlock``s with widths
16, 32, 64 (stages 2 and 3 start with stride 2); global average pool; ``fc``. Depth = 6n + 2.

Shortcuts: option "A" (the paper's CIFAR choice, the default) is parameter-free: where the shape changes the
input is subsampled by 2 and zero-padded with extra channels. Option "B" uses a 1x1 conv + BN projection
(``downsample`` = Sequential(conv, bn), as in torchvision's ImageNet ResNet). Parameter counts with
option A and 10 classes: resnet20 269,722, resnet32 464,154, resnet56 853,018.
"""

from __future__ import annotations

from typing import Any, List

from tensorlib import nn
from tensorlib.nn import functional as F
from tensorlib.tensor import Tensor

from ._utils import check_no_weights
from .resnet import BasicBlock, conv1x1, conv3x3

__all__ = ["CifarResNet", "PadShortcut", "resnet20", "resnet32", "resnet56"]


class PadShortcut(nn.Module):
    """Option-A shortcut: keep every ``stride``-th pixel and zero-pad the channels from ``in_planes`` to
    ``out_planes`` (split evenly before and after): (N, in, H, W) -> (N, out, ceil(H/stride), ceil(W/stride))."""

    def __init__(self, in_planes: int, out_planes: int, stride: int) -> None:
        super().__init__()
        self.in_planes, self.out_planes, self.stride = in_planes, out_planes, stride

    def forward(self, x: Tensor) -> Tensor:
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        extra = self.out_planes - self.in_planes
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))

    def extra_repr(self) -> str:
        return f"{self.in_planes}, {self.out_planes}, stride={self.stride}"


class CifarResNet(nn.Module):
    """ResNet for 32x32 input: ``conv1 bn1 relu layer1 layer2 layer3 avgpool fc``.

    Input ``(N, in_channels, H, W)`` (32x32 for CIFAR; any size works) -> logits ``(N, num_classes)``.
    ``shortcut``: "A" (zero-padding identity, default) or "B" (1x1 conv + BN projection).
    """

    def __init__(self, layers: List[int], num_classes: int = 10, in_channels: int = 3, shortcut: str = "A",
                 zero_init_residual: bool = False) -> None:
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
        self.shortcut = shortcut
        self.inplanes = 16
        self.conv1 = conv3x3(in_channels, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, layers[0], stride=1)
        self.layer2 = self._make_layer(32, layers[1], stride=2)
        self.layer3 = self._make_layer(64, layers[2], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            if self.shortcut == "A":
                downsample = PadShortcut(self.inplanes, planes, stride)
            else:
                downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _cifar_resnet(name: str, n: int, weights: Any, pretrained: Any, **kwargs: Any) -> CifarResNet:
    check_no_weights(name, weights, pretrained)
    return CifarResNet([n, n, n], **kwargs)


def resnet20(*, weights: Any = None, progress: bool = True, pretrained: bool = False,
             **kwargs: Any) -> CifarResNet:
    """CIFAR ResNet-20 (n=3); kwargs go to ``CifarResNet`` (``num_classes=10``, ``in_channels=3``,
    ``shortcut="A"``, ``zero_init_residual=False``). 269,722 parameters (0.27M) with the defaults."""
    return _cifar_resnet("resnet20", 3, weights, pretrained, **kwargs)


def resnet32(*, weights: Any = None, progress: bool = True, pretrained: bool = False,
             **kwargs: Any) -> CifarResNet:
    """CIFAR ResNet-32 (n=5); arguments as ``resnet20``. 464,154 parameters (0.46M)."""
    return _cifar_resnet("resnet32", 5, weights, pretrained, **kwargs)


def resnet56(*, weights: Any = None, progress: bool = True, pretrained: bool = False,
             **kwargs: Any) -> CifarResNet:
    """CIFAR ResNet-56 (n=9); arguments as ``resnet20``. 853,018 parameters (0.85M)."""
    return _cifar_resnet("resnet56", 9, weights, pretrained, **kwargs)
