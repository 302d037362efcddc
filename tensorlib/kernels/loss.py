"""Loss kernels: fused cross-entropy / NLL / binary cross-entropy and the elementwise regression losses.

Every public function here has PyTorch's ``nn.functional`` signature minus the legacy ``size_average`` /
``reduce`` arguments (``tensorlib.nn.functional`` maps those). Class dimension is axis 1 for inputs of shape
``(N, C, d1, ...)``; an unbatched input of shape ``(C,)`` goes with a 0-d target.

Reductions follow PyTorch exactly: for class-index targets with ``weight`` the ``'mean'`` divides by the sum of
the weights of the non-ignored targets; for class-probability targets it divides by the number of samples."""

from __future__ import annotations

import warnings

from .._backend import xp
from ..autograd.function import Function
from ._utils import const
from .activation import Softplus

__all__ = ["CrossEntropyIndices", "CrossEntropyProbs", "NllLoss", "BinaryCrossEntropy",
           "BinaryCrossEntropyWithLogits", "ElementwiseLoss", "KlDiv"]

_REDUCTIONS = ("none", "mean", "sum")


def _reduce_array(loss, reduction: str, denominator):
    """Reduce an elementwise loss array; returns (result, scale applied to every element in backward)."""
    if reduction == "none":
        return loss, None
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return xp.asarray(total, dtype=loss.dtype), 1.0
    if 0 < denominator < xp.inf:  # nothing to silence (entering errstate costs as much as the division)
        return xp.asarray(total / denominator, dtype=loss.dtype), 1.0 / denominator
    with xp.errstate(divide="ignore", invalid="ignore"):
        return xp.asarray(total / denominator, dtype=loss.dtype), 1.0 / denominator


def _upstream(g, scale, shape):
    """Broadcastable per-element upstream gradient of a reduced (or unreduced) loss."""
    if scale is None:
        return g.reshape(shape)
    return xp.broadcast_to(g * xp.asarray(scale, dtype=g.dtype), shape)


def _class_dot(a, weight):
    """``sum_c a[:, c, ...] * weight[c]`` for (N, C, d1, ...) or (C,) arrays, without a temporary."""
    return xp.einsum("nc...,c->n...", a, weight) if a.ndim >= 2 else a @ weight


def _class_view(weight, ndim: int):
    """View a per-class vector (C,) to broadcast against (N, C, d1, ...) along axis 1."""
    return weight.reshape((-1,) + (1,) * (ndim - 2)) if ndim >= 2 else weight


# ------------------------------------------------------------------------------------------ cross entropy
_SOFTMAX_INPUT_WARNING = (
    "cross_entropy expects raw logits, but every row of the input is a probability distribution (non-negative, "
    "summing to 1): was softmax applied before CrossEntropyLoss? It applies log_softmax itself, so pass the "
    "logits (or use NLLLoss on log_softmax output).")


def _warn_if_probabilities(x, row_max, axis: int) -> None:
    """Warn when the 'logits' look like softmax output (a common bug that trains slowly, silently). Costs a
    further pass only when every row's maximum is already within [0, 1]."""
    if x.size == 0 or x.shape[axis] < 2 or not (row_max <= 1).all() or x.min() < 0:
        return
    if xp.allclose(x.sum(axis=axis), 1.0, rtol=0, atol=1e-4):
        warnings.warn(_SOFTMAX_INPUT_WARNING, UserWarning, stacklevel=2)


