"""Dropout family: statistics, inverted scaling, train/eval, channel masks, reproducibility via manual_seed,
gradients through the mask, errors, and repr parity with PyTorch."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F


def test_dropout_zero_fraction_and_inverted_scale():
    x = tl.ones(200, 500)
    out = F.dropout(x, p=0.3, training=True).numpy()
    zero_fraction = (out == 0).mean()
    assert abs(zero_fraction - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.02  # expectation preserved
    assert out.dtype == np.float32


def test_dropout_eval_and_p0_are_identity_p1_zeros():
    x = tl.randn(4, 5)
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()


def test_dropout_train_mode_changes_output_and_backward_uses_mask():
    x = tl.randn(50, 40, requires_grad=True)
    layer = nn.Dropout(0.5)
    out = layer(x)
    out.sum().backward()
    kept = out.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 2.0, 0.0))


def test_manual_seed_reproduces_masks():
    x = tl.ones(10, 10)
    tl.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    tl.manual_seed(123)
    b = F.dropout(x, 0.5).numpy()
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_channel_dropout_masks_whole_channels():
    x = tl.ones(8, 16, 5, 5)
    out = nn.Dropout2d(0.5)(x).numpy()
    per_channel = out.reshape(8, 16, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # each channel all-zero or all-kept
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    out1 = nn.Dropout1d(0.5)(tl.ones(8, 16, 7)).numpy()
    assert (out1.min(-1) == out1.max(-1)).all()
    unbatched = nn.Dropout1d(0.5)(tl.ones(16, 7)).numpy()
    assert (unbatched.min(-1) == unbatched.max(-1)).all() and 0 < (unbatched == 0).mean() < 1
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(tl.ones(2, 3, 4, 5))


def test_alpha_dropout_keeps_standard_normal_statistics():
    x = tl.randn(400, 500)
    out = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    assert nn.AlphaDropout(0.2).eval()(x) is x


def test_inplace_dropout_writes_input():
    x = tl.ones(20, 20)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and (x.numpy() == 0).any()


def test_invalid_probability():
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(tl.ones(2), -0.1)


def test_train_eval_propagates_to_dropout_inside_model():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9))
    x = tl.randn(3, 4)
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    assert (model(tl.ones(100, 4)).detach().numpy() == 0).mean() > 0.5


@pytest.mark.torch
def test_repr_matches_pytorch_and_eval_parity():
    torch = pytest.importorskip("torch")  # noqa: F841  (used by eval)
    for text in ["Dropout()", "Dropout(0.2, inplace=True)", "Dropout1d(0.3)", "Dropout2d()", "AlphaDropout(0.1)"]:
        assert repr(eval("nn." + text)) == repr(eval("torch.nn." + text))
