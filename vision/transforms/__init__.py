"""torchvision-style image transforms for PIL images, HWC NumPy arrays and (..., C, H, W) tensors."""

from . import functional
from ._mix import CutMix, MixUp
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
                         RandomAffine,
                         RandomApply,
                         RandomChoice,
                         RandomCrop,
                         RandomErasing,
                         RandomGrayscale,
                         RandomHorizontalFlip,
                         RandomOrder,
                         RandomResizedCrop,
                         RandomRotation,
                         RandomVerticalFlip,
                         Resize,
                         TenCrop,
                         ToPILImage,
                         ToTensor,
)