class CrossEntropyIndices(Function):
    """log_softmax + NLL over class indices in one op (weight, ignore_index, label_smoothing).

    Per sample ``i`` the loss is ``-sum_c q_ic log p_ic`` with ``q_i = (1 - eps) w_t onehot(t) + eps/C * w``
    (zero for ignored samples), so the gradient is ``p * sum_c q_ic - q_i``: softmax minus (weighted) one-hot.
    """

    saves_inputs = False
    class_major = False  # set by the (N, C) forward without label smoothing (``_forward_class_major``)

    def forward(self, x, target, weight):
        if x.ndim == 2 and self.label_smoothing == 0:
            return self._forward_class_major(x, target, weight)
        axis = 1 if x.ndim >= 2 else 0
        n_classes = x.shape[axis]
        dtype = x.dtype
        row_max = x.max(axis=axis, keepdims=True)
        _warn_if_probabilities(x, row_max, axis)
        shifted = x - row_max
        valid = target != self.ignore_index
        safe_target = xp.where(valid, target, 0)
        index = xp.expand_dims(safe_target, axis)
        picked = xp.take_along_axis(shifted, index, axis=axis).squeeze(axis)
        eps = self.label_smoothing
        if eps > 0:  # sum_c w_c log p_c = sum_c w_c shifted_c - log(sum exp) * sum_c w_c, taken before exp
            w = None if weight is None else weight.astype(dtype, copy=False)
            self.w_view = None if w is None else _class_view(w, x.ndim)
            weighted_sum = shifted.sum(axis=axis) if w is None else _class_dot(shifted, w)
            total_w = float(n_classes) if w is None else float(w.sum())
        prob = xp.exp(shifted, out=shifted)  # the shifted logits are not needed any more
        sum_exp = prob.sum(axis=axis, keepdims=True)
        prob /= sum_exp
        self.prob = prob  # softmax, reused by backward
        log_sum = xp.log(sum_exp).squeeze(axis)
        picked -= log_sum
        w_target = valid.astype(dtype) if weight is None else xp.where(valid, weight[safe_target], 0).astype(dtype)
        loss = -picked * w_target
        if eps > 0:
            smooth = log_sum * dtype.type(total_w) - weighted_sum
            loss *= 1 - eps
            loss += xp.where(valid, smooth, 0) * (eps / n_classes)
        self.axis, self.index, self.w_target, self.n_classes = axis, index, w_target, n_classes
        self.valid, self.in_shape = valid.astype(dtype), x.shape
        self.out_shape = loss.shape
        out, self.scale = _reduce_array(loss, self.reduction, w_target.sum(dtype=dtype))
        return out

    def _forward_class_major(self, x, target, weight):
        """The common (N, C) case without label smoothing, worked on a class-major copy (C, N): NumPy reduces a
        short last axis slowly (the max over 10 classes of 128 rows: 8 us; over the rows of the copy: 1 us)."""
        dtype = x.dtype
        shifted = x.T.copy()  # (C, N), C-ordered: our own scratch
        row_max = shifted.max(axis=0)
        _warn_if_probabilities(x, row_max, 1)
        shifted -= row_max
        valid = target != self.ignore_index
        safe_target = xp.where(valid, target, 0)
        samples = xp.arange(x.shape[0])
        picked = shifted[safe_target, samples]
        prob = xp.exp(shifted, out=shifted)
        sum_exp = prob.sum(axis=0)
        prob /= sum_exp
        picked -= xp.log(sum_exp)
        w_target = valid.astype(dtype) if weight is None else xp.where(valid, weight[safe_target], 0).astype(dtype)
        loss = -picked * w_target
        self.class_major, self.prob_t, self.w_target = True, prob, w_target
        self.picks = (safe_target, samples)
        # for the differentiable backward (create_graph=True), which works in the general layout
        self.axis, self.index, self.in_shape, self.out_shape = 1, safe_target[:, None], x.shape, loss.shape
        self.n_classes = x.shape[1]
        out, self.scale = _reduce_array(loss, self.reduction, w_target.sum(dtype=dtype))
        return out

    def _backward_class_major(self, g):
        """``softmax - one-hot`` scaled per sample, from the class-major softmax; returned (N, C) C-ordered."""
        per_sample = self.w_target * _upstream(g, self.scale, self.out_shape)
        grad = self.prob_t * per_sample.astype(self.prob_t.dtype, copy=False)
        grad[self.picks] -= per_sample
        return grad.T.copy(), None, None

    def backward(self, g):
        if self.class_major:
            return self._backward_class_major(g)
        axis, eps = self.axis, self.label_smoothing
        per_sample = _upstream(g, self.scale, self.out_shape)
        if eps > 0:
            # sum_c q_ic = (1 - eps) w_t + eps/C * sum(w) for valid samples
            total_w = float(self.n_classes) if self.w_view is None else float(self.w_view.sum())
            q_sum = self.w_target * (1 - eps) + self.valid * (eps / self.n_classes * total_w)
            grad = self.prob * xp.expand_dims(q_sum * per_sample, axis)
            smooth = xp.expand_dims(self.valid * per_sample * (eps / self.n_classes), axis)
            grad -= smooth if self.w_view is None else smooth * self.w_view
            hot = (1 - eps) * self.w_target * per_sample
        else:
            grad = self.prob * xp.expand_dims(self.w_target * per_sample, axis)
            hot = self.w_target * per_sample
        current = xp.take_along_axis(grad, self.index, axis=axis)
        xp.put_along_axis(grad, self.index, current - xp.expand_dims(hot, axis).astype(grad.dtype), axis=axis)
        return grad, None, None

    def backward_tensors(self, g):
        axis, eps, n = self.axis, self.label_smoothing, self.n_classes
        per_sample = _upstream_tensor(g, self.scale, self.out_shape).unsqueeze(axis)
        onehot = xp.zeros(self.in_shape, dtype=self.w_target.dtype)
        xp.put_along_axis(onehot, self.index, 1, axis=axis)
        q = onehot * xp.expand_dims(self.w_target * (1 - eps), axis)  # the (smoothed, weighted) target distribution
        if eps > 0:
            w = 1.0 if self.w_view is None else self.w_view
            q = q + xp.expand_dims(self.valid, axis) * (eps / n) * w
        prob = self.inputs[0].softmax(axis)
        return per_sample * (prob * const(g, q.sum(axis=axis, keepdims=True)) - const(g, q)), None, None


