"""tensorlib.nn.utils.rnn: PackedSequence, pad/pack helpers, their gradients, errors and PyTorch parity."""

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.autograd import gradcheck
from tensorlib.nn.utils import rnn as rnn_utils
from tensorlib.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)


def _seqs(*lengths, feat=2, dtype=tl.float32):
    return [tl.arange(n * feat, dtype=dtype).reshape(n, feat) + 100 * i for i, n in enumerate(lengths)]


def test_pad_sequence_layouts_and_value():
    seqs = _seqs(2, 3, 1)
    padded = pad_sequence(seqs, padding_value=-1.0)
    assert padded.shape == (3, 3, 2)
    np.testing.assert_array_equal(padded[:2, 0].numpy(), seqs[0].numpy())
    np.testing.assert_array_equal(padded[2, 0].numpy(), [-1, -1])
    np.testing.assert_array_equal(padded[1:, 2].numpy(), -np.ones((2, 2)))
    batch_first = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert batch_first.shape == (3, 3, 2)
    np.testing.assert_array_equal(batch_first.numpy(), padded.transpose(0, 1).numpy())
    left = pad_sequence(seqs, batch_first=True, padding_side="left")
    np.testing.assert_array_equal(left[0, 1:].numpy(), seqs[0].numpy())
    np.testing.assert_array_equal(left[0, 0].numpy(), [0, 0])
    np.testing.assert_array_equal(left[2, 2].numpy(), seqs[2][0].numpy())
    assert padded.dtype == tl.float32


def test_pad_sequence_gradient_and_errors():
    seqs = [tl.randn(n, 2, dtype=tl.float64).requires_grad_() for n in (2, 3, 1)]
    assert gradcheck(lambda *s: pad_sequence(list(s), batch_first=True, padding_side="left"), tuple(seqs))
    with pytest.raises(RuntimeError, match="sequences\\[1\\] has shape \\(2, 3\\)"):
        pad_sequence([tl.zeros(2, 2), tl.zeros(2, 3)])
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence(seqs, padding_side="middle")


def test_pack_padded_sorted_layout():
    padded = pad_sequence(_seqs(3, 2, 1))
    packed = pack_padded_sequence(padded, [3, 2, 1])
    assert isinstance(packed, tuple) and packed._fields == ("data", "batch_sizes", "sorted_indices",
                                                            "unsorted_indices")
    assert packed.batch_sizes.tolist() == [3, 2, 1] and packed.batch_sizes.dtype == tl.int64
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    rows = packed.data.numpy()[:, 0].tolist()
    assert rows == [0, 100, 200, 2, 102, 4]


def test_pack_unsorted_roundtrip_restores_order():
    seqs = _seqs(2, 4, 3)
    packed = pack_sequence(seqs, enforce_sorted=False)
    assert packed.sorted_indices.tolist() == [1, 2, 0]
    assert packed.unsorted_indices.tolist() == [2, 0, 1]
    assert packed.batch_sizes.tolist() == [3, 3, 2, 1]
    padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=7.0, total_length=6)
    assert padded.shape == (3, 6, 2) and lengths.dtype == tl.int64 and lengths.tolist() == [2, 4, 3]
    np.testing.assert_array_equal(padded[0, :2].numpy(), seqs[0].numpy())
    assert np.all(padded[0, 2:].numpy() == 7.0)
    for got, want in zip(rnn_utils.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    for got, want in zip(rnn_utils.unpad_sequence(padded, lengths, batch_first=True), seqs):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_pack_and_pad_gradients():
    x = tl.randn(4, 3, 2, dtype=tl.float64).requires_grad_()

    def roundtrip(t):
        packed = pack_padded_sequence(t, tl.tensor([2, 4, 1]), enforce_sorted=False)
        return packed.data * 2.0, pad_packed_sequence(packed, padding_value=5.0)[0]

    assert gradcheck(roundtrip, (x,))


def test_pack_padded_errors_name_the_problem():
    padded = tl.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="enforce_sorted=False"):
        pack_padded_sequence(padded, [2, 4, 1])
    with pytest.raises(RuntimeError, match=r"greater than 0.*lengths\[2\] = 0"):
        pack_padded_sequence(padded, [4, 2, 0])
    with pytest.raises(RuntimeError, match=r"lengths\[0\] = 5 exceeds the padded sequence length 4"):
        pack_padded_sequence(padded, [5, 2, 1])
    with pytest.raises(RuntimeError, match="batch_size=3"):
        pack_padded_sequence(padded, [4, 2])
    packed = pack_padded_sequence(padded, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 4"):
        pad_packed_sequence(packed, total_length=3)


def test_packed_sequence_conversions():
    packed = pack_sequence(_seqs(3, 1), enforce_sorted=True)
    doubled = packed.double()
    assert isinstance(doubled, PackedSequence) and doubled.data.dtype == tl.float64
    assert doubled.batch_sizes is packed.batch_sizes
    assert packed.to(tl.float64).data.dtype == tl.float64
    assert not packed.is_cuda
    data, sizes, _, _ = packed
    assert sizes.tolist() == [2, 1, 1]


@pytest.mark.torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_matches_pytorch(batch_first):
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as trnn

    arrays = [np.random.default_rng(i).standard_normal((n, 3)) for i, n in enumerate([2, 5, 3, 1])]
    ours = [tl.from_numpy(a) for a in arrays]
    theirs = [torch.from_numpy(a) for a in arrays]
    for side in ("left", "right"):
        np.testing.assert_array_equal(pad_sequence(ours, batch_first, 1.5, side).numpy(),
                                      trnn.pad_sequence(theirs, batch_first, 1.5, side).numpy())
    got = pack_sequence(ours, enforce_sorted=False)
    want = trnn.pack_sequence(theirs, enforce_sorted=False)
    np.testing.assert_array_equal(got.data.numpy(), want.data.numpy())
    assert got.batch_sizes.tolist() == want.batch_sizes.tolist()
    assert got.sorted_indices.tolist() == want.sorted_indices.tolist()
    got_pad, got_len = pad_packed_sequence(got, batch_first, -2.0, total_length=7)
    want_pad, want_len = trnn.pad_packed_sequence(want, batch_first, -2.0, total_length=7)
    np.testing.assert_array_equal(got_pad.numpy(), want_pad.numpy())
    assert got_len.tolist() == want_len.tolist()
