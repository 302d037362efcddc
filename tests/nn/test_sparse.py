"""Embedding / EmbeddingBag / one_hot: lookups, padding_idx (zero row, zero gradient), max_norm,
from_pretrained, every EmbeddingBag mode against a per-bag loop reference (values and gradients), errors, and
PyTorch parity."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.functional as F
from tensorlib.autograd import gradcheck
from tensorlib.kernels.embedding import scatter_rows

RNG = np.random.default_rng(0)


def test_embedding_lookup_shape_and_init():
    emb = nn.Embedding(1000, 8)
    w = emb.weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # N(0, 1)
    idx = tl.tensor([[1, 2, 3], [999, 0, 1]])
    out = emb(idx)
    assert out.shape == (2, 3, 8) and out.dtype == tl.float32
    np.testing.assert_array_equal(out.detach().numpy(), w[idx.numpy()])


def test_embedding_gradient_accumulates_repeated_indices():
    emb = nn.Embedding(5, 3)
    idx = tl.tensor([1, 1, 4])
    emb(idx).sum().backward()
    expected = np.zeros((5, 3))
    expected[1], expected[4] = 2, 1
    np.testing.assert_array_equal(emb.weight.grad.numpy(), expected)


def test_padding_idx_zero_row_and_zero_gradient():
    emb = nn.Embedding(6, 4, padding_idx=-1)
    assert emb.padding_idx == 5
    assert (emb.weight.detach().numpy()[5] == 0).all()
    emb(tl.tensor([5, 2, 5])).sum().backward()
    assert (emb.weight.grad.numpy()[5] == 0).all()
    assert (emb.weight.grad.numpy()[2] == 1).all()
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


def test_embedding_gradcheck_float64():
    weight = tl.tensor(RNG.standard_normal((5, 3)), dtype=tl.float64, requires_grad=True)
    idx = tl.tensor([[0, 2], [2, 4]])
    assert gradcheck(lambda w: F.embedding(idx, w), (weight,))
    weight.grad = None
    F.embedding(idx, weight, scale_grad_by_freq=True).sum().backward()
    # index 2 appears twice: its summed gradient is divided by its frequency
    np.testing.assert_allclose(weight.grad.numpy()[[0, 2, 4]], 1.0)


def test_max_norm_renormalises_looked_up_rows_in_place():
    emb = nn.Embedding(4, 3, max_norm=1.0)
    with tl.no_grad():
        emb.weight.mul_(10)
    out = emb(tl.tensor([0, 2]))
    norms = np.linalg.norm(emb.weight.detach().numpy(), axis=1)
    assert norms[0] <= 1.0 + 1e-5 and norms[2] <= 1.0 + 1e-5
    assert norms[1] > 1.5 and norms[3] > 1.5  # untouched rows
    np.testing.assert_allclose(np.linalg.norm(out.detach().numpy(), axis=1), 1.0, rtol=1e-5)


def test_from_pretrained_freeze_and_padding():
    weights = tl.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    emb = nn.Embedding.from_pretrained(weights)
    assert not emb.weight.requires_grad
    assert emb(tl.tensor([2])).tolist() == [[5.0, 6.0]]
    trainable = nn.Embedding.from_pretrained(weights, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    assert trainable.weight.tolist()[0] == [1.0, 2.0]  # pretrained rows are used as given
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(tl.ones(3))


def test_embedding_index_errors():
    emb = nn.Embedding(3, 2)
    with pytest.raises(IndexError, match="index out of range"):
        emb(tl.tensor([3]))
    with pytest.raises(RuntimeError, match="integer indices"):
        emb(tl.tensor([1.0]))


def bag_reference(weight, idx, offsets, mode, psw=None, padding_idx=None, last=False):
    """Python loop over bags: the definition EmbeddingBag must match."""
    bounds = list(offsets) + ([] if last else [len(idx)])
    out = []
    for start, end in zip(bounds[:-1], bounds[1:]):
        rows = [weight[i] * (1 if psw is None else psw[k]) for k, i in enumerate(idx[start:end], start)
                if i != padding_idx]
        if not rows:
            out.append(np.zeros(weight.shape[1]))
        elif mode == "sum":
            out.append(np.sum(rows, 0))
        elif mode == "mean":
            out.append(np.mean(rows, 0))
        else:
            out.append(np.max(rows, 0))
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_embedding_bag_matches_loop_reference(mode, padding_idx):
    weight = RNG.standard_normal((10, 4))
    idx = np.array([1, 3, 3, 7, 0, 9, 3, 2, 2])
    # bags: [1, 3], [] (empty), [3, 7, 0, 9], [3] (padding-only when padding_idx=3), [2, 2]
    offsets = np.array([0, 2, 2, 6, 7])
    expected = bag_reference(weight, idx, offsets, mode, padding_idx=padding_idx)
    bag = nn.EmbeddingBag.from_pretrained(tl.tensor(weight, dtype=tl.float64), freeze=False, mode=mode,
                                          padding_idx=padding_idx)
    out = bag(tl.tensor(idx), tl.tensor(offsets))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    w = tl.tensor(weight, dtype=tl.float64, requires_grad=True)
    assert gradcheck(lambda w: F.embedding_bag(tl.tensor(idx), w, tl.tensor(offsets), mode=mode,
                                               padding_idx=padding_idx), (w,))
    if padding_idx is not None:
        out.sum().backward()
        assert (bag.weight.grad.numpy()[padding_idx] == 0).all()


def test_embedding_bag_per_sample_weights_and_include_last_offset():
    weight = RNG.standard_normal((6, 3))
    idx = np.array([0, 5, 2, 2, 1])
    psw = RNG.standard_normal(5)
    offsets = np.array([0, 3, 5])
    expected = bag_reference(weight, idx, offsets, "sum", psw=psw, last=True)
    w = tl.tensor(weight, dtype=tl.float64, requires_grad=True)
    p = tl.tensor(psw, dtype=tl.float64, requires_grad=True)
    args = dict(mode="sum", include_last_offset=True)
    out = F.embedding_bag(tl.tensor(idx), w, tl.tensor(offsets), per_sample_weights=p, **args)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    assert out.shape == (2, 3)
    assert gradcheck(lambda w, p: F.embedding_bag(tl.tensor(idx), w, tl.tensor(offsets), per_sample_weights=p,
                                                  **args), (w, p))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(tl.tensor(idx), w, tl.tensor([0, 2]), mode="mean", per_sample_weights=p)


def test_embedding_bag_2d_input_fixed_length_bags():
    bag = nn.EmbeddingBag(10, 4, mode="max")
    idx = tl.tensor([[1, 2, 3], [4, 5, 6]])
    expected = bag.weight.detach().numpy()[idx.numpy()].max(1)
    np.testing.assert_allclose(bag(idx).detach().numpy(), expected)
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(idx, tl.tensor([0, 1]))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        bag(tl.tensor([1, 2]), tl.tensor([1]))


@pytest.mark.parametrize("layout", ["equal", "ragged", "one_long_bag"])
@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_layouts_match_loop_reference(layout, mode, padding_idx):
    """Equal bags use the flat positions as the grid, ragged bags a padded grid, and bags so uneven that padding
    would waste most of the work a segment sum: all three must agree with the loop."""
    lengths = {"equal": [4, 4, 4], "ragged": [3, 0, 5, 1], "one_long_bag": [1, 1, 1, 1, 40]}[layout]
    idx = RNG.integers(0, 6, sum(lengths))
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    weight = RNG.standard_normal((6, 3))
    psw = RNG.standard_normal(idx.size) if mode == "sum" else None
    expected = bag_reference(weight, idx, offsets, mode, psw=psw, padding_idx=padding_idx)
    w = tl.tensor(weight, dtype=tl.float64, requires_grad=True)
    p = None if psw is None else tl.tensor(psw, dtype=tl.float64, requires_grad=True)

    def bag(w, p=None):
        return F.embedding_bag(tl.tensor(idx), w, tl.tensor(offsets), mode=mode, per_sample_weights=p,
                               padding_idx=padding_idx)

    np.testing.assert_allclose(bag(w, p).detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(bag, (w,) if p is None else (w, p))


@pytest.mark.parametrize("repeats", [1, 3, 12])
def test_scatter_rows_accumulates_repeats_and_reports_touched_rows(repeats):
    """Indices repeated up to ``repeats`` times (per-occurrence writes up to 4, a sorted reduceat beyond)."""
    indices = np.repeat(RNG.permutation(50)[:20], RNG.integers(1, repeats + 1, 20))
    RNG.shuffle(indices)
    rows = RNG.standard_normal((indices.size, 5)).astype(np.float32)
    expected = np.zeros((50, 5), np.float32)
    np.add.at(expected, indices, rows)
    out, touched = scatter_rows(50, indices, rows)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(touched, np.unique(indices))
    assert out.dtype == np.float32


def test_embedding_bag_without_offsets_gives_no_bags():
    weight = tl.randn(5, 3, requires_grad=True)
    out = F.embedding_bag(tl.tensor([1, 2]), weight, tl.tensor([], dtype=tl.int64))
    assert out.shape == (0, 3)
    out.sum().backward()
    assert weight.grad.shape == (5, 3) and not weight.grad.numpy().any()


def test_one_hot():
    out = F.one_hot(tl.tensor([[0, 2], [1, 1]]))
    assert out.dtype == tl.int64 and out.shape == (2, 2, 3)
    assert out.tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]]]
    assert F.one_hot(tl.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(tl.tensor([4]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(tl.tensor([-1]), 3)


@pytest.mark.torch
def test_embedding_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    idx = np.array([1, 3, 3, 7, 0, 9, 3, 2, 2])
    offsets = np.array([0, 2, 2, 6, 7])
    cases = [
        (nn.Embedding(10, 4, padding_idx=3), torch.nn.Embedding(10, 4, padding_idx=3), False),
        (nn.Embedding(10, 4, scale_grad_by_freq=True), torch.nn.Embedding(10, 4, scale_grad_by_freq=True), False),
    ] + [(nn.EmbeddingBag(10, 4, mode=m, padding_idx=p), torch.nn.EmbeddingBag(10, 4, mode=m, padding_idx=p), True)
         for m in ("sum", "mean", "max") for p in (None, 3)]
    for ours, theirs, is_bag in cases:
        ours.double()
        theirs.double()
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict({k: tl.tensor(v.numpy(), dtype=tl.float64) for k, v in theirs.state_dict().items()})
        args = (tl.tensor(idx), tl.tensor(offsets)) if is_bag else (tl.tensor(idx),)
        targs = (torch.tensor(idx), torch.tensor(offsets)) if is_bag else (torch.tensor(idx),)
        out, ref = ours(*args), theirs(*targs)
        upstream = RNG.standard_normal(tuple(ref.shape))
        out.backward(tl.tensor(upstream, dtype=tl.float64))
        ref.backward(torch.tensor(upstream))
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, err_msg=repr(ours))
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=repr(ours))


@pytest.mark.parametrize("num_rows", [7, 20000, 2**62])
def test_stable_order_equals_stable_argsort(num_rows):
    """Keys ``index * count + position`` sorted unstably give the stable argsort (huge tables: the argsort)."""
    from tensorlib.kernels.embedding import _stable_order

    indices = RNG.integers(-min(num_rows, 50), min(num_rows, 50), 3000)
    order, ordered = _stable_order(indices, num_rows)
    expected = np.argsort(indices, kind="stable")
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(ordered, indices[expected])


@pytest.mark.parametrize("axes", [(2, 0, 1), (0, 2, 1), (1, 0, 2), (0, 1, 2)])
@pytest.mark.parametrize("reverse", [False, True])
def test_embedding_gradient_rows_from_strided_layouts(axes, reverse):
    """The backward's rows of a non-contiguous gradient (a batch_first LSTM's input gradient is (features,
    batch) blocks per step, copied block by block) are exactly those of a plain copy, whatever the layout."""
    from tensorlib.kernels.embedding import _contiguous_rows

    blocks = RNG.standard_normal((50, 80, 64)).astype(np.float32)[:, 16:]  # (steps, features, batch)
    g = (blocks[::-1] if reverse else blocks).transpose(axes)
    rows = _contiguous_rows(g, g.shape[-1])
    assert rows.flags.c_contiguous
    np.testing.assert_array_equal(rows, np.ascontiguousarray(g).reshape(-1, g.shape[-1]))


def test_embedding_backward_of_a_transposed_gradient_equals_a_contiguous_one():
    """Embedding fed through a permuted (non-contiguous) gradient: same weight gradient as a contiguous one."""
    indices = tl.tensor(RNG.integers(0, 300, (64, 50)))
    weights = RNG.standard_normal((300, 64)).astype(np.float32)
    upstream = RNG.standard_normal((50, 64, 64)).astype(np.float32)  # (steps, features, batch)
    grads = []
    for contiguous in (True, False):
        emb = nn.Embedding.from_pretrained(tl.tensor(weights), freeze=False)
        g = upstream.transpose(2, 0, 1)  # (batch, steps, features), last axis strided
        emb(indices).backward(tl.tensor(np.ascontiguousarray(g)) if contiguous else tl.from_numpy(g))
        grads.append(emb.weight.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
