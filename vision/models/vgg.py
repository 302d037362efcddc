"""VGG-11/13/16 with and without batch norm (torchvision's ``VGG`` layout, names and init).

``input_size`` (default 224) picks the head: for ``input_size >= 224`` the layout is exactly torchvision's
(``avgpool`` = AdaptiveAvgPool2d((7, 7)), classifier 512*7*7 -> 4096 -> 4096 -> num_classes), so state_dict
keys and shapes match torchvision's. For smaller inputs (e.g. 32 for CIFAR) the five max pools leave at
most a few pixels, so ``avgpool`` becomes AdaptiveAvgPool2d((1, 1)) and the classifier 512 -> 512 -> 512 ->
num_classes (same module indices: Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear); ``features`` is
unchanged. With 1000 classes this cuts vgg16 from 138.4M to 15.8M parameters.
"""

from __future__ import annotations

from typing import Any, Dict, List, Union

from tensorlib import nn
from tensorlib.nn.modules.module import shape_error
from tensorlib.tensor import Tensor

from . import _weights
from ._api import load_pretrained, resolve_weights

__all__ = ["VGG", "make_layers", "cfgs", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn"]

#: Below this input size the compact (1x1-pooled, 512-wide) head is used.
FULL_HEAD_MIN_SIZE = 224
#: Five 2x2 max pools need at least this many pixels per side.
MIN_INPUT_SIZE = 32

cfgs: Dict[str, List[Union[str, int]]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """VGG classifier: ``features`` -> ``avgpool`` -> flatten -> ``classifier``.

    Input ``(N, C, H, W)`` with ``H, W >= 32`` -> logits ``(N, num_classes)``. ``features`` is built by
    ``make_layers``; see the module docstring for what ``input_size`` changes.
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5, input_size: int = 224) -> None:
        super().__init__()
        if input_size < MIN_INPUT_SIZE:
            raise ValueError(f"VGG needs input_size >= {MIN_INPUT_SIZE} (five 2x2 max pools), "
                             f"got input_size={input_size}")
        self.features = features
        pooled, hidden = (7, 4096) if input_size >= FULL_HEAD_MIN_SIZE else (1, 512)
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        self.classifier = nn.Sequential(
            nn.Linear(512 * pooled * pooled, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim >= 3 and min(x.shape[-2:]) < MIN_INPUT_SIZE:
            raise shape_error(self, f"expected input of at least {MIN_INPUT_SIZE}x{MIN_INPUT_SIZE} pixels (five "
                                    f"2x2 max pools), got {tuple(x.shape)}")
        x = self.features(x)
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.classifier(x)


def make_layers(cfg: List[Union[str, int]], batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The ``features`` stack: each int is Conv2d(3x3, padding=1) [-> BatchNorm2d] -> ReLU, "M" a 2x2 max pool."""
    layers: List[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        conv2d = nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1)
        if batch_norm:
            layers += [conv2d, nn.BatchNorm2d(int(v)), nn.ReLU(inplace=True)]
        else:
            layers += [conv2d, nn.ReLU(inplace=True)]
        in_channels = int(v)
    return nn.Sequential(*layers)


def _vgg(name: str, cfg: str, batch_norm: bool, weights: Any, pretrained: Any, progress: bool = True,
         in_channels: int = 3, **kwargs: Any) -> VGG:
    enum = getattr(_weights, name.upper() + "_Weights")
    weights = resolve_weights(name, enum, weights, pretrained, kwargs)
    if weights is not None:
        kwargs["init_weights"] = False
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm, in_channels=in_channels), **kwargs)
    return load_pretrained(model, weights, progress)


def vgg11(*, weights: Any = None, progress: bool = True, pretrained: bool = False, **kwargs: Any) -> VGG:
    """VGG-11 (config "A"). kwargs: ``num_classes=1000, in_channels=3, init_weights=True, dropout=0.5,
    input_size=224``. 132,863,336 parameters with the defaults."""
    return _vgg("vgg11", "A", False, weights, pretrained, progress, **kwargs)


def vgg11_bn(*, weights: Any = None, progress: bool = True, pretrained: bool = False, **kwargs: Any) -> VGG:
    """VGG-11 with BatchNorm2d after every conv; arguments as ``vgg11``. 132,868,840 parameters."""
    return _vgg("vgg11_bn", "A", True, weights, pretrained, progress, **kwargs)


def vgg13(*, weights: Any = None, progress: bool = True, pretrained: bool = False, **kwargs: Any) -> VGG:
    """VGG-13 (config "B"); arguments as ``vgg11``. 133,047,848 parameters."""
    return _vgg("vgg13", "B", False, weights, pretrained, progress, **kwargs)


def vgg13_bn(*, weights: Any = None, progress: bool = True, pretrained: bool = False, **kwargs: Any) -> VGG:
    """VGG-13 with BatchNorm2d; arguments as ``vgg11``. 133,053,736 parameters."""
    return _vgg("vgg13_bn", "B", True, weights, pretrained, progress, **kwargs)


def vgg16(*, weights: Any = None, progress: bool = True, pretrained: bool = False, **kwargs: Any) -> VGG:
    """VGG-16 (config "D"); arguments as ``vgg11``. 138,357,544 parameters."""
    return _vgg("vgg16", "D", False, weights, pretrained, progress, **kwargs)


def vgg16_bn(*, weights: Any = None, progress: bool = True, pretrained: bool = False, **kwargs: Any) -> VGG:
    """VGG-16 with BatchNorm2d; arguments as ``vgg11``. 138,365,992 parameters."""
    return _vgg("vgg16_bn", "D", True, weights, pretrained, progress, **kwargs)
