"""The GRU path of ``RecurrentSequence``, feature-major (see ``_feature_major.py``).

PyTorch's GRU: ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z`` likewise, ``n = tanh(W_in x + b_in + r (W_hn h
+ b_hn))`` and ``h' = (1 - z) n + z h``. Since ``r`` multiplies only the recurrent part of ``n``, the step's
weight matrix has four row blocks, r, z, ``n_h = W_hn h + b_hn`` and ``n_x = W_in x + b_in``, over the columns
``[h; x_t; 1]``: the two n blocks hold zeros where the other one's columns are (a third more multiply-adds than
the gates need, still one GEMM a step instead of a GEMM, an input projection and adds).
"""

from __future__ import annotations

from .._backend import xp
from ._feature_major import input_columns, weight_gradient, written_states

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
    """Run the layer-direction ``seq`` (a ``RecurrentSequence``); returns its output ``(T, N, H)`` (a view) and
    stores what backward needs on ``seq``."""
    steps, batch, features = x.shape
    hidden = w_hh.shape[1]
    dtype = x.dtype
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    w = _step_weights(w_ih, w_hh, b_ih, b_hh)
    w[:h2] *= 0.5  # sigmoid(u) = 0.5 tanh(u/2) + 0.5
    hx, start = input_columns(seq, x, h0, hidden, b_ih is not None)
    gates = xp.empty((steps, 4 * hidden, batch), dtype)  # r, z: tanh of the halved pre-activation; n_h, n_x
    sigmoids = xp.empty((steps, h2, batch), dtype)  # r, z
    cand = xp.empty((steps, hidden, batch), dtype)  # n
    for t in seq._order():
        read, write = seq._slots(t)
        g, sig, c = gates[t], sigmoids[t], cand[t]
        xp.matmul(w, hx[read], out=g)
        xp.tanh(g[:h2], out=g[:h2])
        xp.multiply(g[:h2], 0.5, out=sig)
        sig += 0.5
        xp.multiply(sig[:h1], g[h2:h3], out=c)  # n = tanh(n_x + r n_h)
        c += g[h3:]
        xp.tanh(c, out=c)
        h_new = hx[write, :hidden]
        xp.subtract(hx[read, :hidden], c, out=h_new)  # h' = n + z (h - n)
        h_new *= sig[h1:]
        h_new += c
    seq.gru_saved = (hx, gates, sigmoids, cand, features, start)
    last = 0 if seq.reverse else steps
    seq.box.states = {"h": hx[last, :hidden].T.copy(), "c": None}
    return written_states(hx, hidden, start, steps)


def backward(seq, dout, dh):
    """Gradients ``(dx, dh0, None, dw_ih, dw_hh, db_ih, db_hh, None)`` of ``seq``'s GRU forward; ``dout``
    ``(T, N, H)`` or None, ``dh`` ``(N, H)`` the final state's gradient (a fresh array)."""
    hx, gates, sigmoids, cand, features, start = seq.gru_saved
    steps, batch, hidden = seq.layout[:3]
    dtype = gates.dtype
    need = seq.needs_input_grad
    h1, h2, h3 = hidden, 2 * hidden, 3 * hidden
    rows = hidden + features if need[0] else hidden
    # the r and z gradients below are taken as 1 - tanh^2 of their stored tanh, 4x the gradient w.r.t. their
    # pre-activations (see _lstm.py); the 0.25 rides on their columns of the transposed weights and rows of dW
    scale = xp.ones((4 * hidden, 1), dtype)
    scale[:h2] = 0.25
    w_t = (_step_weights(seq.w_ih, seq.w_hh, None, None)[:, :rows] * scale).T.copy()
    dh = xp.ascontiguousarray(dh.T)
    # skip the steps that get no output gradient (a loss on the last step only is the common case)
    live = None if dout is None else xp.any(dout != 0, axis=(1, 2)).tolist()
    dgates = xp.empty((steps, 4 * hidden, batch), dtype)  # r, z, n_h, n_x
    back = xp.empty((steps, rows, batch), dtype)  # per step: [gradient of the state read; dx_t]
    dn, kept = xp.empty((hidden, batch), dtype), xp.empty((hidden, batch), dtype)
    deriv = xp.empty((h2, batch), dtype)
    for t in reversed(seq._order()):
        read = seq._slots(t)[0]
        if live is not None and live[t]:
            dh += dout[t].T
        g, sig, c, d = gates[t], sigmoids[t], cand[t], dgates[t]
        xp.subtract(hx[read, :hidden], c, out=d[h1:h2])  # z: dh (h - n)
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
        xp.matmul(w_t, d, out=back[t])
        dh = back[t, :hidden]  # the carried gradient lives in back[t]; those rows are not read again
        dh += kept
    dx = back[:, hidden:].transpose(0, 2, 1) if need[0] else None
    dw_ih = dw_hh = db_ih = db_hh = None
    if any(need[3:7]):
        dw = weight_gradient(dgates, hx, start) * scale
        dw_hh = xp.concatenate([dw[:h2, :hidden], dw[h2:h3, :hidden]]) if need[4] else None
        dw_ih = xp.concatenate([dw[:h2, hidden:hidden + features], dw[h3:, hidden:hidden + features]]) \
            if need[3] else None
        if dw.shape[1] > hidden + features:
            db_ih = xp.concatenate([dw[:h2, -1], dw[h3:, -1]]) if need[5] else None
            db_hh = xp.concatenate([dw[:h2, -1], dw[h2:h3, -1]]) if need[6] else None
    return dx, xp.ascontiguousarray(dh.T), None, dw_ih, dw_hh, db_ih, db_hh, None
