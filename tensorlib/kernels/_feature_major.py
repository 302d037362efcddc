"""Shared pieces of the feature-major recurrent kernels (``_lstm.py``, ``_gru.py``).

Feature-major: every per-step state is a ``(features, N)`` block, so a step's gates come out of one GEMM as one
``(G*H, N)`` block whose gate slices are contiguous ``(H, N)`` blocks, and the per-step elementwise chain (about
two dozen small NumPy calls a step, forward and backward, where a recurrent layer spends most of its time
outside BLAS) runs on contiguous memory; column slices of an ``(N, G*H)`` block were 1.6x - 2.5x slower per call.

``hx[slot]`` holds the column block ``[h; x_t; 1]`` read by step ``t`` (the ``1`` row only with biases), so a
weight matrix laid out as ``[W_h | W_i | b]`` gives every pre-activation of a step in one GEMM, with no input
projection, bias pass or add; after the backward loop, one GEMM of every step's gate gradients against every
step's ``hx`` gives the recurrent, input and bias gradients together. Slots follow ``RecurrentSequence``
(forward: step ``t`` reads ``t`` and writes ``t+1``; reverse: reads ``t+1``, writes ``t``). Packed batches
(``batch_sizes``) do not come here: their active prefix of the batch would be a column slice, strided.
"""

from __future__ import annotations

from .._backend import xp

__all__ = ["input_columns", "written_states", "weight_gradient"]


def input_columns(seq, x, h0, out_size: int, biased: bool):
    """``(hx (T+1, P+I+biased, N), start)``: the columns ``[h; x_t; 1]`` of every step, the initial state in
    its slot (zeros for ``h0`` None) and each ``x_t`` in the slot step ``t`` reads; ``start`` is step 0's slot.
    The h rows of the other slots are written by the steps."""
    steps, batch, features = x.shape
    first = steps if seq.reverse else 0
    hx = xp.empty((steps + 1, out_size + features + biased, batch), x.dtype)
    hx[first, :out_size] = 0.0 if h0 is None else h0.T
    start = 1 if seq.reverse else 0
    hx[start:start + steps, out_size:out_size + features] = x.transpose(0, 2, 1)
    if biased:
        hx[:, -1] = 1.0
    return hx, start


def written_states(hx, out_size: int, start: int, steps: int):
    """The states the steps wrote, ``(T, N, P)`` (a view)."""
    return hx[1 - start:1 - start + steps, :out_size].transpose(0, 2, 1)


def weight_gradient(dgates, hx, start: int):
    """``sum_t dgates[t] @ hx[slot read by t]^T`` as one GEMM: ``(G*H, T*N)`` against ``(width, T*N)``."""
    steps, rows = dgates.shape[:2]
    flat_d = xp.ascontiguousarray(dgates.transpose(1, 0, 2)).reshape(rows, -1)
    flat_hx = xp.ascontiguousarray(hx[start:start + steps].transpose(1, 0, 2)).reshape(hx.shape[1], -1)
    return flat_d @ flat_hx.T
