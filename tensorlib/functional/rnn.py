"""Recurrent sequences and packed-sequence layouts at the Tensor level: argument checks, dtype promotion and
shapes, then the kernels of ``tensorlib/kernels/rnn.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from typing import Optional, Sequence

from .._backend import xp
from ..kernels.rnn import RecurrentSequence, _FinalState, _GatherRows, _ScatterRows, _StateBox
from ..tensor import Tensor
from .shape import cat

__all__ = ["recurrent_sequence", "packed_to_padded", "padded_to_packed", "lengths_to_batch_sizes",
           "batch_sizes_to_lengths", "pad_sequences"]


def recurrent_sequence(x: Tensor, h0: Optional[Tensor], c0: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
                       b_ih: Optional[Tensor], b_hh: Optional[Tensor], w_hr: Optional[Tensor] = None, *,
                       mode: str, reverse: bool = False, batch_sizes: Optional[Sequence[int]] = None):
    """Run one recurrent layer-direction over time-major ``x (T, N, I)``.

    Returns ``(output (T, N, P), h_n (N, P), c_n (N, H) or None)``; ``h0``/``c0`` of None mean zeros.
    ``batch_sizes`` (per-step active-prefix sizes, non-increasing) enables variable lengths.
    """
    sizes = None if batch_sizes is None else tuple(int(b) for b in batch_sizes)
    box = _StateBox()
    output = RecurrentSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode=mode,
                                       reverse=bool(reverse), batch_sizes=sizes, box=box)
    h_n = _FinalState.apply(output, box=box, which="h")
    c_n = _FinalState.apply(h_n, box=box, which="c") if mode == "LSTM" else None
    return output, h_n, c_n


def _array(values):
    return values._data if isinstance(values, Tensor) else xp.asarray(values)


def _packed_grid_index(batch_sizes) -> tuple:
    """Flat positions in a time-major ``(T, B)`` grid of the packed rows, plus ``(T, B)``."""
    sizes = _array(batch_sizes).astype(xp.int64)
    steps, batch = len(sizes), int(sizes[0]) if len(sizes) else 0
    active = xp.arange(batch)[None, :] < sizes[:, None]
    return xp.flatnonzero(active), steps, batch


def packed_to_padded(data: Tensor, batch_sizes, padding_value: float = 0.0) -> Tensor:
    """Packed rows ``(sum(batch_sizes), *)`` to a time-major padded ``(T, B, *)`` tensor (differentiable)."""
    index, steps, batch = _packed_grid_index(batch_sizes)
    flat = _ScatterRows.apply(data, index=index, rows=steps * batch, fill=padding_value)
    return flat.reshape((steps, batch) + tuple(data.shape[1:]))


def padded_to_packed(padded: Tensor, batch_sizes) -> Tensor:
    """Time-major padded ``(T', B, *)`` (T' >= len(batch_sizes)) to packed rows ``(sum(batch_sizes), *)``."""
    index, steps, batch = _packed_grid_index(batch_sizes)
    rows = padded[:steps] if padded.shape[0] != steps else padded
    rows = rows.reshape((steps * batch,) + tuple(padded.shape[2:]))
    return _GatherRows.apply(rows, index=index)


def lengths_to_batch_sizes(sorted_lengths) -> Tensor:
    """Non-increasing lengths ``(B,)`` to packed ``batch_sizes`` (int64, one entry per step up to max length)."""
    lengths = _array(sorted_lengths).astype(xp.int64)
    steps = int(lengths.max()) if lengths.size else 0
    counts = (lengths[None, :] > xp.arange(steps)[:, None]).sum(1)
    return Tensor._wrap(counts.astype(xp.int64))


def batch_sizes_to_lengths(batch_sizes) -> Tensor:
    """Packed ``batch_sizes`` to the (sorted) per-sequence lengths ``(B,)`` as int64."""
    sizes = _array(batch_sizes).astype(xp.int64)
    batch = int(sizes[0]) if sizes.size else 0
    return Tensor._wrap((sizes[None, :] > xp.arange(batch)[:, None]).sum(1).astype(xp.int64))


def pad_sequences(sequences: Sequence[Tensor], batch_first: bool, padding_value: float,
                  padding_side: str) -> Tensor:
    """Stack ``L_i x *`` tensors into ``(B, T, *)`` (batch_first) or ``(T, B, *)``; one cat + one scatter."""
    lengths = xp.asarray([s.shape[0] for s in sequences], dtype=xp.int64)
    batch, steps = len(sequences), int(lengths.max()) if len(sequences) else 0
    starts = (steps - lengths) if padding_side == "left" else xp.zeros_like(lengths)
    seq_of_row = xp.repeat(xp.arange(batch), lengths)
    step_of_row = xp.arange(int(lengths.sum())) - xp.repeat(xp.cumsum(lengths) - lengths, lengths)
    step_of_row = step_of_row + starts[seq_of_row]
    index = seq_of_row * steps + step_of_row if batch_first else step_of_row * batch + seq_of_row
    data = cat(list(sequences), 0)
    flat = _ScatterRows.apply(data, index=index, rows=batch * steps, fill=padding_value)
    lead = (batch, steps) if batch_first else (steps, batch)
    return flat.reshape(lead + tuple(sequences[0].shape[1:]))