class CrossEntropyProbs(Function):
    """log_softmax + soft-target cross-entropy: ``-sum_c w_c q_ic log p_ic`` with smoothed targets ``q``."""

    def forward(self, x, target, weight):
        axis = 1 if x.ndim >= 2 else 0
        n_classes = x.shape[axis]
        row_max = x.max(axis=axis, keepdims=True)
        _warn_if_probabilities(x, row_max, axis)
        shifted = x - row_max
        exp = xp.exp(shifted)
        sum_exp = exp.sum(axis=axis, keepdims=True)
        logp = shifted
        logp -= xp.log(sum_exp)
        exp /= sum_exp
        eps = self.label_smoothing
        target = target.astype(x.dtype, copy=False)
        q = target * (1 - eps) + eps / n_classes if eps > 0 else target
        w_view = None if weight is None else _class_view(weight.astype(x.dtype, copy=False), x.ndim)
        if w_view is not None:
            q = q * w_view
        loss = -(logp * q).sum(axis=axis)
        self.prob, self.logp, self.q, self.w_view, self.axis = exp, logp, q, w_view, axis
        self.out_shape = loss.shape
        samples = max(loss.size, 1) if loss.ndim else 1
        out, self.scale = _reduce_array(loss, self.reduction, samples)
        return out

    def backward(self, g):
        axis = self.axis
        per_sample = xp.expand_dims(_upstream(g, self.scale, self.out_shape), axis)
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            grad_x = (self.prob * self.q.sum(axis=axis, keepdims=True) - self.q) * per_sample
        if self.needs_input_grad[1]:
            grad_t = -self.logp * per_sample * (1 - self.label_smoothing)
            if self.w_view is not None:
                grad_t *= self.w_view
        return grad_x, grad_t, None

    def backward_tensors(self, g):
        axis, eps = self.axis, self.label_smoothing
        x, target = self.inputs[0], self.inputs[1]
        per_sample = _upstream_tensor(g, self.scale, self.out_shape).unsqueeze(axis)
        n = x.shape[axis]
        w = 1.0 if self.w_view is None else const(g, self.w_view)
        q = (target * (1 - eps) + eps / n if eps > 0 else target) * w
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            grad_x = (x.softmax(axis) * q.sum(dim=axis, keepdim=True) - q) * per_sample
        if self.needs_input_grad[1]:
            grad_t = -x.log_softmax(axis) * per_sample * (1 - eps) * w
        return grad_x, grad_t, None


class NllLoss(Function):
    """Negative log-likelihood of class indices given log-probabilities ``x`` of shape (N, C, d1, ...)."""

    saves_inputs = False

    def forward(self, x, target, weight):
        axis = 1 if x.ndim >= 2 else 0
        valid = target != self.ignore_index
        safe_target = xp.where(valid, target, 0)
        index = xp.expand_dims(safe_target, axis)
        picked = xp.take_along_axis(x, index, axis=axis).squeeze(axis)
        w_target = valid.astype(x.dtype) if weight is None else xp.where(valid, weight[safe_target], 0).astype(x.dtype)
        loss = -picked * w_target
        self.axis, self.index, self.w_target, self.shape, self.out_shape = axis, index, w_target, x.shape, loss.shape
        out, self.scale = _reduce_array(loss, self.reduction, w_target.sum(dtype=x.dtype))
        return out

    def backward(self, g):
        grad = xp.zeros(self.shape, dtype=g.dtype)
        values = -self.w_target * _upstream(g, self.scale, self.out_shape)
        xp.put_along_axis(grad, self.index, xp.expand_dims(values, self.axis).astype(g.dtype), axis=self.axis)
        return grad, None, None

    def backward_tensors(self, g):
        onehot = xp.zeros(self.shape, dtype=self.w_target.dtype)
        xp.put_along_axis(onehot, self.index, 1, axis=self.axis)
        values = (_upstream_tensor(g, self.scale, self.out_shape) * const(g, -self.w_target)).unsqueeze(self.axis)
        return const(g, onehot) * values, None, None


