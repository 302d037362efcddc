"""The GRU path of ``RecurrentSequence``, feature-major (see ``_feature_major.py``).

PyTorch's GRU: ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z`` likewise, ``n = tanh(W_in x + b_in + r (W_hn h
+ b_hn))`` and ``h' = (1 - z) n + z h``. Since ``r`` multiplies only the recurrent part of ``n``, the step's
weight matrix has four row blocks, r, z, ``n_h = W_hn h + b_hn`` and ``n_x = W_in x + b_in``, over the columns
``[h; x_t; 1]``: the two n blocks hold zeros where the other one's columns are (a third more multiply-adds than
the gates need, still one GEMM a step instead of a GEMM, an input projection and adds).
"""

from __future__ import annotations

from .._backend import xp
from ._feature_major import Scratch, Steps, steps_with_gradient, transposed_step_weights

__all__ = ["forward", "backward"]


def _step_weights(w_ih, w_hh, b_ih, b_hh):
    """``(4H, H + I [+ 1])``: rows r, z, n_h, n_x over the columns h, x (and the bias column with biases)."""
    hidden, features = w_hh.shape[1], w_ih.shape[1]
    h2, h3 = 2 * hidden, 3 * hidden
    w = xp.zeros((4 * hidden, hidden + features + (b_ih is not None)), w_hh.dtype)
    w[:h2, :hidden] = w_hh[:h2]
    w[h2:h3, :hidden] = w_hh[h2:]
    w[:h2, hidden:hidden + features] = w_ih[:h2]
    w[h3:, hidden:hidden + features] = w_ih[h2:]
    if b_ih is not None:
        w[:h2, -1] = b_ih[:h2] + b_hh[:h2]
        w[h2:h3, -1] = b_hh[h2:]
        w[h3:, -1] = b_ih[h2:]
    return w


def forward(seq, x, h0, w_ih, w_hh, b_ih, b_hh):
    """Run the layer-direction ``seq`` (a ``RecurrentSequence``); returns its output ``(T, N, H)`` and stores
    what backward needs on ``seq``."""
    steps, batch, features = x.shape
    hidden = w_hh.shape[1]
    dtype = x.dtype
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    w = _step_weights(w_ih, w_hh, b_ih, b_hh)
    w[:h2] *= 0.5  # sigmoid(u) = 0.5 tanh(u/2) + 0.5
    run = Steps(seq, batch)
    hx_buffer, hx = run.input_columns(x, h0, hidden, b_ih is not None)
    gates = run.blocks(4 * hidden, dtype)[1]  # r, z: tanh of the halved pre-activation; n_h, n_x
    sigmoids = run.blocks(h2, dtype)[1]  # r, z
    cand = run.blocks(hidden, dtype)[1]  # n
    padded = run.padded_outputs(hidden, dtype)
    h_n = xp.empty((hidden, batch), dtype)
    h0t = None if h0 is None else h0.T
    scratch_h = Scratch(hidden, batch, dtype)
    for p, (t, n, following) in enumerate(zip(run.times, run.widths, run.following)):
        g, sig, c = gates[p], sigmoids[p], cand[p]
        h_prev = hx[p][:hidden]
        xp.matmul(w, hx[p], out=g)
        xp.tanh(g[:h2], out=g[:h2])
        xp.multiply(g[:h2], 0.5, out=sig)
        sig += 0.5
        xp.multiply(sig[:h1], g[h2:h3], out=c)  # n = tanh(n_x + r n_h)
        c += g[h3:]
        xp.tanh(c, out=c)
        h_new = hx[p + 1][:hidden] if following == n else scratch_h(n)
        xp.subtract(h_prev, c, out=h_new)  # h' = n + z (h - n)
        h_new *= sig[h1:]
        h_new += c
        if padded is not None:
            padded[t, :, :n] = h_new
        if following < n:  # sequences ending here: their final states
            h_n[:, following:n] = h_new[:, following:]
            hx[p + 1][:hidden] = h_new[:, :following]
        elif following > n:  # sequences starting at the next step (reversed direction): their initial states
            hx[p + 1][:hidden, :n] = h_new
            hx[p + 1][:hidden, n:] = 0.0 if h0 is None else h0t[:, n:following]
    if steps:
        h_n[:, :run.widths[-1]] = hx[steps][:hidden]
    else:
        h_n[...] = 0.0 if h0 is None else h0t
    seq.gru_saved = (run, w, hx_buffer, hx, gates, sigmoids, cand, features)
    seq.box.states = {"h": h_n.T.copy(), "c": None}
    return run.outputs(hx_buffer, padded, hidden, hx[0].shape[0])


