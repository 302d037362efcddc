"""Tensor construction, dtypes and promotion, conversions, printing and error types."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl


def test_creation_dtypes_follow_pytorch():
    assert tl.tensor([1.0, 2.0]).dtype == tl.float32
    assert tl.tensor([1, 2]).dtype == tl.int64
    assert tl.tensor([True]).dtype == tl.bool
    assert tl.tensor(np.array([1.0])).dtype == tl.float32  # NumPy's float64 default does not leak
    assert tl.tensor(np.array([1.0]), dtype=tl.float64).dtype == tl.float64
    assert tl.zeros(2, 3).dtype == tl.float32 and tl.zeros(2, 3).shape == (2, 3)
    assert tl.ones((2, 3), dtype=tl.int32).dtype == tl.int32
    assert tl.full((2,), 7).dtype == tl.int64 and tl.full((2,), 7.0).dtype == tl.float32
    assert tl.arange(5).dtype == tl.int64 and tl.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    assert tl.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert tl.eye(2).tolist() == [[1, 0], [0, 1]]
    assert tl.empty(3).shape == (3,)
    x = tl.randn(2, 3)
    for like in (tl.zeros_like(x), tl.ones_like(x), tl.full_like(x, 2.0), tl.empty_like(x), tl.rand_like(x)):
        assert like.shape == x.shape and like.dtype == tl.float32
    assert tl.randint(0, 10, (100,)).dtype == tl.int64
    assert sorted(tl.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    assert tl.tensor([tl.tensor(1.0), tl.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_from_numpy_shares_memory_and_as_tensor():
    a = np.zeros(3, dtype=np.float64)
    t = tl.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5 and t.dtype == tl.float64
    assert tl.as_tensor(a).numpy() is a
    with pytest.raises(TypeError):
        tl.from_numpy(np.array(["a"]))


def test_promotion_rules():
    f32 = tl.ones(2)
    assert (f32 * 0.5).dtype == tl.float32
    assert (f32 * 2).dtype == tl.float32
    assert (tl.arange(3) * 0.5).dtype == tl.float32
    assert (tl.arange(3) / tl.arange(1, 4)).dtype == tl.float32
    assert (tl.arange(3) + tl.ones(3)).dtype == tl.float32
    assert (tl.arange(3) + 1).dtype == tl.int64
    assert (f32 + tl.ones(2, dtype=tl.float64)).dtype == tl.float64
    assert (tl.ones(2, dtype=tl.int32) + tl.ones(2, dtype=tl.int64)).dtype == tl.int64
    assert (tl.tensor([True]) + 1).dtype == tl.int64
    assert (f32 > 0).dtype == tl.bool
    assert (tl.arange(4) // 2).tolist() == [0, 0, 1, 1]
    assert tl.div(tl.tensor([-7, 7]), 2, rounding_mode="trunc").tolist() == [-3, 3]
    assert tl.div(tl.tensor([-7.0, 7.0]), 2, rounding_mode="floor").tolist() == [-4, 3]


def test_conversions():
    x = tl.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.long().dtype == tl.int64
    assert x.int().dtype == tl.int32 and x.double().dtype == tl.float64 and x.half().dtype == tl.float16
    assert x.bool().tolist() == [True, True]
    assert x.to(tl.float64).dtype == tl.float64 and x.to("cpu") is x
    assert x.to("cpu", tl.int64).dtype == tl.int64
    assert x.type(tl.int64).dtype == tl.int64
    assert x.float() is x
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    assert tl.tensor(3.5).item() == 3.5 and isinstance(tl.tensor(3).item(), int)
    assert float(tl.tensor([2.0])) == 2.0 and int(tl.tensor(3)) == 3
    assert np.asarray(x).dtype == np.float32
    assert x.device == tl.device("cpu") and str(x.device) == "cpu"


def test_tensor_properties():
    x = tl.randn(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and len(x) == 2
    assert [t.shape for t in x] == [(3, 4), (3, 4)]
    assert x.is_leaf and x.grad is None and x.grad_fn is None
    assert x.T.shape == (4, 3, 2) and x.mT.shape == (2, 4, 3)
    assert x.contiguous() is x and x.transpose(0, 1).contiguous().is_contiguous()
    assert repr(x.shape) == "tensorlib.Size([2, 3, 4])" and x.shape.numel() == 24
    c = x.clone()
    c[0] = 0
    assert x[0].abs().sum().item() > 0


def test_repr_matches_pytorch_format():
    assert repr(tl.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(tl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tl.tensor([1.0, 2.0], dtype=tl.float64)) == "tensor([1., 2.], dtype=tensorlib.float64)"
    assert repr(tl.tensor(3.0)) == "tensor(3.)"
    assert repr(tl.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tl.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"


def test_errors_use_pytorch_exception_types():
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        tl.ones(2).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tl.ones(2))
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        tl.ones(3)[5]
    with pytest.raises(IndexError, match="out of bounds"):
        tl.ones(3)[tl.tensor([0, 3])]
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        tl.ones(2, 3) @ tl.ones(4, 5)
    with pytest.raises(RuntimeError, match="same dtype.*float != double"):
        tl.ones(2, 2) @ tl.ones(2, 2, dtype=tl.float64)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        tl.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match="must match the existing size"):
        tl.ones(2, 3).expand(4, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tl.ones(2, 3).sum(3)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        tl.cat([tl.ones(2, 3), tl.ones(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        tl.stack([tl.ones(2), tl.ones(3)])
    with pytest.raises(ValueError):
        np.add(tl.ones(2).numpy(), np.ones(3))
    with pytest.raises(TypeError):
        tl.tensor(["a", "b"])
    with pytest.raises(RuntimeError, match="mean"):
        tl.arange(3).mean()


def test_inplace_ops_and_version_counter():
    x = tl.zeros(3)
    x.add_(1).mul_(3).sub_(1).div_(2)
    assert x.tolist() == [1.0, 1.0, 1.0]
    x.fill_(2.0).clamp_(max=1.5)
    assert x.tolist() == [1.5, 1.5, 1.5]
    x.copy_(tl.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [1.0, 2.0, 3.0]
    x.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    assert x._version.value == 8
    x.uniform_(2, 3)
    assert ((x >= 2) & (x < 3)).all()
    x.normal_(0, 1)
    x += 1
    x *= 2
    with pytest.raises(RuntimeError, match="can't be cast"):
        tl.zeros(2, dtype=tl.int64).add_(0.5)
    view = x[1:]
    view.zero_()
    assert x[1:].tolist() == [0.0, 0.0]  # slicing returns views sharing memory, as PyTorch


def test_rng_reproducible_and_generators_independent():
    tl.manual_seed(123)
    a = tl.rand(5)
    tl.manual_seed(123)
    b = tl.rand(5)
    assert a.tolist() == b.tolist()
    g = tl.Generator().manual_seed(7)
    h = tl.Generator().manual_seed(7)
    assert tl.randn(4, generator=g).tolist() == tl.randn(4, generator=h).tolist()
    state = tl.get_rng_state()
    first = tl.randn(3)
    tl.set_rng_state(state)
    assert tl.randn(3).tolist() == first.tolist()
    assert tl.initial_seed() == 123
    assert tl.rand(1000).mean().item() == pytest.approx(0.5, abs=0.05)
    counts = tl.multinomial(tl.tensor([0.0, 1.0, 3.0]), 4000, replacement=True).bincount(minlength=3)
    assert counts[0].item() == 0 and counts[2].item() / counts[1].item() == pytest.approx(3, rel=0.15)
    picked = tl.multinomial(tl.tensor([1.0, 1.0, 1.0, 0.0]), 3)
    assert sorted(picked.tolist()) == [0, 1, 2]


def test_compat_namespace():
    assert tl.cuda.is_available() is False and tl.backends.mps.is_available() is False
    assert tl.accelerator.is_available() is False
    import tensorlib.utils.data as tud

    assert tud is tl.data


def test_legacy_constructors():
    assert tl.FloatTensor([1, 2]).dtype == tl.float32 and tl.FloatTensor(2, 3).shape == (2, 3)
    assert tl.LongTensor([1, 2]).tolist() == [1, 2] and tl.LongTensor([1]).dtype == tl.int64
    assert tl.Tensor([1, 2]).dtype == tl.float32


def test_clone_and_contiguous_keep_a_zero_dim_shape():
    x = tl.tensor(3.0)
    assert x.clone().shape == () and x.contiguous().shape == ()
