"""A small ResNet-like model (stem, residual block, strided block with a 1x1 shortcut) for runtime tests."""

from __future__ import annotations

from tensorlib import nn


class ResidualNet(nn.Module):
    """Stem, a residual block (3x3 convs) and a strided block with a 1x1 shortcut, as in ResNet."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.short = nn.Conv2d(8, 16, 1, stride=2)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        x = self.stem(x)
        x = (self.conv2(self.conv1(x).relu()) + x).relu()
        x = (self.down(x) + self.short(x)).relu()
        return self.head(x.mean((2, 3)))