def backward(seq, dout, dh):
    """Gradients ``(dx, dh0, None, dw_ih, dw_hh, db_ih, db_hh, None)`` of ``seq``'s GRU forward; ``dout``
    ``(T, N, H)`` or None, ``dh`` ``(N, H)`` the final state's gradient."""
    run, w, hx_buffer, hx, gates, sigmoids, cand, features = seq.gru_saved
    steps, batch, hidden = seq.layout[:3]
    dtype = dh.dtype
    need = seq.needs_input_grad
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    rows = hidden + features if need[0] else hidden
    # the r and z gradients below are taken as 1 - tanh^2 of their stored tanh, 4x the gradient w.r.t. their
    # pre-activations (see _lstm.py); the 0.25 rides on their columns of the transposed weights and rows of dW
    scale = xp.ones((4 * hidden, 1), dtype)
    scale[:h2] = 0.25
    w_t = transposed_step_weights(w, rows, h2)  # from the forward's matrix, not rebuilt
    dh_final = dh.T
    # skip the steps that get no output gradient (a loss on the last step only is the common case)
    live = None if dout is None else steps_with_gradient(dout)
    dgates_buffer, dgates = run.blocks(4 * hidden, dtype)  # r, z, n_h, n_x
    back_buffer, back = run.blocks(rows, dtype)  # per step: [gradient of the state read; dx_t]
    dh0 = xp.zeros((hidden, batch), dtype)
    scratch_dn, scratch_kept, scratch_deriv = (Scratch(hidden, batch, dtype), Scratch(hidden, batch, dtype),
                                               Scratch(h2, batch, dtype))
    dh = xp.ascontiguousarray(dh_final[:, :run.widths[-1] if steps else batch])
    for p in reversed(range(steps)):
        t, n = run.times[p], run.widths[p]
        if live is not None and live[t]:
            dh += dout[t, :n].T
        g, sig, c, d = gates[p], sigmoids[p], cand[p], dgates[p]
        dn, kept, deriv = scratch_dn(n), scratch_kept(n), scratch_deriv(n)
        xp.subtract(hx[p][:hidden], c, out=d[h1:h2])  # z: dh (h - n)
        d[h1:h2] *= dh
        xp.subtract(1.0, sig[h1:], out=dn)  # n: dh (1 - z)
        dn *= dh
        da = d[h3:]  # n_x: dn (1 - n^2)
        xp.multiply(c, c, out=da)
        xp.subtract(1.0, da, out=da)
        da *= dn
        xp.multiply(da, sig[:h1], out=d[h2:h3])  # n_h: da r
        xp.multiply(da, g[h2:h3], out=d[:h1])  # r: da n_h
        xp.multiply(g[:h2], g[:h2], out=deriv)
        xp.subtract(1.0, deriv, out=deriv)
        d[:h2] *= deriv
        xp.multiply(dh, sig[h1:], out=kept)  # the state's direct share of h' = ... + z h
        xp.matmul(w_t, d, out=back[p])
        dh = back[p][:hidden]  # the carried gradient lives in back[p]; those rows are not read again
        dh += kept
        if run.previous[p] != n:
            dh, = run.hand_back(p, (dh,), (dh_final,), (dh0,))
    dh0[:, :run.widths[0] if steps else batch] = dh  # the columns step 0 read from the initial state
    dx = run.input_gradient(back_buffer, back, hidden, features, dtype) if need[0] else None
    dw_ih = dw_hh = db_ih = db_hh = None
    if any(need[3:7]):
        dw = (run.columns(dgates_buffer, dgates, 4 * hidden) @ run.columns(hx_buffer, hx, hx[0].shape[0]).T) * scale
        dw_hh = xp.concatenate([dw[:h2, :hidden], dw[h2:h3, :hidden]]) if need[4] else None
        dw_ih = xp.concatenate([dw[:h2, hidden:hidden + features], dw[h3:, hidden:hidden + features]]) \
            if need[3] else None
        if dw.shape[1] > hidden + features:
            db_ih = xp.concatenate([dw[:h2, -1], dw[h3:, -1]]) if need[5] else None
            db_hh = xp.concatenate([dw[:h2, -1], dw[h2:h3, -1]]) if need[6] else None
    return dx, xp.ascontiguousarray(dh0.T), None, dw_ih, dw_hh, db_ih, db_hh, None
