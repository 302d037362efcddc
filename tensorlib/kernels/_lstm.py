"""The LSTM path of ``RecurrentSequence``, feature-major (see ``_feature_major.py``).

* Forward: ``w = [W_hh | W_ih | b_ih + b_hh]`` with the gate rows reordered to (i, f, o, g), so the three sigmoid
  gates are one block; ``w @ hx[p]`` is every pre-activation of step ``p``.
* Backward: per step, the gate gradients ``d (4H, n)`` and one GEMM ``[W_hh | W_ih]^T d`` giving both the
  gradient of the state read and ``dx_t``; then one GEMM over all steps for the weight and bias gradients.
"""

from __future__ import annotations

from .._backend import xp
from ._feature_major import Scratch, Steps, steps_with_gradient, transposed_step_weights

__all__ = ["gate_order", "forward", "backward"]


def gate_order(hidden: int):
    """Row order (i, f, o, g) of PyTorch's (i, f, g, o) gate blocks."""
    return xp.concatenate([xp.arange(2 * hidden), xp.arange(3 * hidden, 4 * hidden),
                           xp.arange(2 * hidden, 3 * hidden)])


def _reordered_into(dst, src, hidden: int) -> None:
    """``dst[...] = src[gate_order(hidden)] * (0.5 for the sigmoid rows i, f, o; 1 for g)`` by slices, halving on
    the way: no fancy-indexed gather, temporary or extra pass. Halving is exact, so the bits are the same."""
    h2, h3 = 2 * hidden, 3 * hidden
    xp.multiply(src[:h2], 0.5, out=dst[:h2])
    xp.multiply(src[h3:], 0.5, out=dst[h2:h3])
    dst[h3:] = src[h2:h3]


