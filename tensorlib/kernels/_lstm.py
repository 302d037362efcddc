"""The LSTM path of ``RecurrentSequence``, feature-major (see ``_feature_major.py``).

* Forward: ``w = [W_hh | W_ih | b_ih + b_hh]`` with the gate rows reordered to (i, f, o, g), so the three sigmoid
  gates are one block; ``w @ hx[slot]`` is every pre-activation of a step.
* Backward: per step, the gate gradients ``d (4H, N)`` and one GEMM ``[W_hh | W_ih]^T d`` giving both the
  gradient of the state read and ``dx_t``; then one GEMM over all steps for the weight and bias gradients.
"""

from __future__ import annotations

from .._backend import xp
from ._feature_major import input_columns, weight_gradient, written_states

__all__ = ["gate_order", "forward", "backward"]


def gate_order(hidden: int):
    """Row order (i, f, o, g) of PyTorch's (i, f, g, o) gate blocks."""
    return xp.concatenate([xp.arange(2 * hidden), xp.arange(3 * hidden, 4 * hidden),
                           xp.arange(2 * hidden, 3 * hidden)])


def forward(seq, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
    """Run the layer-direction ``seq`` (a ``RecurrentSequence``); returns its output ``(T, N, P)`` (a view) and
    stores what backward needs on ``seq``."""
    steps, batch, features = x.shape
    hidden, out_size = w_hh.shape[0] // 4, w_hh.shape[1]
    dtype, proj = x.dtype, w_hr is not None
    order = gate_order(hidden)
    width = out_size + features + (b_ih is not None)
    w = xp.empty((4 * hidden, width), dtype)
    w[:, :out_size] = w_hh[order]
    w[:, out_size:out_size + features] = w_ih[order]
    if b_ih is not None:
        w[:, -1] = (b_ih + b_hh)[order]
    # sigmoid(u) = 0.5 tanh(u/2) + 0.5: with the sigmoid gates' rows halved one tanh serves all four gates
    w[:3 * hidden] *= 0.5
    hx, start = input_columns(seq, x, h0, out_size, b_ih is not None)
    first = steps if seq.reverse else 0
    cs = xp.empty((steps + 1, hidden, batch), dtype)
    cs[first] = 0.0 if c0 is None else c0.T
    gates = xp.empty((steps, 4 * hidden, batch), dtype)  # tanh of every gate's (halved) pre-activation
    sigmoids = xp.empty((steps, 3 * hidden, batch), dtype)  # i, f, o
    tanh_c = xp.empty((steps, hidden, batch), dtype)
    hm = xp.empty((steps, hidden, batch), dtype) if proj else None
    ig = xp.empty((hidden, batch), dtype)
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    for t in seq._order():
        read, write = seq._slots(t)
        g, sig = gates[t], sigmoids[t]
        xp.matmul(w, hx[read], out=g)
        xp.tanh(g, out=g)
        xp.multiply(g[:h3], 0.5, out=sig)
        sig += 0.5
        c_new = cs[write]
        xp.multiply(sig[h1:h2], cs[read], out=c_new)
        xp.multiply(sig[:h1], g[h3:], out=ig)
        c_new += ig
        xp.tanh(c_new, out=tanh_c[t])
        h_new = hx[write, :out_size]
        if proj:
            xp.multiply(sig[h2:], tanh_c[t], out=hm[t])
            xp.matmul(w_hr, hm[t], out=h_new)
        else:
            xp.multiply(sig[h2:], tanh_c[t], out=h_new)
    seq.lstm_saved = (hx, cs, gates, sigmoids, tanh_c, hm, features, start)
    last = 0 if seq.reverse else steps
    seq.box.states = {"h": hx[last, :out_size].T.copy(), "c": cs[last].T.copy()}
    return written_states(hx, out_size, start, steps)


def backward(seq, dout, dh, dc):
    """Gradients ``(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr)`` of ``seq``'s LSTM forward; ``dout``
    ``(T, N, P)`` or None, ``dh`` ``(N, P)`` and ``dc`` ``(N, H)`` the final states' gradients (fresh arrays)."""
    hx, cs, gates, sigmoids, tanh_c, hm, features, start = seq.lstm_saved
    steps, batch, hidden, out_size = seq.layout
    dtype, proj = gates.dtype, hm is not None
    need = seq.needs_input_grad
    order = gate_order(hidden)
    rows = out_size + features if need[0] else out_size
    # d below is each gate's gradient times 1 - tanh^2 of its stored tanh: the gradient w.r.t. g's
    # pre-activation, and 4x the one w.r.t. a sigmoid gate's pre-activation u (d/du of 0.5 tanh(u/2) + 0.5 is
    # 0.25 (1 - tanh(u/2)^2)); the 0.25 rides on the sigmoid columns of [W_hh | W_ih]^T and rows of dW
    scale = xp.ones((4 * hidden, 1), dtype)
    scale[:3 * hidden] = 0.25
    w_t = xp.empty((rows, 4 * hidden), dtype)  # [W_hh | W_ih]^T in gate order (i, f, o, g), times scale
    w_t[:out_size] = (seq.w_hh[order] * scale).T
    if need[0]:
        w_t[out_size:] = (seq.w_ih[order] * scale).T
    dh, dc = xp.ascontiguousarray(dh.T), xp.ascontiguousarray(dc.T)
    # skip the steps that get no output gradient (a loss on the last step only is the common case)
    live = None if dout is None else xp.any(dout != 0, axis=(1, 2)).tolist()
    dgates = xp.empty((steps, 4 * hidden, batch), dtype)
    back = xp.empty((steps, rows, batch), dtype)  # per step: [gradient of the state read; dx_t]
    dh_steps = xp.empty((steps, out_size, batch), dtype) if proj else None
    deriv = xp.empty((4 * hidden, batch), dtype)
    q = xp.empty((hidden, batch), dtype)
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    for t in reversed(seq._order()):
        read = seq._slots(t)[0]
        if live is not None and live[t]:
            dh += dout[t].T
        if proj:
            dh_steps[t] = dh
            dm = seq.w_hr.T @ dh
        else:
            dm = dh
        g, sig, tc, d = gates[t], sigmoids[t], tanh_c[t], dgates[t]
        xp.multiply(tc, tc, out=q)  # dc += dm o (1 - tanh(c)^2)
        xp.subtract(1.0, q, out=q)
        q *= sig[h2:]
        q *= dm
        dc += q
        xp.multiply(dc, g[h3:], out=d[:h1])  # i: dc g
        xp.multiply(dc, cs[read], out=d[h1:h2])  # f: dc c_prev
        xp.multiply(dm, tc, out=d[h2:h3])  # o: dm tanh(c)
        xp.multiply(dc, sig[:h1], out=d[h3:])  # g: dc i
        xp.multiply(g, g, out=deriv)  # 1 - tanh^2 of every gate (see scale)
        xp.subtract(1.0, deriv, out=deriv)
        d *= deriv
        dc *= sig[h1:h2]
        xp.matmul(w_t, d, out=back[t])
        dh = back[t, :out_size]  # the carried gradient lives in back[t]; those rows are not read again
    dx = back[:, out_size:].transpose(0, 2, 1) if need[0] else None
    dw_ih = dw_hh = db = None
    if any(need[3:7]):
        dw = xp.empty((4 * hidden, hx.shape[1]), dtype)
        dw[order] = weight_gradient(dgates, hx, start) * scale
        dw_hh = xp.ascontiguousarray(dw[:, :out_size])
        dw_ih = xp.ascontiguousarray(dw[:, out_size:out_size + features])
        db = dw[:, -1].copy() if hx.shape[1] > out_size + features else None
    dw_hr = None
    if proj and need[7]:
        dw_hr = xp.tensordot(dh_steps, hm, axes=([0, 2], [0, 2]))
    db_ih = db if need[5] else None
    db_hh = None if db is None or not need[6] else db.copy() if need[5] else db
    return (dx, xp.ascontiguousarray(dh.T), xp.ascontiguousarray(dc.T), dw_ih if need[3] else None,
            dw_hh if need[4] else None, db_ih, db_hh, dw_hr)
