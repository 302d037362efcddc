"""Vision Transformer (Dosovitskiy et al. 2020) with torchvision's module layout, and ``vit_tiny`` for small images.

``VisionTransformer`` mirrors torchvision's class: the same constructor arguments (plus ``in_channels``) and the
same state_dict keys (``class_token``, ``conv_proj``, ``encoder.pos_embedding``,
``encoder.layers.encoder_layer_{i}.{ln_1,self_attention,ln_2,mlp}``, ``encoder.ln``, ``heads.head``), so
converted torchvision ``vit_b_16`` weights load. ``vit_tiny`` is a small configuration for 28x28/32x32 images.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, Optional

from tensorlib import cat, empty, nn, zeros
from tensorlib.nn.modules.module import shape_error
from tensorlib.tensor import Tensor

from . import _weights
from ._api import load_pretrained, resolve_weights
from ._utils import check_no_weights

__all__ = ["VisionTransformer", "vit_tiny", "vit_b_16"]


class MLPBlock(nn.Sequential):
    """Linear(in, mlp) -> GELU -> Dropout -> Linear(mlp, in) -> Dropout (torchvision's ``MLPBlock`` keys 0-4)."""

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(nn.Linear(in_dim, mlp_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp_dim, in_dim),
                         nn.Dropout(dropout))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """Pre-norm Transformer block: ``x + attention(ln_1(x))`` then ``x + mlp(ln_2(x))``; input ``(N, S, D)``."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, dropout=attention_dropout,
                                                    batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 3:
            raise shape_error(self, f"expected (batch_size, seq_length, hidden_dim), got {tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Learned position embeddings, ``num_layers`` encoder blocks and a final LayerNorm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int, mlp_dim: int,
                 dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(empty(1, seq_length, hidden_dim))
        nn.init.normal_(self.pos_embedding, std=0.02)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                                                norm_layer)) for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """Split the image into ``patch_size`` squares (a strided conv), prepend a class token, run a Transformer
    encoder and classify the class token. Input ``(N, in_channels, image_size, image_size)`` ->
    ``(N, num_classes)``."""

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float = 0.0, attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: Optional[int] = None,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6), in_channels: int = 3) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"Input shape indivisible by patch size! (image_size={image_size}, "
                             f"patch_size={patch_size})")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        self.conv_proj = nn.Conv2d(in_channels, hidden_dim, kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1  # + the class token
        self.class_token = nn.Parameter(zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                               norm_layer)
        self.seq_length = seq_length
        heads: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        # torchvision's initialisation
        fan_in = in_channels * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / hidden_dim))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        """``(N, C, H, W)`` -> ``(N, (H/p) * (W/p), hidden_dim)`` patch embeddings."""
        if x.ndim != 4 or tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            raise shape_error(self, f"expected images (N, {self.conv_proj.in_channels}, {self.image_size}, "
                                    f"{self.image_size}), got {tuple(x.shape)}")
        n = x.shape[0]
        x = self.conv_proj(x)
        return x.reshape(n, self.hidden_dim, -1).permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        # expand_as, not expand(x.shape[0], -1, -1): a jit-traced graph then takes the batch size from x
        batch_class_token = self.class_token.expand_as(x[:, :1])
        x = self.encoder(cat([batch_class_token, x], dim=1))
        return self.heads(x[:, 0])


def vit_tiny(*, weights: Any = None, pretrained: bool = False, image_size: int = 32, patch_size: int = 4,
             in_channels: int = 3, num_classes: int = 10, **kwargs: Any) -> VisionTransformer:
    """A small ViT for 28x28/32x32 images: 6 layers, 3 heads, hidden 192, MLP 384, 4x4 patches
    (``image_size=28, in_channels=1`` for MNIST: 49 patches + the class token). ~1.8M parameters."""
    check_no_weights("vit_tiny", weights, pretrained)
    options = dict(num_layers=6, num_heads=3, hidden_dim=192, mlp_dim=384)
    options.update(kwargs)
    return VisionTransformer(image_size, patch_size, num_classes=num_classes, in_channels=in_channels, **options)


def vit_b_16(*, weights: Any = None, progress: bool = True, pretrained: bool = False,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/16 (torchvision's configuration: 224x224 images, 12 layers, 12 heads, hidden 768, MLP 3072);
    ``weights=ViT_B_16_Weights.IMAGENET1K_V1`` (or ``"DEFAULT"``) loads torchvision's ImageNet weights."""
    weights = resolve_weights("vit_b_16", _weights.ViT_B_16_Weights, weights, pretrained, kwargs)
    options = dict(image_size=224, patch_size=16, num_layers=12, num_heads=12, hidden_dim=768, mlp_dim=3072)
    options.update(kwargs)
    return load_pretrained(VisionTransformer(**options), weights, progress)