# ------------------------------------------------------------------------------------ binary cross entropy
class BinaryCrossEntropy(Function):
    """``-w (y log x + (1 - y) log(1 - x))`` with both logs clamped to >= -100 (as PyTorch)."""

    def forward(self, x, y, weight):
        y = y.astype(x.dtype, copy=False)
        with xp.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(y * (log_x - log_1mx) + log_1mx)
        if weight is not None:
            loss = loss * weight
        self.x, self.y, self.weight, self.log_x, self.log_1mx = x, y, weight, log_x, log_1mx
        self.out_shape = loss.shape
        out, self.scale = _reduce_array(loss, self.reduction, max(loss.size, 1))
        return out

    def backward(self, g):
        g = _upstream(g, self.scale, self.out_shape)
        if self.weight is not None:
            g = g * self.weight
        grad_x = grad_y = None
        if self.needs_input_grad[0]:
            x = self.x
            grad_x = g * (x - self.y) / xp.maximum((1 - x) * x, 1e-12)
        if self.needs_input_grad[1]:
            grad_y = g * (self.log_1mx - self.log_x)
        return grad_x, grad_y, None

    def backward_tensors(self, g):
        x, y = self.inputs[0], self.inputs[1]
        g = _upstream_tensor(g, self.scale, self.out_shape)
        if self.weight is not None:
            g = g * self.inputs[2]
        grad_x = grad_y = None
        if self.needs_input_grad[0]:
            grad_x = g * (x - y) / ((1 - x) * x).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            grad_y = g * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return grad_x, grad_y, None


class BinaryCrossEntropyWithLogits(Function):
    """``w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)]``, softplus in the overflow-free form."""

    def forward(self, x, y, weight, pos_weight):
        y = y.astype(x.dtype, copy=False)
        softplus_neg = xp.log1p(xp.exp(-xp.abs(x)))
        softplus_neg += xp.maximum(-x, 0)
        log_weight = None if pos_weight is None else (pos_weight - 1) * y + 1
        loss = (1 - y) * x
        loss += softplus_neg if log_weight is None else log_weight * softplus_neg
        if weight is not None:
            loss = loss * weight
        self.x, self.y, self.weight, self.pos_weight = x, y, weight, pos_weight
        self.log_weight, self.softplus_neg = log_weight, softplus_neg
        self.out_shape = loss.shape
        out, self.scale = _reduce_array(loss, self.reduction, max(loss.size, 1))
        return out

    def backward(self, g):
        g = _upstream(g, self.scale, self.out_shape)
        if self.weight is not None:
            g = g * self.weight
        x, y = self.x, self.y
        grad_x = grad_y = None
        if self.needs_input_grad[0]:
            e = xp.exp(-xp.abs(x))
            sig_minus_one = xp.where(x >= 0, e, 1) / (1 + e)  # sigmoid(-x), overflow-free
            xp.negative(sig_minus_one, out=sig_minus_one)  # sigmoid(x) - 1
            grad_x = (1 - y) + (sig_minus_one if self.log_weight is None else self.log_weight * sig_minus_one)
            grad_x *= g
        if self.needs_input_grad[1]:
            grad_y = -x
            if self.pos_weight is not None:
                grad_y = grad_y + (self.pos_weight - 1) * self.softplus_neg
            grad_y = grad_y * g
        return grad_x, grad_y, None, None

    def backward_tensors(self, g):
        x, y, weight, pos_weight = self.inputs
        g = _upstream_tensor(g, self.scale, self.out_shape)
        if weight is not None:
            g = g * weight
        grad_x = grad_y = None
        if self.needs_input_grad[0]:
            sig_minus_one = x.sigmoid() - 1
            log_weight = 1.0 if pos_weight is None else (pos_weight - 1) * y + 1
            grad_x = g * ((1 - y) + log_weight * sig_minus_one)
        if self.needs_input_grad[1]:
            grad_y = -x
            if pos_weight is not None:
                grad_y = grad_y + (pos_weight - 1) * Softplus.apply(-x, beta=1.0, threshold=20.0)
            grad_y = grad_y * g
        return grad_x, grad_y, None, None


