"""Weights enums of torchvision's ImageNet classifiers that tensorlib has: URLs, preprocessing and metadata
exactly as torchvision publishes them (the files are plain PyTorch state_dicts with torchvision's keys)."""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, Tuple

from ..transforms._presets import ImageClassification
from ._api import Weights, WeightsEnum
from ._meta import _IMAGENET_CATEGORIES

__all__ = ["ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "VGG11_Weights", "VGG11_BN_Weights",
           "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights", "MobileNet_V2_Weights",
           "ViT_B_16_Weights"]

_BASE = "https://download.pytorch.org/models/"
_RESNET_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_VGG_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg"
_V2_RECIPE = "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621"
_PAPER_DOCS = "These weights reproduce closely the results of the paper using a simple training recipe."
_VGG_DOCS = "These weights were trained from scratch by using a simplified training recipe."
_V2_DOCS = ("These weights improve upon the results of the original paper by using TorchVision's `new training "
            "recipe <https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-"
            "primitives/>`_.")


def _weights(file: str, num_params: int, acc: Tuple[float, float], ops: float, file_size: float, recipe: str,
             docs: str, min_size: Tuple[int, int] = (1, 1), resize_size: int = 256, **extra: Any) -> Weights:
    meta: Dict[str, Any] = {"min_size": min_size, "categories": _IMAGENET_CATEGORIES, "num_params": num_params,
                            "recipe": recipe, "_metrics": {"ImageNet-1K": {"acc@1": acc[0], "acc@5": acc[1]}},
                            "_ops": ops, "_file_size": file_size, "_docs": docs}
    transform_args = {key: extra.pop(key) for key in ("mean", "std") if key in extra}
    meta.update(extra)
    return Weights(url=_BASE + file, meta=meta,
                   transforms=partial(ImageClassification, crop_size=224, resize_size=resize_size, **transform_args)
                   if resize_size != 256 else partial(ImageClassification, crop_size=224, **transform_args))


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet18-f37072fd.pth", 11689512, (69.758, 89.078), 1.814, 44.661, _RESNET_RECIPE,
                             _PAPER_DOCS)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet34-b627a593.pth", 21797672, (73.314, 91.420), 3.664, 83.275, _RESNET_RECIPE,
                             _PAPER_DOCS)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet50-0676ba61.pth", 25557032, (76.130, 92.862), 4.089, 97.781, _RESNET_RECIPE,
                             _PAPER_DOCS)
    IMAGENET1K_V2 = _weights("resnet50-11ad3fa6.pth", 25557032, (80.858, 95.434), 4.089, 97.79, _V2_RECIPE,
                             _V2_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V2


def _vgg(file: str, num_params: int, acc: Tuple[float, float], ops: float, file_size: float) -> Weights:
    return _weights(file, num_params, acc, ops, file_size, _VGG_RECIPE, _VGG_DOCS, min_size=(32, 32))


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg11-8a719046.pth", 132863336, (69.020, 88.628), 7.609, 506.84)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg11_bn-6002323d.pth", 132868840, (70.370, 89.810), 7.609, 506.881)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg13-19584684.pth", 133047848, (69.928, 89.246), 11.308, 507.545)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg13_bn-abd245e5.pth", 133053736, (71.586, 90.374), 11.308, 507.59)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg16-397923af.pth", 138357544, (71.592, 90.382), 15.47, 527.796)
    # ported from amdegroot/ssd.pytorch: only ``features`` is valid (for feature extraction), no classifier
    IMAGENET1K_FEATURES = _weights(
        "vgg16_features-amdegroot-88682ab5.pth", 138357544, (float("nan"), float("nan")), 15.47, 527.802,
        "https://github.com/amdegroot/ssd.pytorch#training-ssd",
        "These weights can't be used for classification because they are missing values in the `classifier` module. "
        "Only the `features` module has valid values and can be used for feature extraction. The weights were "
        "trained using the original input standardization method as described in the paper.",
        min_size=(32, 32), mean=(0.48235, 0.45882, 0.40784), std=(1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0),
        categories=None)
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg16_bn-6c64b313.pth", 138365992, (73.360, 91.516), 15.47, 527.866)
    DEFAULT = IMAGENET1K_V1


class MobileNet_V2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("mobilenet_v2-b0353104.pth", 3504872, (71.878, 90.286), 0.301, 13.555,
                             "https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv2",
                             _PAPER_DOCS)
    IMAGENET1K_V2 = _weights("mobilenet_v2-7ebf99e0.pth", 3504872, (72.154, 90.822), 0.301, 13.598,
                             "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning", _V2_DOCS,
                             resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vit_b_16-c867db91.pth", 86567656, (81.072, 95.318), 17.564, 330.285,
                             "https://github.com/pytorch/vision/tree/main/references/classification#vit_b_16",
                             "These weights were trained from scratch by using a modified version of `DeIT "
                             "<https://arxiv.org/abs/2012.12877>`_'s training recipe.", min_size=(224, 224))
    DEFAULT = IMAGENET1K_V1
