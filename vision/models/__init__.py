"""``tensorlib.vision.models``: torchvision-compatible classifiers with random init (no weight downloads).

State_dict keys and shapes of ``vgg*``, ``resnet18/34/50`` and ``mobilenet_v2`` match torchvision's, so
converted torchvision weights load with ``model.load_state_dict(tl.load("weights.safetensors"))``.
"""

from ._layers import Conv2dNormActivation
from ._registry import get_model, get_model_builder, list_models
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
    "list_models", "get_model", "get_model_builder",
]
