"""VisionTransformer / vit_tiny: torchvision's state_dict layout and init, shapes, errors, and learning."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
from tensorlib.vision import models


def test_state_dict_layout_is_torchvisions():
    model = models.VisionTransformer(8, 4, num_layers=2, num_heads=2, hidden_dim=8, mlp_dim=16, num_classes=3)
    layout = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    block = "encoder.layers.encoder_layer_1."
    assert list(layout)[:4] == ["class_token", "conv_proj.weight", "conv_proj.bias", "encoder.pos_embedding"]
    assert layout["encoder.pos_embedding"] == (1, 5, 8) and layout["class_token"] == (1, 1, 8)
    assert layout[block + "self_attention.in_proj_weight"] == (24, 8)
    assert layout[block + "self_attention.out_proj.weight"] == (8, 8)
    assert layout[block + "mlp.0.weight"] == (16, 8) and layout[block + "mlp.3.weight"] == (8, 16)
    assert {block + "ln_1.weight", block + "ln_2.bias", "encoder.ln.weight", "heads.head.weight"} <= set(layout)
    assert model.heads.head.weight.abs().sum().item() == 0  # torchvision zero-initialises the head
    assert model.encoder.ln.eps == 1e-6


def test_vit_tiny_shapes_mnist_and_cifar():
    tl.manual_seed(0)
    mnist = models.vit_tiny(image_size=28, in_channels=1, num_layers=1)
    assert mnist(tl.randn(2, 1, 28, 28)).shape == (2, 10)
    assert mnist.seq_length == 50
    cifar = models.get_model("vit_tiny", num_layers=1, num_classes=100)
    assert cifar(tl.randn(2, 3, 32, 32)).shape == (2, 100)
    with pytest.raises(nn.ModuleShapeError, match=r"expected images \(N, 3, 32, 32\), got \(2, 3, 28, 28\)"):
        cifar(tl.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match="indivisible by patch size"):
        models.VisionTransformer(30, 4, 1, 1, 8, 8)
    with pytest.raises(ValueError, match="there are no pretrained weights for vit_tiny"):
        models.vit_tiny(weights="DEFAULT")


def test_small_vit_learns_where_the_bright_patch_is():
    """Class = which quadrant holds a bright 4x4 square; needs the patch positions."""
    tl.manual_seed(0)
    rng = np.random.default_rng(0)
    images = rng.normal(0, 0.1, (128, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 4, 128)
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 2)
        images[i, 0, row * 4:row * 4 + 4, col * 4:col * 4 + 4] += 1.0
    x, y = tl.from_numpy(images), tl.from_numpy(labels.astype(np.int64))
    model = models.VisionTransformer(8, 4, num_layers=1, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=4,
                                     in_channels=1)
    optimizer = tl.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    assert (model(x).argmax(1) == y).float().mean().item() >= 0.95
