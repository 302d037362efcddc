"""nn.Unfold / nn.Fold layers over the im2col / col2im kernels."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F

RNG = np.random.default_rng(0)


def test_unfold_then_fold_with_non_overlapping_blocks_restores_the_image():
    x = tl.tensor(RNG.standard_normal((2, 3, 4, 6)), dtype=tl.float32)
    blocks = nn.Unfold(kernel_size=2, stride=2)(x)
    assert blocks.shape == (2, 3 * 2 * 2, 2 * 3)
    np.testing.assert_array_equal(blocks.numpy(), F.unfold(x, 2, stride=2).numpy())
    restored = nn.Fold(output_size=(4, 6), kernel_size=2, stride=2)(blocks)
    np.testing.assert_array_equal(restored.numpy(), x.numpy())


def test_fold_sums_overlapping_blocks():
    ones = tl.ones(1, 1 * 2 * 2, 4)  # 2x2 blocks over a 3x3 image, stride 1: the centre is covered four times
    out = nn.Fold(output_size=3, kernel_size=2)(ones)
    np.testing.assert_array_equal(out.numpy()[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_repr_matches_pytorch_format():
    assert repr(nn.Unfold(kernel_size=(2, 3))) == "Unfold(kernel_size=(2, 3), dilation=1, padding=0, stride=1)"
    assert repr(nn.Fold(output_size=(4, 5), kernel_size=2, padding=1)) == \
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=1, stride=1)"


def test_layers_match_pytorch_values_and_gradients():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 5, 6))
    ours = tl.tensor(x, dtype=tl.float64, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    args = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    out, ref = nn.Unfold(**args)(ours), torch.nn.Unfold(**args)(theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
    folded = nn.Fold(output_size=(5, 6), **args)(out)
    folded_ref = torch.nn.Fold(output_size=(5, 6), **args)(ref)
    np.testing.assert_allclose(folded.detach().numpy(), folded_ref.detach().numpy())
    (folded * folded).sum().backward()
    (folded_ref * folded_ref).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
