"""Recurrent kernels: one fused ``Function`` per (layer, direction) over a whole sequence, plus packing gathers.

``RecurrentSequence`` runs an Elman RNN (tanh/relu), LSTM (optionally projected) or GRU over a time-major
``(T, N, I)`` input. The LSTM and GRU run feature-major (``_lstm.py``, ``_gru.py``, ``_feature_major.py``):
states as ``(features, n)`` blocks, one GEMM a step over the columns ``[h; x_t; 1]``, contiguous gate blocks for
the elementwise work, and one GEMM over all steps for the weight gradients. The Elman RNN (here):

* forward: ``x @ W_ih^T + b`` for all steps in one big matmul, then one loop over time doing one
  ``h @ W_hh^T`` matmul per step;
* backward: the analytic gradient, one loop over time (reversed) carrying ``dh``; the per-step gradients land
  in a ``(T, N, H)`` array, so ``dW_ih``, ``dW_hh``, the biases and ``dx`` are each one big matmul/sum after
  the loop.

Variable lengths (packed sequences) use ``batch_sizes``: the number of active rows at each time step, which are
always a prefix of the batch because packed batches are sorted by decreasing length. Rows past their end keep
their state unchanged (so the final state is each sequence's last valid state) and output zeros; in reverse
direction a row's state stays at ``h0`` until its last valid step is reached.

An engine Function has one output, so ``RecurrentSequence`` returns the output sequence and two tiny
``_FinalState`` nodes chained after it (output -> h_n -> c_n) return the final states: their backward
hands the state gradient to the sequence kernel through a shared ``_StateBox`` and passes a free broadcast
zero down the chain, so no full-size zero gradient is ever materialised for the unused parts."""

from __future__ import annotations

from typing import Optional

from .._backend import xp
from ..autograd.function import Function
from ..autograd.graph_engine import composite_vjp
from . import _gru, _lstm
from ._adjoint import adjoint
from .shape import Cat, Stack

