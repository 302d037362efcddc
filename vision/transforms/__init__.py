"""torchvision-style image transforms for PIL images, HWC NumPy arrays and (..., C, H, W) tensors."""

from . import functional
from ._mix import CutMix, MixUp
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment
from .functional import InterpolationMode
from .transforms import (
                         CenterCrop,
                         ColorJitter,
                         Compose,
                         ConvertImageDtype,
                         FiveCrop,
                         GaussianBlur,
                         Grayscale,
                         Lambda,
                         Normalize,
                         Pad,
                         PILToTensor,
                         RandomAdjustSharpness,
                         RandomAffine,
                         RandomApply,
                         RandomAutocontrast,
                         RandomChoice,
                         RandomCrop,
                         RandomEqualize,
                         RandomErasing,
                         RandomGrayscale,
                         RandomHorizontalFlip,
                         RandomInvert,
                         RandomOrder,
                         RandomPosterize,
                         RandomResizedCrop,
                         RandomRotation,
                         RandomSolarize,
                         RandomVerticalFlip,
                         Resize,
                         TenCrop,
                         ToPILImage,
                         ToTensor,
                         TrivialAugmentWide,
)
