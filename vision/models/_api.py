"""Pretrained-weights API as torchvision's: ``Weights``, ``WeightsEnum``, ``get_weight``, and the builders'
handling of ``weights=`` (enum, its name as a string, or None) and the deprecated ``pretrained=True``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Callable, Dict, Optional

__all__ = ["Weights", "WeightsEnum", "UnknownWeightsError", "get_weight", "resolve_weights", "load_pretrained"]


@dataclass
class Weights:
    """One set of weights: where the state_dict is (``url``), the preprocessing constructor (``transforms``)
    and ``meta`` (``categories``, ``num_params``, ``min_size``, ``_metrics``, ``recipe`` ...)."""

    url: str
    transforms: Callable
    meta: Dict[str, Any]

    def __eq__(self, other: Any) -> bool:
        # partial objects compare by identity; compare what they do so copies of an enum member stay equal
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        if isinstance(self.transforms, partial) and isinstance(other.transforms, partial):
            return (self.transforms.func == other.transforms.func and self.transforms.args == other.transforms.args
                    and self.transforms.keywords == other.transforms.keywords)
        return self.transforms == other.transforms


class UnknownWeightsError(KeyError, ValueError):
    """A weights name that does not exist; the message lists the available ones."""

    def __str__(self) -> str:
        return str(self.args[0])


class WeightsEnum(Enum):
    """Base of ``ResNet18_Weights`` & co.: members are ``Weights``; ``DEFAULT`` aliases the best one."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """``obj`` as a member of this enum: a member, its name (``"IMAGENET1K_V1"``, ``"DEFAULT"``,
        ``"ResNet18_Weights.DEFAULT"``) or None."""
        if obj is None:
            return None
        if type(obj) is str:
            name = obj.replace(cls.__name__ + ".", "")
            if name not in cls.__members__:
                raise UnknownWeightsError(f"Unknown weights {obj!r} for {cls.__name__}; available: "
                                          + ", ".join(cls.__members__))
            return cls[name]
        if not isinstance(obj, cls):
            raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                            f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any) -> Dict[str, Any]:
        """Download (once; see ``tensorlib.hub``) and load the state_dict."""
        from tensorlib.hub import load_state_dict_from_url

        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> Dict[str, Any]:
        return self.value.meta


def get_weight(name: str) -> WeightsEnum:
    """The weights member named ``"<Enum>.<member>"``, e.g. ``get_weight("ResNet50_Weights.IMAGENET1K_V2")``."""
    from . import _weights

    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    enum = getattr(_weights, enum_name, None)
    if not (isinstance(enum, type) and issubclass(enum, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved; available: "
                         + ", ".join(_weights.__all__))
    return enum.verify(value_name)


def resolve_weights(builder: str, enum: type, weights: Any, pretrained: Any,
                    kwargs: Dict[str, Any]) -> Optional[WeightsEnum]:
    """The builder's weights after torchvision's legacy handling (``pretrained=True`` -> ``IMAGENET1K_V1``
    with its deprecation warnings); sets ``kwargs["num_classes"]`` from the weights' categories and refuses a
    conflicting value as torchvision does."""
    if pretrained and weights is None:
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                      "please use 'weights' instead.", UserWarning, stacklevel=3)
        weights = enum.IMAGENET1K_V1
        warnings.warn("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may "
                      f"be removed in the future. The current behavior is equivalent to passing `weights={weights}`. "
                      f"You can also use `weights={enum.__name__}.DEFAULT` to get the most up-to-date weights.",
                      UserWarning, stacklevel=3)
    weights = enum.verify(weights)
    if weights is not None and weights.meta["categories"] is not None:
        expected = len(weights.meta["categories"])
        if kwargs.get("num_classes", expected) != expected:
            raise ValueError(f"The parameter 'num_classes' expected value {expected} but got "
                             f"{kwargs['num_classes']} instead.")
        kwargs["num_classes"] = expected
    return weights


def load_pretrained(model: Any, weights: Optional[WeightsEnum], progress: bool) -> Any:
    """Load ``weights`` (downloaded and hash-checked) into ``model``; returns the model."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
