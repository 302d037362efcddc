"""``RMSprop``: divide the gradient by a running root mean square (optionally centered, with momentum)."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .._backend import xp
from ._math import add_weight_decay, decay_, lerp_
from .optimizer import Optimizer, scalar_state, zeros_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``. State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered)."""

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        for name, value in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {name}: {value}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _state_for(self, p, group: dict[str, Any]) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = scalar_state(0.0)
            state["square_avg"] = zeros_state(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_state(p)
            if group["centered"]:
                state["grad_avg"] = zeros_state(p)
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, alpha, momentum = float(group["lr"]), group["alpha"], group["momentum"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self._state_for(p, group)
            grad = add_weight_decay(self._grad_of(p, group["maximize"]), p._data, group["weight_decay"])
            state["step"]._data += 1
            square_avg = state["square_avg"]._data
            decay_(square_avg, grad, alpha)
            if group["centered"]:
                grad_avg = state["grad_avg"]._data
                lerp_(grad_avg, grad, 1 - alpha)
                avg = xp.sqrt(square_avg + (-1) * grad_avg * grad_avg)
            else:
                avg = xp.sqrt(square_avg)
            avg += group["eps"]
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= momentum
                buf += grad / avg
                p._data += (-lr) * buf
            else:
                p._data += (-lr) * grad / avg
            self._mark_updated(p)
