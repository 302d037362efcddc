"""``SGD``: stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .._backend import xp
from .._blas import axpy_
from ..autograd.engine import grad_row_support
from ..tensor import Tensor
from ._math import add_weight_decay
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """``torch.optim.SGD``: ``buf = momentum * buf + (1 - dampening) * g``; ``p -= lr * (g + momentum * buf)``
    with Nesterov, else ``p -= lr * buf`` (``buf`` starts as the first gradient)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, momentum, dampening = float(group["lr"]), group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        plain = momentum == 0 and weight_decay == 0 and not maximize
        for p in group["params"]:
            grad_tensor = p.grad
            if grad_tensor is None:
                continue
            rows = grad_row_support(grad_tensor) if plain else None
            if rows is not None and 2 * rows.size < p._data.shape[0]:
                # an embedding gradient is zero outside the looked-up rows: -lr * 0 would leave the others as
                # they are, so only these rows are read and written. NumPy's product-then-sum here, not axpy_:
                # a BLAS call on these ~1e5 entries wakes its idle threads, which then compete with the next
                # step's single-threaded work (EmbeddingBag benchmark: step 240 -> 280 us)
                update = xp.take(grad_tensor._data, rows, axis=0)
                update *= -lr
                update += xp.take(p._data, rows, axis=0)
                p._data[rows] = update
                self._mark_updated(p)
                continue
            grad = add_weight_decay(-grad_tensor._data if maximize else grad_tensor._data, p._data, weight_decay)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = Tensor._wrap(grad.copy())
                elif dampening == 0:  # buf.mul_(momentum).add_(grad): an add with alpha 1 rounds once anyway
                    buf._data *= momentum
                    buf._data += grad
                else:
                    buf._data *= momentum
                    axpy_(buf._data, 1 - dampening, grad)
                if nesterov:
                    grad = grad.copy()
                    axpy_(grad, momentum, buf._data)
                else:
                    grad = buf._data
            axpy_(p._data, -lr, grad)  # p.add_(grad, alpha=-lr): one fused pass, no temporary
            self._mark_updated(p)
