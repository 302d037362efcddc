"""Shared pieces of the feature-major recurrent kernels (``_lstm.py``, ``_gru.py``).

Feature-major: every per-step state is a ``(features, n)`` block, so a step's gates come out of one GEMM as one
``(G*H, n)`` block whose gate slices are contiguous ``(H, n)`` blocks, and the per-step elementwise chain (about
two dozen small NumPy calls a step, forward and backward, where a recurrent layer spends most of its time
outside BLAS) runs on contiguous memory; column slices of an ``(N, G*H)`` block were 1.6x - 2.5x slower per call.

Step ``p`` (in the order the steps run: time ``t`` forward, ``T-1-t`` reversed) reads the column block
``hx[p] = [h; x_t; 1]`` (the ``1`` row only with biases), so a weight matrix laid out as ``[W_h | W_i | b]`` gives
every pre-activation of the step in one GEMM, with no input projection, bias pass or add; after the backward
loop, one GEMM of every step's gate gradients against every step's ``hx`` gives the recurrent, input and bias
gradients together. With ``batch_sizes`` (a packed batch) step ``p`` has only its ``n_p`` active columns, the
batch's first ones, so every block of the step is exactly ``n_p`` wide (contiguous, no work on padding) and the
states are handed over where the width changes: the columns of ended sequences become final states, those of
sequences not yet started (reversed direction) come from the initial state.
"""

from __future__ import annotations

from .._backend import xp

__all__ = ["Steps", "Scratch", "steps_with_gradient", "transposed_step_weights"]


class Steps:
    """The steps of one layer-direction in the order they run: ``times[p]`` and ``widths[p]`` (active columns)."""

    def __init__(self, seq, batch: int):
        self.times = list(seq._order())
        self.widths = [seq._active(t) for t in self.times]
        # the width of the step after / before each one (its own at the ends: nothing to hand over there)
        self.following = self.widths[1:] + self.widths[-1:]
        self.previous = self.widths[:1] + self.widths[:-1]
        self.batch, self.reverse = batch, seq.reverse
        self.dense = seq.batch_sizes is None

    def blocks(self, rows: int, dtype, extra: bool = False) -> tuple:
        """``(buffer, blocks)``: contiguous ``(rows, n_p)`` blocks, one per step, of one flat buffer (plus one as
        wide as the last step's when ``extra``: the input block after the last step, which holds its state)."""
        widths = self.widths + ([self.widths[-1] if self.widths else self.batch] if extra else [])
        buffer = xp.empty(rows * sum(widths), dtype)
        if self.dense:  # one reshape; iterating it makes the views in C (a view apiece costs a step's time)
            return buffer, list(buffer.reshape(len(widths), rows, self.batch))
        blocks, start = [], 0
        for n in widths:
            blocks.append(buffer[start:start + rows * n].reshape(rows, n))
            start += rows * n
        return buffer, blocks

    def columns(self, buffer, blocks, rows: int):
        """``(rows, sum n_p)``: the steps' blocks side by side (a copy), for one GEMM over all steps."""
        steps = len(self.widths)
        if self.dense:
            return xp.ascontiguousarray(buffer[:rows * self.batch * steps].reshape(steps, rows, self.batch)
                                        .transpose(1, 0, 2)).reshape(rows, -1)
        return xp.concatenate(blocks[:steps], axis=1)

    def hand_back(self, p: int, grads: tuple, finals: tuple, initials: tuple) -> tuple:
        """The state gradients ``grads`` (each ``(rows, n_p)``) of step ``p`` as the step before it reads them,
        where the widths differ: sequences that ended at that step get their final states' gradients (from
        ``finals``, ``(rows, N)``); those that started at step ``p`` (reversed direction) give theirs to the
        initial states' gradients ``initials`` and drop out."""
        n, previous = self.widths[p], self.previous[p]
        if previous > n:
            return tuple(xp.concatenate([g, final[:, n:previous]], axis=1) for g, final in zip(grads, finals))
        for g, initial in zip(grads, initials):
            initial[:, previous:n] = g[:, previous:]
        return tuple(xp.ascontiguousarray(g[:, :previous]) for g in grads)

    def input_columns(self, x, h0, out_size: int, biased: bool) -> tuple:
        """``(buffer, blocks)`` of ``[h; x_t; 1]`` for every step, plus the block after the last: x and the ones
        row filled, step 0's h rows from ``h0`` ``(N, P)`` (zeros for None); the steps write the other h rows."""
        features = x.shape[2]
        buffer, hx = self.blocks(out_size + features + biased, x.dtype, extra=True)
        if self.dense:
            grid = buffer.reshape(len(hx), out_size + features + biased, self.batch)
            grid[:-1, out_size:out_size + features] = (x[::-1] if self.reverse else x).transpose(0, 2, 1)
            if biased:
                grid[:, -1] = 1.0
        else:
            for block, t, n in zip(hx, self.times, self.widths):
                block[out_size:out_size + features] = x[t, :n].T
                if biased:
                    block[-1] = 1.0
        if self.widths:
            hx[0][:out_size] = 0.0 if h0 is None else h0[:self.widths[0]].T
        return buffer, hx

    def padded_outputs(self, rows: int, dtype):
        """Zeros ``(T, rows, N)`` for the outputs of a packed batch (the steps copy theirs in), None when every
        step is full width (``outputs`` then views the input blocks)."""
        return None if self.dense else xp.zeros((len(self.times), rows, self.batch), dtype)

    def outputs(self, buffer, padded, out_size: int, rows: int):
        """The states the steps wrote, ``(T, N, P)`` in time order: a view of the input blocks (``rows`` high)
        after each step when every step is full width, else the zero-padded copies."""
        if padded is not None:
            return padded.transpose(0, 2, 1)
        steps = len(self.times)
        grid = buffer.reshape(steps + 1, rows, self.batch)[:, :out_size]
        return (grid[steps:0:-1] if self.reverse else grid[1:]).transpose(0, 2, 1)

    def input_gradient(self, buffer, blocks, out_size: int, features: int, dtype):
        """``dx (T, N, I)`` in time order from the backward's per-step blocks ``[dh; dx_t]``: a view when every
        step is full width, else zero-padded copies."""
        steps = len(self.times)
        if self.dense:
            grid = buffer.reshape(steps, out_size + features, self.batch)[:, out_size:]
            return (grid[::-1] if self.reverse else grid).transpose(0, 2, 1)
        dx = xp.zeros((steps, features, self.batch), dtype)
        for block, t, n in zip(blocks, self.times, self.widths):
            dx[t, :, :n] = block[out_size:]
        return dx.transpose(0, 2, 1)


