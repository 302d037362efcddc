"""Small classifiers for MNIST/CIFAR-size images: ``LeNet5`` and ``SimpleCNN``."""

from __future__ import annotations

from tensorlib import nn
from tensorlib.nn.modules.module import shape_error
from tensorlib.tensor import Tensor

__all__ = ["LeNet5", "SimpleCNN"]


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, for 28x28 images such as MNIST.

    ``features``: Conv2d(in_channels, 6, 5, padding=2) -> ReLU -> MaxPool2d(2) -> Conv2d(6, 16, 5) -> ReLU ->
    MaxPool2d(2); ``classifier``: Linear(400, 120) -> ReLU -> Linear(120, 84) -> ReLU ->
    Linear(84, num_classes). The padding of the first conv keeps 28x28 at 28x28, so the features are
    16 x 5 x 5 = 400 exactly for 28x28 input; other sizes raise ``ModuleShapeError``.

    Input ``(N, in_channels, 28, 28)`` -> logits ``(N, num_classes)``. 61,706 parameters for the defaults.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.flatten = nn.Flatten(1)
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim >= 3 and tuple(x.shape[-2:]) != (28, 28):
            raise shape_error(self, f"expected 28x28 images, got {tuple(x.shape)}")
        return self.classifier(self.flatten(self.features(x)))


class SimpleCNN(nn.Module):
    """A small, fast conv net for CIFAR-size (32x32) images; works for any input of at least 4x4.

    ``features``: three stages of Conv2d(3x3, padding=1) -> BatchNorm2d -> ReLU with 32, 64 and 128
    channels, the first two followed by MaxPool2d(2); ``avgpool``: AdaptiveAvgPool2d((1, 1));
    ``classifier``: Dropout(dropout) -> Linear(128, num_classes).

    Input ``(N, in_channels, H, W)`` -> logits ``(N, num_classes)``; 94,762 parameters for the defaults.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 3, dropout: float = 0.1) -> None:
        super().__init__()
        layers = []
        widths = (32, 64, 128)
        for i, width in enumerate(widths):
            layers += [nn.Conv2d(in_channels, width, kernel_size=3, padding=1, bias=False),
                       nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            in_channels = width
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(widths[-1], num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim >= 3 and min(x.shape[-2:]) < 4:
            raise shape_error(self, f"expected input of at least 4x4 pixels (two 2x2 max pools), "
                                    f"got {tuple(x.shape)}")
        return self.classifier(self.flatten(self.avgpool(self.features(x))))
