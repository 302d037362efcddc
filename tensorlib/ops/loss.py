"""Loss kernels: fused cross-entropy / NLL / binary cross-entropy and the elementwise regression losses.

Every public function here has PyTorch's ``nn.functional`` signature minus the legacy ``size_average`` /
``reduce`` arguments (``tensorlib.nn.functional`` maps those). Class dimension is axis 1 for inputs of shape
``(N, C, d1, ...)``; an unbatched input of shape ``(C,)`` goes with a 0-d target.

Reductions follow PyTorch exactly: for class-index targets with ``weight`` the ``'mean'`` divides by the sum of
the weights of the non-ignored targets; for class-probability targets it divides by the number of samples.
"""

from __future__ import annotations

import warnings
from typing import Optional

from .._backend import xp
from ..autograd.function import Function
from ..tensor import Tensor
from .elementwise import mul
from .reduction import mean, sum

_REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {', '.join(allowed)}")


def _reduce_array(loss, reduction: str, denominator):
    """Reduce an elementwise loss array; returns (result, scale applied to every element in backward)."""
    if reduction == "none":
        return loss, None
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return xp.asarray(total, dtype=loss.dtype), 1.0
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
    """Reshape a per-class vector (C,) to broadcast against (N, C, d1, ...) along axis 1."""
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


class CrossEntropyIndexFn(Function):
    """log_softmax + NLL over class indices in one op (weight, ignore_index, label_smoothing).

    Per sample ``i`` the loss is ``-sum_c q_ic log p_ic`` with ``q_i = (1 - eps) w_t onehot(t) + eps/C * w``
    (zero for ignored samples), so the gradient is ``p * sum_c q_ic - q_i``: softmax minus (weighted) one-hot.
    """

    saves_inputs = False

    def forward(self, x, target, weight):
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
        self.valid = valid.astype(dtype)
        self.out_shape = loss.shape
        out, self.scale = _reduce_array(loss, self.reduction, w_target.sum(dtype=dtype))
        return out

    def backward(self, g):
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


class CrossEntropyProbFn(Function):
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


class NLLFn(Function):
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


def _check_class_target(input: Tensor, target: Tensor, ignore_index: int, op: str) -> int:
    """Validate (N, C, d1, ...) input against an (N, d1, ...) class-index target; returns C."""
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected target of integer (Long) dtype for class indices, got {target.dtype} "
                           f"(class-probability targets must have the input's shape {tuple(input.shape)})")
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (C) or (N, C, ...), got shape ()")
    if input.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError(f"{op}: an unbatched input of shape {tuple(input.shape)} expects a 0-d target, "
                               f"got target shape {tuple(target.shape)}")
        n_classes = input.shape[0]
    else:
        if input.shape[0] != (target.shape[0] if target.ndim else -1):
            got = target.shape[0] if target.ndim else "none"
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({got}). "
                             f"(input shape {tuple(input.shape)}, target shape {tuple(target.shape)})")
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(f"{op}: expected target size {expected} for input of shape {tuple(input.shape)}, "
                               f"got {tuple(target.shape)}")
        n_classes = input.shape[1]
    t = target._data
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        value = int(t[bad].reshape(-1)[0])
        raise IndexError(f"Target {value} is out of bounds for {n_classes} classes "
                         f"(valid class indices are 0..{n_classes - 1}, ignore_index={ignore_index})")
    return n_classes


def _check_weight(weight: Optional[Tensor], n_classes: int, op: str):
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {tuple(weight.shape)}")
    return weight._data


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``input`` (N, C, d1, ...) or (C,) against class indices (N, d1, ...) or
    class probabilities (same shape as input)."""
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if target._data.dtype.kind == "f":
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(f"cross_entropy: class-probability targets must have the input's shape "
                             f"{tuple(input.shape)}, got {tuple(target.shape)}")
        n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
        w = _check_weight(weight, n_classes, "cross_entropy")
        return CrossEntropyProbFn.apply(input, target, w, reduction=reduction, label_smoothing=label_smoothing)
    n_classes = _check_class_target(input, target, ignore_index, "cross_entropy")
    w = _check_weight(weight, n_classes, "cross_entropy")
    return CrossEntropyIndexFn.apply(input, target._data, w, reduction=reduction, ignore_index=ignore_index,
                                     label_smoothing=float(label_smoothing))


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: ``-weight[t] * input[n, t]`` for log-probabilities ``input`` (N, C, d1, ...)."""
    check_reduction(reduction)
    n_classes = _check_class_target(input, target, ignore_index, "nll_loss")
    w = _check_weight(weight, n_classes, "nll_loss")
    return NLLFn.apply(input, target._data, w, reduction=reduction, ignore_index=ignore_index)