class Scratch:
    """A reusable ``(rows, n)`` work array for any width ``n`` up to the batch; ``scratch(n)`` is contiguous, its
    view made once per width (a step's Python overhead counts: a recurrent step is ~25 small calls)."""

    def __init__(self, rows: int, batch: int, dtype):
        self.buffer, self.rows, self.views = xp.empty(rows * batch, dtype), rows, {}

    def __call__(self, n: int):
        view = self.views.get(n)
        if view is None:
            view = self.views[n] = self.buffer[:self.rows * n].reshape(self.rows, n)
        return view


def steps_with_gradient(dout) -> list:
    """Per time step of ``dout (T, N, P)``, whether any entry is non-zero (a -0.0 counts: adding it changes
    nothing). Read as unsigned bits and reduced in memory order (a batch_first gradient is a transposed view,
    which NumPy's reductions walk slowly): 100 -> ~30 us for 64 x 50 x 128."""
    bits = dout.view(xp.dtype(f"u{dout.itemsize}"))
    axes = sorted(range(3), key=lambda a: -abs(bits.strides[a]))
    reduced = tuple(i for i, a in enumerate(axes) if a != 0)
    return (bits.transpose(axes).max(axis=reduced, initial=0) != 0).tolist()


def transposed_step_weights(w, rows: int, sigmoid_rows: int):
    """``(rows, G*H)``: the first ``rows`` columns of the forward's step matrix ``w`` (``[W_h | W_i | b]``, its
    first ``sigmoid_rows`` rows, the sigmoid gates', already halved) transposed for the backward's per-step GEMM,
    those rows halved once more: the backward takes a sigmoid gate's derivative as 1 - tanh^2 of its stored tanh,
    4x the true one (d/du of 0.5 tanh(u/2) + 0.5 is 0.25 (1 - tanh(u/2)^2)). Halving is exact: the same bits as
    scaling the layer's weights by 0.25."""
    w_t = xp.empty((rows, w.shape[0]), w.dtype)
    xp.multiply(w[:sigmoid_rows, :rows].T, 0.5, out=w_t[:, :sigmoid_rows])
    w_t[:, sigmoid_rows:] = w[sigmoid_rows:, :rows].T
    return w_t