__all__ = ["RecurrentSequence"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def num_gates(mode: str) -> int:
    """Gate blocks stacked in ``weight_ih``/``weight_hh`` rows: 4 (LSTM i,f,g,o), 3 (GRU r,z,n), 1 (RNN)."""
    return _GATES[mode]


class RecurrentSequence(Function):
    """One layer-direction over a whole sequence.

    Inputs: ``x (T, N, I)``, ``h0 (N, P)`` or None, ``c0 (N, H)`` or None (LSTM), ``w_ih (G*H, I)``,
    ``w_hh (G*H, P)``, ``b_ih``/``b_hh (G*H,)`` or None, ``w_hr (P, H)`` or None (LSTM projection; P = H
    without it). Attributes: ``mode`` (RNN_TANH, RNN_RELU, LSTM, GRU), ``reverse``, ``batch_sizes`` (tuple of
    active-prefix sizes per step, or None when every row is active).

    Output: ``out (T, N, P)``. The Elman RNN's ``hs (T+1, N, P)`` holds the states in time order: slot 0 is
    the initial state of the forward direction and slot T that of the reverse one, so step ``t`` reads slot
    ``t`` and writes ``t+1`` (reverse: reads ``t+1``, writes ``t``). Without a mask the output is a view of the
    written slots; with one it is the state at active rows and zero elsewhere (states are carried past a
    sequence's end). ``box`` (a ``_StateBox``) exposes the final states and collects their gradients.
    """

    saves_output = True

    mode: str
    reverse: bool
    batch_sizes: Optional[tuple]

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        steps, batch, features = x.shape
        hidden = w_hh.shape[0] // num_gates(self.mode)
        out_size = w_hr.shape[0] if w_hr is not None else hidden
        dtype = x.dtype
        lstm, masked = self.mode == "LSTM", self.batch_sizes is not None
        self.layout = (steps, batch, hidden, out_size)
        self.w_ih, self.w_hh, self.w_hr = w_ih, w_hh, w_hr
        if lstm:
            return _lstm.forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        if self.mode == "GRU":
            return _gru.forward(self, x, h0, w_ih, w_hh, b_ih, b_hh)
        hs = xp.empty((steps + 1, batch, out_size), dtype)
        out = xp.zeros((steps, batch, out_size), dtype) if masked else None
        first = steps if self.reverse else 0
        hs[first] = 0.0 if h0 is None else h0
        self.x2d = x.reshape(-1, features)  # copies a transposed (batch_first) input once, reused by backward
        self.hs, self.out = hs, out
        self._rnn_forward(b_ih, b_hh)
        last = 0 if self.reverse else steps
        self.box.states = {"h": hs[last].copy(), "c": None}
        if masked:
            return out
        return hs[:steps] if self.reverse else hs[1:]

    def _order(self):
        steps = self.layout[0]
        return range(steps - 1, -1, -1) if self.reverse else range(steps)

    def _slots(self, t: int) -> tuple:
        """(read, write) state slots of time step ``t``."""
        return (t + 1, t) if self.reverse else (t, t + 1)

    def _active(self, t: int) -> int:
        return self.layout[1] if self.batch_sizes is None else self.batch_sizes[t]

    def _finish_step(self, t: int, n: int, read: int, write: int, states) -> None:
        """Masked steps: carry inactive rows' states, copy active rows' new hidden state to ``out``."""
        if self.batch_sizes is None:
            return
        for s in states:
            if n < s.shape[1]:
                s[write, n:] = s[read, n:]
        self.out[t, :n] = self.hs[write, :n]

    def _prev_states(self, states):
        """States read by each time step, ``(T, N, ·)`` in time order (a view)."""
        return states[1:] if self.reverse else states[:-1]

    # ------------------------------------------------------------------------------------------ forward
    def _rnn_forward(self, b_ih, b_hh):
        hs, w_hh_t = self.hs, xp.ascontiguousarray(self.w_hh.T)
        steps, batch, hidden, _ = self.layout
        xw = (self.x2d @ self.w_ih.T).reshape(steps, batch, hidden)
        if b_ih is not None:
            xw += b_ih + b_hh
        relu = self.mode == "RNN_RELU"
        for t in self._order():
            n = self._active(t)
            read, write = self._slots(t)
            a = hs[write, :n]
            xp.matmul(hs[read, :n], w_hh_t, out=a)
            a += xw[t, :n]
            if relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            self._finish_step(t, n, read, write, (hs,))

    # ------------------------------------------------------------------------------------------ backward
    def backward(self, grad):
        steps, batch, hidden, out_size = self.layout
        lstm = self.mode == "LSTM"
        state_grads = self.box.grads
        self.box.grads = {}
        dh = _fresh(state_grads.get("h"), (batch, out_size), grad.dtype)
        dc = _fresh(state_grads.get("c"), (batch, hidden), grad.dtype) if lstm else None
        dout = None if _is_broadcast_zero(grad) else grad
        if lstm:
            return _lstm.backward(self, dout, dh, dc)
        if self.mode == "GRU":
            return _gru.backward(self, dout, dh)
        dgates = self._rnn_backward(dout, dh)
        need = self.needs_input_grad
        flat = dgates.reshape(-1, dgates.shape[-1])
        dx = (flat @ self.w_ih).reshape(steps, batch, self.w_ih.shape[1]) if need[0] else None
        dw_ih = flat.T @ self.x2d if need[3] else None
        dw_hh = flat.T @ self._prev_states(self.hs).reshape(-1, out_size) if need[4] else None
        db_ih = flat.sum(0) if need[5] else None
        db_hh = flat.sum(0) if need[6] else None
        return dx, dh, None, dw_ih, dw_hh, db_ih, db_hh, None

    def _incoming(self, t: int, n: int, dh, dout) -> None:
        """Add the output gradient of step ``t`` (active rows only) into the carried ``dh``."""
        if dout is None:
            return
        if n == dh.shape[0]:
            dh += dout[t]
        else:
            dh[:n] += dout[t, :n]

    def _rnn_backward(self, dout, dh):
        hs = self.hs
        dgates = (xp.zeros if self.batch_sizes is not None else xp.empty)(hs[1:].shape, hs.dtype)
        relu = self.mode == "RNN_RELU"
        for t in reversed(self._order()):
            n = self._active(t)
            read, write = self._slots(t)
            self._incoming(t, n, dh, dout)
            y, d = hs[write, :n], dgates[t, :n]
            if relu:
                xp.multiply(dh[:n], y > 0, out=d)
            else:
                xp.multiply(y, y, out=d)
                xp.subtract(1.0, d, out=d)
                d *= dh[:n]
            xp.matmul(d, self.w_hh, out=dh[:n])
        return dgates

    def backward_tensors(self, grad):
        state_grads, self.box.grads = self.box.grads, {}
        grads = (grad, state_grads.get("h"), state_grads.get("c"))
        return composite_vjp(self._composite, self.inputs, grads)

    def _composite(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        """The layer recomputed with Tensor operations: ``(out (T, N, P), h_T, c_T or None)``. With packing,
        step ``t`` updates the first ``batch_sizes[t]`` rows; the others carry their state and output zeros."""
        steps, batch, hidden, out_size = self.layout
        dtype = x._data.dtype
        h = h0 if h0 is not None else x._wrap(xp.zeros((batch, out_size), dtype=dtype))
        c = None
        if self.mode == "LSTM":
            c = c0 if c0 is not None else x._wrap(xp.zeros((batch, hidden), dtype=dtype))
        xw = x.matmul(w_ih.t())
        if b_ih is not None:
            xw = xw + b_ih if self.mode == "GRU" else xw + b_ih + b_hh
        outs = [None] * steps
        for t in self._order():
            n = self._active(t)
            if n == batch:
                h, c = self._step(xw[t], h, c, w_hh, b_hh, w_hr)
                outs[t] = h
                continue
            h_new, c_new = self._step(xw[t, :n], h[:n], None if c is None else c[:n], w_hh, b_hh, w_hr)
            outs[t] = Cat.apply(h_new, x._wrap(xp.zeros((batch - n, out_size), dtype=dtype)), dim=0)
            h = Cat.apply(h_new, h[n:], dim=0)
            c = None if c is None else Cat.apply(c_new, c[n:], dim=0)
        return Stack.apply(*outs, dim=0), h, c

    def _step(self, xw, h, c, w_hh, b_hh, w_hr):
        """One time step on Tensors: ``(h, c)`` after reading ``xw = x_t W_ih^T (+ biases)``."""
        hidden = self.layout[2]
        if self.mode == "GRU":
            gh = h.matmul(w_hh.t())
            if b_hh is not None:
                gh = gh + b_hh
            r = (xw[:, :hidden] + gh[:, :hidden]).sigmoid()
            z = (xw[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden]).sigmoid()
            n = (xw[:, 2 * hidden:] + r * gh[:, 2 * hidden:]).tanh()
            return (h - n) * z + n, None
        if self.mode == "LSTM":
            gates = xw + h.matmul(w_hh.t())
            cell = gates[:, 2 * hidden:3 * hidden].tanh()
            c = gates[:, hidden:2 * hidden].sigmoid() * c + gates[:, :hidden].sigmoid() * cell
            h = gates[:, 3 * hidden:].sigmoid() * c.tanh()
            return (h if w_hr is None else h.matmul(w_hr.t())), c
        a = xw + h.matmul(w_hh.t())
        return (a.relu() if self.mode == "RNN_RELU" else a.tanh()), None


class _StateBox:
    """Links a ``RecurrentSequence`` to the ``_FinalState`` nodes that expose its final states."""

    __slots__ = ("states", "grads")

    def __init__(self):
        self.states, self.grads = {}, {}


class _FinalState(Function):
    """``h_n`` (``which='h'``) or ``c_n`` (``'c'``) of the sequence kernel that filled ``box``, ``(N, ·)``.

    Its input is the previous tensor of the chain (the output sequence, or ``h_n`` for ``c_n``), which makes
    the engine run this backward before the kernel's; the gradient is stored in the box and a broadcast zero
    (no memory) goes to the input.
    """

    saves_inputs = False

    def forward(self, previous):
        self.prev_shape, self.prev_dtype = previous.shape, previous.dtype
        return self.box.states[self.which]

    def backward(self, grad):
        grads = self.box.grads
        grads[self.which] = grad if self.which not in grads else grads[self.which] + grad
        return xp.broadcast_to(xp.zeros((), self.prev_dtype), self.prev_shape)

    def backward_tensors(self, grad):
        grads = self.box.grads
        grads[self.which] = grad if self.which not in grads else grads[self.which] + grad
        return grad._wrap(xp.zeros((), dtype=self.prev_dtype)).expand(*self.prev_shape)


def _is_broadcast_zero(array) -> bool:
    """An empty gradient, or one broadcast from a single zero: nothing to add."""
    return array.size == 0 or (array.ndim > 0 and not any(array.strides) and not array.flat[0])


def _fresh(grad, shape: tuple, dtype):
    """A writable copy of an incoming state gradient (zeros when none arrived)."""
    if grad is None:
        return xp.zeros(shape, dtype)
    return xp.array(xp.broadcast_to(grad, shape), dtype=dtype, copy=True)


# ------------------------------------------------------------------------------------------ packing
class _ScatterRows(Function):
    """``out = full((rows, *feat), fill); out[index] = data`` (index unique); backward gathers."""

    saves_inputs = False

    def forward(self, data):
        out = xp.full((self.rows,) + data.shape[1:], self.fill, dtype=data.dtype)
        out[self.index] = data
        return out

    def backward(self, grad):
        return grad[self.index]

    def backward_tensors(self, grad):
        return adjoint(self, grad, fill=0)


class _GatherRows(Function):
    """``out = x[index]`` along dim 0 (index unique); backward scatters into zeros."""

    saves_inputs = False

    def forward(self, x):
        self.in_shape = x.shape
        return x[self.index]

    def backward(self, grad):
        out = xp.zeros(self.in_shape, dtype=grad.dtype)
        out[self.index] = grad
        return out

    def backward_tensors(self, grad):
        return adjoint(self, grad)
