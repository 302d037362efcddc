"""``tensorlib.vision.transforms.v2``: torchvision's v2 transforms API.

A v2 transform takes a whole sample: ``t(image)``, ``t(image, label)`` or ``t({"image": img, "label": 3})``;
PIL images are transformed, and a plain tensor when there is no PIL image (only the first one), everything
else passes through. The image transforms are v1's, with v1's arguments and results per image; v2 adds
``ToImage``, ``ToDtype(dtype, scale=False)``, ``ToPureTensor``, ``Identity``, ``RGB``, ``GaussianNoise`` and
sample-aware ``Compose``/``RandomApply``/``RandomChoice``/``RandomOrder``/``Lambda``.
Deliberate differences: there are no ``tv_tensors`` (bounding boxes, masks are passed through untransformed),
and a random transform draws its parameters separately for each image of a sample.
"""

from .. import transforms as _v1
from .._mix import CutMix, MixUp
from ..autoaugment import AugMix as _AugMix
from ..autoaugment import AutoAugment as _AutoAugment
from ..autoaugment import AutoAugmentPolicy
from ..autoaugment import RandAugment as _RandAugment
from ..functional import InterpolationMode
from . import functional
from ._new import (
    RGB,
    Compose,
    GaussianNoise,
    Identity,
    Lambda,
    RandomApply,
    RandomChannelPermutation,
    RandomChoice,
    RandomOrder,
    RandomResize,
    ToDtype,
    ToImage,
    ToPureTensor,
    ToTensor,
)
from ._transform import Transform, v2_of

CenterCrop = v2_of(_v1.CenterCrop)
ColorJitter = v2_of(_v1.ColorJitter)
ConvertImageDtype = v2_of(_v1.ConvertImageDtype)
FiveCrop = v2_of(_v1.FiveCrop)
GaussianBlur = v2_of(_v1.GaussianBlur)
Grayscale = v2_of(_v1.Grayscale)
Normalize = v2_of(_v1.Normalize)
Pad = v2_of(_v1.Pad)
PILToTensor = v2_of(_v1.PILToTensor)
RandomAdjustSharpness = v2_of(_v1.RandomAdjustSharpness)
RandomAffine = v2_of(_v1.RandomAffine)
RandomAutocontrast = v2_of(_v1.RandomAutocontrast)
RandomCrop = v2_of(_v1.RandomCrop)
RandomEqualize = v2_of(_v1.RandomEqualize)
RandomErasing = v2_of(_v1.RandomErasing)
RandomGrayscale = v2_of(_v1.RandomGrayscale)
RandomHorizontalFlip = v2_of(_v1.RandomHorizontalFlip)
RandomInvert = v2_of(_v1.RandomInvert)
RandomPosterize = v2_of(_v1.RandomPosterize)
RandomResizedCrop = v2_of(_v1.RandomResizedCrop)
RandomRotation = v2_of(_v1.RandomRotation)
RandomSolarize = v2_of(_v1.RandomSolarize)
RandomVerticalFlip = v2_of(_v1.RandomVerticalFlip)
Resize = v2_of(_v1.Resize)
TenCrop = v2_of(_v1.TenCrop)
ToPILImage = v2_of(_v1.ToPILImage)
TrivialAugmentWide = v2_of(_v1.TrivialAugmentWide)
AutoAugment = v2_of(_AutoAugment)
RandAugment = v2_of(_RandAugment)
AugMix = v2_of(_AugMix)

__all__ = [
    "AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype",
    "CutMix", "FiveCrop", "GaussianBlur", "GaussianNoise", "Grayscale", "Identity", "InterpolationMode", "Lambda",
    "MixUp", "Normalize", "PILToTensor", "Pad", "RGB", "RandAugment", "RandomAdjustSharpness", "RandomAffine",
    "RandomApply", "RandomAutocontrast", "RandomChannelPermutation", "RandomChoice", "RandomCrop", "RandomEqualize",
    "RandomErasing", "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomPosterize",
    "RandomResize", "RandomResizedCrop", "RandomRotation", "RandomSolarize", "RandomVerticalFlip", "Resize",
    "TenCrop", "ToDtype", "ToImage", "ToPILImage", "ToPureTensor", "ToTensor", "Transform", "TrivialAugmentWide",
    "functional",
]
