"""``Adadelta``: step sizes from the ratio of running RMS of updates and of gradients."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .._backend import xp
from ._math import add_weight_decay, decay_
from .optimizer import Optimizer, scalar_state, zeros_state

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``torch.optim.Adadelta``. State: ``step``, ``square_avg``, ``acc_delta``."""

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: Optional[bool] = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = scalar_state(0.0)
                state["square_avg"] = zeros_state(p)
                state["acc_delta"] = zeros_state(p)
            state["step"]._data += 1
            grad = add_weight_decay(self._grad_of(p, group["maximize"]), p._data, group["weight_decay"])
            square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
            decay_(square_avg, grad, rho)
            std = xp.sqrt(square_avg + eps)
            delta = xp.sqrt(acc_delta + eps)
            delta /= std
            delta *= grad
            decay_(acc_delta, delta, rho)
            p._data += (-lr) * delta
            self._mark_updated(p)