def forward(seq, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
    """Run the layer-direction ``seq`` (a ``RecurrentSequence``); returns its output ``(T, N, P)`` and stores
    what backward needs on ``seq``."""
    steps, batch, features = x.shape
    hidden, out_size = w_hh.shape[0] // 4, w_hh.shape[1]
    dtype, proj = x.dtype, w_hr is not None
    width = out_size + features + (b_ih is not None)
    # sigmoid(u) = 0.5 tanh(u/2) + 0.5: with the sigmoid gates' rows halved one tanh serves all four gates
    w = xp.empty((4 * hidden, width), dtype)
    _reordered_into(w[:, :out_size], w_hh, hidden)
    _reordered_into(w[:, out_size:out_size + features], w_ih, hidden)
    if b_ih is not None:
        _reordered_into(w[:, -1], b_ih + b_hh, hidden)
    run = Steps(seq, batch)
    hx_buffer, hx = run.input_columns(x, h0, out_size, b_ih is not None)
    gates = run.blocks(4 * hidden, dtype)[1]  # tanh of every gate's (halved) pre-activation
    sigmoids = run.blocks(3 * hidden, dtype)[1]  # i, f, o
    tanh_c, cs = run.blocks(hidden, dtype)[1], run.blocks(hidden, dtype)[1]  # cs: the cell state each step wrote
    hm = run.blocks(hidden, dtype) if proj else None  # (buffer, blocks): o tanh(c) before the projection
    padded = run.padded_outputs(out_size, dtype)
    h_n, c_n = xp.empty((out_size, batch), dtype), xp.empty((hidden, batch), dtype)
    h0t, c0t = (None if h0 is None else h0.T), (None if c0 is None else c0.T)
    first = run.widths[0] if steps else batch
    c_prev = xp.zeros((hidden, first), dtype) if c0 is None else xp.ascontiguousarray(c0t[:, :first])
    c_reads = []  # the cell state each step read
    scratch_h, scratch_ig = Scratch(out_size, batch, dtype), Scratch(hidden, batch, dtype)
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    for p, (t, n, following) in enumerate(zip(run.times, run.widths, run.following)):
        g, sig, c_new, tc = gates[p], sigmoids[p], cs[p], tanh_c[p]
        ig = scratch_ig(n)
        c_reads.append(c_prev)
        xp.matmul(w, hx[p], out=g)
        xp.tanh(g, out=g)
        xp.multiply(g[:h3], 0.5, out=sig)
        sig += 0.5
        xp.multiply(sig[h1:h2], c_prev, out=c_new)
        xp.multiply(sig[:h1], g[h3:], out=ig)
        c_new += ig
        xp.tanh(c_new, out=tc)
        h_new = hx[p + 1][:out_size] if following == n else scratch_h(n)
        if proj:
            xp.multiply(sig[h2:], tc, out=hm[1][p])
            xp.matmul(w_hr, hm[1][p], out=h_new)
        else:
            xp.multiply(sig[h2:], tc, out=h_new)
        if padded is not None:
            padded[t, :, :n] = h_new
        c_prev = c_new
        if following < n:  # sequences ending here: their final states
            h_n[:, following:n], c_n[:, following:n] = h_new[:, following:], c_new[:, following:]
            hx[p + 1][:out_size] = h_new[:, :following]
            c_prev = c_new[:, :following]
        elif following > n:  # sequences starting at the next step (reversed direction): their initial states
            hx[p + 1][:out_size, :n] = h_new
            hx[p + 1][:out_size, n:] = 0.0 if h0 is None else h0t[:, n:following]
            start = xp.zeros((hidden, following - n), dtype) if c0 is None else c0t[:, n:following]
            c_prev = xp.concatenate([c_new, start], axis=1)
    if steps:
        h_n[:, :run.widths[-1]], c_n[:, :run.widths[-1]] = hx[steps][:out_size], cs[-1]
    else:
        h_n[...], c_n[...] = (0.0 if h0 is None else h0t), (0.0 if c0 is None else c0t)
    seq.lstm_saved = (run, w, hx_buffer, hx, c_reads, gates, sigmoids, tanh_c, hm, features)
    seq.box.states = {"h": h_n.T.copy(), "c": c_n.T.copy()}
    return run.outputs(hx_buffer, padded, out_size, hx[0].shape[0])


def backward(seq, dout, dh, dc):
    """Gradients ``(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr)`` of ``seq``'s LSTM forward; ``dout``
    ``(T, N, P)`` or None, ``dh`` ``(N, P)`` and ``dc`` ``(N, H)`` the final states' gradients."""
    run, w, hx_buffer, hx, c_reads, gates, sigmoids, tanh_c, hm, features = seq.lstm_saved
    steps, batch, hidden, out_size = seq.layout
    dtype, proj = dh.dtype, hm is not None
    need = seq.needs_input_grad
    order = gate_order(hidden)
    rows = out_size + features if need[0] else out_size
    # d below is each gate's gradient times 1 - tanh^2 of its stored tanh: the gradient w.r.t. g's
    # pre-activation, and 4x the one w.r.t. a sigmoid gate's pre-activation u (d/du of 0.5 tanh(u/2) + 0.5 is
    # 0.25 (1 - tanh(u/2)^2)); the 0.25 rides on the sigmoid columns of [W_hh | W_ih]^T and rows of dW
    scale = xp.ones((4 * hidden, 1), dtype)
    scale[:3 * hidden] = 0.25
    w_t = transposed_step_weights(w, rows, 3 * hidden)  # [W_hh | W_ih]^T in gate order (i, f, o, g), times scale
    dh_final, dc_final = dh.T, dc.T
    # skip the steps that get no output gradient (a loss on the last step only is the common case)
    live = None if dout is None else steps_with_gradient(dout)
    dgates_buffer, dgates = run.blocks(4 * hidden, dtype)
    back_buffer, back = run.blocks(rows, dtype)  # per step: [gradient of the state read; dx_t]
    dh_steps = run.blocks(out_size, dtype) if proj else None  # (buffer, blocks): dh at each step's output
    dh0, dc0 = xp.zeros((out_size, batch), dtype), xp.zeros((hidden, batch), dtype)
    scratch_q, scratch_deriv = Scratch(hidden, batch, dtype), Scratch(4 * hidden, batch, dtype)
    last = run.widths[-1] if steps else batch
    dh, dc = xp.ascontiguousarray(dh_final[:, :last]), xp.ascontiguousarray(dc_final[:, :last])
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    for p in reversed(range(steps)):
        t, n = run.times[p], run.widths[p]
        if live is not None and live[t]:
            dh += dout[t, :n].T
        if proj:
            dh_steps[1][p][...] = dh
            dm = seq.w_hr.T @ dh
        else:
            dm = dh
        g, sig, tc, d = gates[p], sigmoids[p], tanh_c[p], dgates[p]
        q, deriv = scratch_q(n), scratch_deriv(n)
        xp.multiply(tc, tc, out=q)  # dc += dm o (1 - tanh(c)^2)
        xp.subtract(1.0, q, out=q)
        q *= sig[h2:]
        q *= dm
        dc += q
        xp.multiply(dc, g[h3:], out=d[:h1])  # i: dc g
        xp.multiply(dc, c_reads[p], out=d[h1:h2])  # f: dc c_prev
        xp.multiply(dm, tc, out=d[h2:h3])  # o: dm tanh(c)
        xp.multiply(dc, sig[:h1], out=d[h3:])  # g: dc i
        xp.multiply(g, g, out=deriv)  # 1 - tanh^2 of every gate (see scale)
        xp.subtract(1.0, deriv, out=deriv)
        d *= deriv
        dc *= sig[h1:h2]
        xp.matmul(w_t, d, out=back[p])
        dh = back[p][:out_size]  # the carried gradient lives in back[p]; those rows are not read again
        if run.previous[p] != n:
            dh, dc = run.hand_back(p, (dh, dc), (dh_final, dc_final), (dh0, dc0))
    first = run.widths[0] if steps else batch  # the columns step 0 read from the initial state
    dh0[:, :first], dc0[:, :first] = dh, dc
    dx = run.input_gradient(back_buffer, back, out_size, features, dtype) if need[0] else None
    dw_ih = dw_hh = db = None
    if any(need[3:7]):
        dw = xp.empty((4 * hidden, hx[0].shape[0]), dtype)
        dw[order] = (run.columns(dgates_buffer, dgates, 4 * hidden)
                     @ run.columns(hx_buffer, hx, hx[0].shape[0]).T) * scale
        dw_hh = xp.ascontiguousarray(dw[:, :out_size])
        dw_ih = xp.ascontiguousarray(dw[:, out_size:out_size + features])
        db = dw[:, -1].copy() if dw.shape[1] > out_size + features else None
    dw_hr = None
    if proj and need[7]:
        dw_hr = run.columns(*dh_steps, out_size) @ run.columns(*hm, hidden).T
    db_ih = db if need[5] else None
    db_hh = None if db is None or not need[6] else db if db_ih is None else db.copy()  # two grads, two arrays
    return (dx, xp.ascontiguousarray(dh0.T), xp.ascontiguousarray(dc0.T), dw_ih if need[3] else None,
            dw_hh if need[4] else None, db_ih, db_hh, dw_hr)
