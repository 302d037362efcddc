"""Variable-length sequence helpers: ``PackedSequence``, padding and packing (``torch.nn.utils.rnn``).

A packed batch stores the sequences sorted by decreasing length, time-major: ``data`` holds, for each time
step ``t``, the rows of the ``batch_sizes[t]`` sequences still running at ``t``. ``sorted_indices`` maps the
packed order back to the caller's batch order (``unsorted_indices`` is its inverse).
"""

from __future__ import annotations

from collections import namedtuple
from typing import List, Optional, Sequence, Union

from ...creation import as_tensor, full
from ...dtypes import int64
from ...errors import CPU_ONLY_HINT
from ...functional import rnn as _rnn
from ...functional.shape import cat
from ...functional.sorting import argsort
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def invert_permutation(permutation: Optional[Tensor]) -> Optional[Tensor]:
    """The inverse of an index permutation (``None`` stays ``None``)."""
    if permutation is None:
        return None
    return argsort(permutation)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed variable-length batch: ``data (sum(lengths), *)``, ``batch_sizes (max_len,)`` int64 and the
    ``sorted_indices``/``unsorted_indices`` permutations (``None`` when the batch was already sorted).

    Build it with ``pack_padded_sequence`` or ``pack_sequence``, not directly.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)) legacy form
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor) -> PackedSequence:
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self

    def cuda(self, *args, **kwargs) -> PackedSequence:
        raise RuntimeError(f"tensorlib runs on the CPU only; PackedSequence.cuda() is not available: {CPU_ONLY_HINT}")

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        return self._with_data(self.data.float())

    def half(self) -> PackedSequence:
        return self._with_data(self.data.half())

    def long(self) -> PackedSequence:
        return self._with_data(self.data.long())

    def int(self) -> PackedSequence:
        return self._with_data(self.data.int())

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _lengths_tensor(lengths) -> Tensor:
    if isinstance(lengths, Tensor):
        return lengths.long().reshape(-1)
    return as_tensor(list(lengths), dtype=int64).reshape(-1)


def pack_padded_sequence(input: Tensor, lengths: Union[Tensor, List[int]], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) whose sequence ``b`` has
    ``lengths[b]`` valid steps. With ``enforce_sorted=False`` the batch is sorted internally and the
    permutation kept in the result; otherwise ``lengths`` must be non-increasing."""
    lengths = _lengths_tensor(lengths)
    batch_dim = 0 if batch_first else 1
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence expects a padded input with at least 2 dims, got shape "
                         f"{tuple(input.shape)}")
    batch, steps = input.shape[batch_dim], input.shape[1 - batch_dim]
    if lengths.numel() != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.numel()} "
                           f"(batch_size={batch})")
    values = lengths.tolist()
    for i, length in enumerate(values):
        if length <= 0:
            raise RuntimeError(f"Length of all samples has to be greater than 0, but found lengths[{i}] = "
                               f"{length}")
        if length > steps:
            raise RuntimeError(f"pack_padded_sequence: lengths[{i}] = {length} exceeds the padded sequence "
                               f"length {steps} of input with shape {tuple(input.shape)} "
                               f"(batch_first={batch_first})")
    if enforce_sorted:
        if any(a < b for a, b in zip(values, values[1:])):
            raise RuntimeError(f"`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               f"True, got {values}. You can pass `enforce_sorted=False` to "
                               f"pack_padded_sequence and/or pack_sequence to sidestep this requirement.")
        sorted_indices = None
        sorted_lengths = lengths
    else:
        sorted_indices = argsort(lengths, descending=True, stable=True)
        sorted_lengths = lengths[sorted_indices]
        input = input.index_select(batch_dim, sorted_indices)
    batch_sizes = _rnn.lengths_to_batch_sizes(sorted_lengths)
    time_major = input.transpose(0, 1) if batch_first else input
    data = _rnn.padded_to_packed(time_major, batch_sizes)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: Optional[int] = None):
    """Inverse of ``pack_padded_sequence``: ``(padded (T, B, *) or (B, T, *), lengths int64 (B,))`` in the
    original batch order; ``total_length`` pads the time dim further (e.g. for DataParallel)."""
    padded = _rnn.packed_to_padded(sequence.data, sequence.batch_sizes, padding_value)
    max_length = padded.shape[0]
    if total_length is not None:
        if total_length < max_length:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_length}")
        if total_length > max_length:
            padded = _extend_time(padded, total_length, padding_value)
    lengths = _rnn.batch_sizes_to_lengths(sequence.batch_sizes)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths


def _extend_time(padded: Tensor, total_length: int, padding_value: float) -> Tensor:
    """Append ``padding_value`` time steps to a time-major padded batch up to ``total_length``."""
    filler = full((total_length - padded.shape[0],) + tuple(padded.shape[1:]), padding_value, dtype=padded.dtype)
    return cat([padded, filler], 0)


def pad_sequence(sequences: Union[Tensor, Sequence[Tensor]], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack ``L_i x *`` tensors into ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``), T = max L_i, filling
    the rest with ``padding_value`` on the ``padding_side`` ('right' or 'left')."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for i, seq in enumerate(sequences):
        if seq.dim() < 1 or tuple(seq.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have shape (L, {', '.join(map(str, trailing))})"
                               f" like sequences[0], but sequences[{i}] has shape {tuple(seq.shape)}")
    return _rnn.pad_sequences(sequences, batch_first, padding_value, padding_side)


def unpad_sequence(padded_sequences: Tensor, lengths: Union[Tensor, List[int]],
                   batch_first: bool = False) -> List[Tensor]:
    """Split a padded batch back into a list of ``L_i x *`` tensors."""
    values = _lengths_tensor(lengths).tolist()
    batch_major = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [batch_major[i, :length] for i, length in enumerate(values)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``L_i x *`` tensors (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [int(s.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    """The list of ``L_i x *`` tensors of a packed batch, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