# ------------------------------------------------------------------------------------ binary cross entropy
class BinaryCrossEntropyFn(Function):
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


class BinaryCrossEntropyWithLogitsFn(Function):
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


def _check_same_size(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: using a target size ({tuple(target.shape)}) that is different to the input size "
                         f"({tuple(input.shape)}) is not supported. Please ensure they have the same size.")


def _array_or_none(t: Optional[Tensor], dtype):
    return None if t is None else t._data.astype(dtype, copy=False)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities ``input`` in [0, 1] against ``target`` of the same shape."""
    check_reduction(reduction)
    _check_same_size(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise RuntimeError(f"binary_cross_entropy: all elements of input should be between 0 and 1, got values in "
                           f"[{float(x.min()):.4g}, {float(x.max()):.4g}] (use BCEWithLogitsLoss for logits)")
    return BinaryCrossEntropyFn.apply(input, target, _array_or_none(weight, x.dtype), reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    """Sigmoid + BCE in one stable op; ``pos_weight`` broadcasts along the last (class) dimension."""
    check_reduction(reduction)
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    dtype = input._data.dtype
    return BinaryCrossEntropyWithLogitsFn.apply(input, target, _array_or_none(weight, dtype),
                                                _array_or_none(pos_weight, dtype), reduction=reduction)


# ------------------------------------------------------------------------------ elementwise regression losses
class ElementwiseLossFn(Function):
    """Unreduced ``loss(x - y)`` for kind in {'mse', 'l1', 'smooth_l1', 'huber'}; gradient +/- for x / y."""

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
        return loss.astype(diff.dtype, copy=False)

    def backward(self, g):
        diff, kind, beta = self.diff, self.kind, self.beta
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


def _broadcast_warning(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Apply 'none' | 'mean' | 'sum' to an elementwise loss tensor."""
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


def _regression(kind: str, input: Tensor, target: Tensor, reduction: str, beta: float,
                weight: Optional[Tensor], weighted_mean: bool) -> Tensor:
    check_reduction(reduction)
    _broadcast_warning(input, target)
    loss = ElementwiseLossFn.apply(input, target, kind=kind, beta=float(beta))
    if weight is None:
        return reduce_loss(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"Weights and input must have the same size, got weight {tuple(weight.shape)} and input "
                         f"{tuple(input.shape)}")
    loss = mul(loss, weight)
    if reduction == "mean" and weighted_mean:
        from .elementwise import div

        return div(sum(loss), sum(weight))
    return reduce_loss(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Squared error; with ``weight`` the mean is ``sum(w * l) / sum(w)`` as in PyTorch."""
    return _regression("mse", input, target, reduction, 0.0, weight, weighted_mean=True)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Absolute error; with ``weight`` the mean is ``sum(w * l) / sum(w)`` as in PyTorch."""
    return _regression("l1", input, target, reduction, 0.0, weight, weighted_mean=True)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` for ``|d| < beta`` else ``|d| - beta / 2`` (plain L1 when beta == 0)."""
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    return _regression("smooth_l1", input, target, reduction, beta, None, weighted_mean=False)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """``0.5 d^2`` for ``|d| < delta`` else ``delta (|d| - delta / 2)``; weighted mean is ``mean(w * l)``."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    return _regression("huber", input, target, reduction, delta, weight, weighted_mean=False)


class KLDivFn(Function):
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


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence with ``input`` as log-probabilities; ``'batchmean'`` divides the sum by ``input.size(0)``."""
    check_reduction(reduction, _REDUCTIONS + ("batchmean",))
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=3)
    loss = KLDivFn.apply(input, target, log_target=log_target)
    if reduction == "batchmean":
        total = sum(loss)
        return total / input.shape[0] if input.ndim else total
    return reduce_loss(loss, reduction)
