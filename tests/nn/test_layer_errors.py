"""Shape errors raised inside kernels name the layer and its path in the model."""

import pytest

import tensorlib as tl
import tensorlib.nn as nn


def test_kernel_shape_errors_name_the_layer_path():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.Sequential(nn.Conv2d(4, 4, 5)))
    with pytest.raises(RuntimeError, match=r"^2\.0 \(Conv2d\(4, 4, kernel_size=\(5, 5\).*Kernel size can't be greater"):
        model(tl.randn(1, 1, 8, 8))
    with pytest.raises(RuntimeError, match=r"^1 \(MaxPool2d\(kernel_size=2.*Output size is too small"):
        model(tl.randn(1, 1, 3, 3))


def test_channel_mismatch_names_the_nested_path():
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), nn.Conv2d(16, 32, 3))
    with pytest.raises(RuntimeError, match=r"^0\.0 \(Linear\(in_features=4, out_features=3, bias=True\)\) expected"):
        model(tl.randn(2, 5))