# ------------------------------------------------------------------------------ elementwise regression losses
class ElementwiseLoss(Function):
    """``loss(x - y)`` for kind in {'mse', 'l1', 'smooth_l1', 'huber'}, reduced by ``reduction`` ('none', 'mean'
    or 'sum') in the same op, as PyTorch's ``MseLossBackward0``; gradient +/- for x / y."""

    _NAMES = {"mse": "MseLoss", "l1": "L1Loss", "smooth_l1": "SmoothL1Loss", "huber": "HuberLoss"}
    reduction = "none"

    def name(self) -> str:
        return self._NAMES[self.kind] + "Backward0"

    def forward(self, x, y):
        diff = x - y
        kind, beta = self.kind, self.beta
        if kind == "mse":
            loss = diff * diff
        elif kind == "l1" or beta == 0:
            loss = xp.abs(diff)
        else:
            abs_diff = xp.abs(diff)
            small = abs_diff < beta
            if kind == "smooth_l1":
                loss = xp.where(small, 0.5 * diff * diff / beta, abs_diff - 0.5 * beta)
            else:
                loss = xp.where(small, 0.5 * diff * diff, beta * (abs_diff - 0.5 * beta))
        self.diff = diff
        loss = loss.astype(diff.dtype, copy=False)
        if self.reduction == "none":
            return loss
        total = loss.sum(dtype=diff.dtype)
        return xp.asarray(total / loss.size if self.reduction == "mean" else total, dtype=diff.dtype)

    def backward(self, g):
        diff, kind, beta = self.diff, self.kind, self.beta
        if self.reduction == "mean":
            g = g / diff.size
        if kind == "mse":
            d = 2 * diff
        elif kind == "l1" or beta == 0:
            d = xp.sign(diff)
        elif kind == "smooth_l1":
            d = xp.clip(diff / beta, -1, 1)
        else:
            d = xp.clip(diff, -beta, beta)
        grad = g * d
        return (grad if self.needs_input_grad[0] else None), (-grad if self.needs_input_grad[1] else None)

    def backward_tensors(self, g):
        x, y = self.inputs
        diff, kind, beta = x - y, self.kind, self.beta
        if self.reduction == "mean":
            g = g / self.diff.size
        if kind == "mse":
            d = 2 * diff
        elif kind == "l1" or beta == 0:
            d = const(g, xp.sign(self.diff))
        else:
            small = xp.abs(self.diff) < beta
            outside = const(g, xp.sign(self.diff) * ~small)
            inside = diff * const(g, small)
            d = inside / beta + outside if kind == "smooth_l1" else inside + beta * outside
        grad = g * d
        return (grad if self.needs_input_grad[0] else None), (-grad if self.needs_input_grad[1] else None)


class KlDiv(Function):
    """Pointwise ``t (log t - x)`` (``0`` where ``t == 0``), or ``exp(t) (t - x)`` with ``log_target``."""

    def forward(self, x, t):
        if self.log_target:
            self.exp_t = xp.exp(t)
            loss = self.exp_t * (t - x)
        else:
            with xp.errstate(divide="ignore", invalid="ignore"):
                log_t = xp.where(t > 0, xp.log(xp.where(t > 0, t, 1)), 0)
            loss = t * log_t - t * x
            self.log_t = log_t
        self.x, self.t = x, t
        return loss.astype(xp.result_type(x, t), copy=False)

    def backward(self, g):
        x, t = self.x, self.t
        grad_x = grad_t = None
        if self.log_target:
            if self.needs_input_grad[0]:
                grad_x = -g * self.exp_t
            if self.needs_input_grad[1]:
                grad_t = g * self.exp_t * (t - x + 1)
        else:
            if self.needs_input_grad[0]:
                grad_x = -g * t
            if self.needs_input_grad[1]:
                grad_t = g * xp.where(t > 0, self.log_t + 1 - x, 0)
        return grad_x, grad_t

    def backward_tensors(self, g):
        x, t = self.inputs
        grad_x = grad_t = None
        if self.log_target:
            exp_t = t.exp()
            grad_x = -g * exp_t if self.needs_input_grad[0] else None
            grad_t = g * exp_t * (t - x + 1) if self.needs_input_grad[1] else None
        else:
            grad_x = -g * t if self.needs_input_grad[0] else None
            if self.needs_input_grad[1]:
                positive = const(g, self.t > 0)
                grad_t = g * ((t * positive + (1 - positive)).log() + 1 - x) * positive
        return grad_x, grad_t


def _upstream_tensor(g, scale, shape):
    """The Tensor twin of ``_upstream``."""
    if scale is None:
        return g.reshape(shape)
    g = g * float(scale)
    return g.expand(*shape) if shape else g.reshape(())
