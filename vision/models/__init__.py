"""``tensorlib.vision.models``: torchvision-compatible classifiers.

State_dict keys and shapes of ``vgg*``, ``resnet18/34/50`` and ``mobilenet_v2`` match torchvision's, and their
builders take torchvision's pretrained weights (``resnet18(weights=ResNet18_Weights.DEFAULT)``), downloaded
once through ``tensorlib.hub``.
"""

from ._api import Weights, WeightsEnum, get_weight
from ._layers import Conv2dNormActivation
from ._registry import get_model, get_model_builder, get_model_weights, list_models
from ._weights import (
                       MobileNet_V2_Weights,
                       ResNet18_Weights,
                       ResNet34_Weights,
                       ResNet50_Weights,
                       VGG11_BN_Weights,
                       VGG11_Weights,
                       VGG13_BN_Weights,
                       VGG13_Weights,
                       VGG16_BN_Weights,
                       VGG16_Weights,
                       ViT_B_16_Weights,
)
from .cifar_resnet import CifarResNet, PadShortcut, resnet20, resnet32, resnet56
from .lenet import LeNet5, SimpleCNN
from .mobilenetv2 import InvertedResidual, MobileNetV2, mobilenet_v2
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn
from .vision_transformer import VisionTransformer, vit_b_16, vit_tiny

#: torchvision's deprecated alias for the MobileNetV2 conv block
ConvBNReLU = Conv2dNormActivation

__all__ = [
    "LeNet5", "SimpleCNN",
    "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
    "ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
    "CifarResNet", "PadShortcut", "resnet20", "resnet32", "resnet56",
    "MobileNetV2", "InvertedResidual", "mobilenet_v2", "Conv2dNormActivation", "ConvBNReLU",
    "VisionTransformer", "vit_tiny", "vit_b_16",
    "list_models", "get_model", "get_model_builder", "get_model_weights", "get_weight", "Weights", "WeightsEnum",
    "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights",
    "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights", "MobileNet_V2_Weights", "ViT_B_16_Weights",
]
