"""Look models up by name: ``list_models()``, ``get_model(name, **kwargs)``, ``get_model_builder(name)``,
``get_model_weights(name)``."""

from __future__ import annotations

import fnmatch
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from tensorlib import nn

from . import _weights
from ._api import WeightsEnum
from ._utils import check_no_weights
from .cifar_resnet import resnet20, resnet32, resnet56
from .lenet import LeNet5, SimpleCNN
from .mobilenetv2 import mobilenet_v2
from .resnet import resnet18, resnet34, resnet50
from .vgg import vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn
from .vision_transformer import vit_b_16, vit_tiny

__all__ = ["list_models", "get_model", "get_model_builder", "get_model_weights"]


def _lenet5(*, weights: Any = None, pretrained: bool = False, **kwargs: Any) -> LeNet5:
    check_no_weights("lenet5", weights, pretrained)
    return LeNet5(**kwargs)


def _simple_cnn(*, weights: Any = None, pretrained: bool = False, **kwargs: Any) -> SimpleCNN:
    check_no_weights("simple_cnn", weights, pretrained)
    return SimpleCNN(**kwargs)


_BUILDERS: Dict[str, Callable[..., nn.Module]] = {
    "lenet5": _lenet5,
    "simple_cnn": _simple_cnn,
    "vgg11": vgg11, "vgg11_bn": vgg11_bn, "vgg13": vgg13, "vgg13_bn": vgg13_bn,
    "vgg16": vgg16, "vgg16_bn": vgg16_bn,
    "resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50,
    "resnet20": resnet20, "resnet32": resnet32, "resnet56": resnet56,
    "mobilenet_v2": mobilenet_v2,
    "vit_tiny": vit_tiny, "vit_b_16": vit_b_16,
}


def _patterns(value: Union[str, Iterable[str], None]) -> List[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def list_models(module: Any = None, include: Union[str, Iterable[str], None] = None,
                exclude: Union[str, Iterable[str], None] = None) -> List[str]:
    """Sorted names accepted by ``get_model``, filtered by Unix-style wildcard ``include``/``exclude``
    patterns (e.g. ``list_models(include="resnet*")``). ``module`` is accepted for torchvision compatibility
    and must be None (all models are classifiers)."""
    if module is not None and getattr(module, "__name__", "").split(".")[-1] != "models":
        raise ValueError(f"tensorlib.vision.models has no sub-module {module!r}: all models are classifiers")
    names = sorted(_BUILDERS)
    if include is not None:
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in _patterns(include))]
    if exclude is not None:
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in _patterns(exclude))]
    return names


def get_model_builder(name: str) -> Callable[..., nn.Module]:
    """The builder function registered under ``name`` (case-insensitive); ValueError for unknown names."""
    key = name.lower()
    if key not in _BUILDERS:
        raise ValueError(f"Unknown model {name!r}; available models: {', '.join(sorted(_BUILDERS))}")
    return _BUILDERS[key]


def get_model(name: str, **config: Any) -> nn.Module:
    """Build the model registered under ``name`` with ``config`` as keyword arguments, e.g.
    ``get_model("resnet18", num_classes=10)``."""
    builder: Optional[Callable[..., nn.Module]] = get_model_builder(name)
    return builder(**config)


_WEIGHTS: Dict[str, type] = {
    "resnet18": _weights.ResNet18_Weights, "resnet34": _weights.ResNet34_Weights, "resnet50": _weights.ResNet50_Weights,
    "vgg11": _weights.VGG11_Weights, "vgg11_bn": _weights.VGG11_BN_Weights, "vgg13": _weights.VGG13_Weights,
    "vgg13_bn": _weights.VGG13_BN_Weights, "vgg16": _weights.VGG16_Weights, "vgg16_bn": _weights.VGG16_BN_Weights,
    "mobilenet_v2": _weights.MobileNet_V2_Weights, "vit_b_16": _weights.ViT_B_16_Weights,
}


def get_model_weights(name: Union[Callable[..., nn.Module], str]) -> type:
    """The weights enum class of a model, given its builder or registered name
    (``get_model_weights("resnet18") is ResNet18_Weights``); ValueError for models without pretrained weights."""
    key = name.lower() if isinstance(name, str) else getattr(name, "__name__", "")
    if isinstance(name, str):
        get_model_builder(name)  # unknown names list the available models
    enum = _WEIGHTS.get(key)
    if enum is None or not issubclass(enum, WeightsEnum):
        raise ValueError(f"The model {key or name!r} has no pretrained weights; models with weights: "
                         + ", ".join(sorted(_WEIGHTS)))
    return enum
