"""``Adam`` (and, with ``decoupled_weight_decay=True``, AdamW): bias-corrected adaptive moment estimation."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .._backend import xp
from ._math import add_weight_decay, decay_, lerp_
from .optimizer import Optimizer, scalar_state, zeros_state

__all__ = ["Adam"]


def check_betas(lr: float, betas: tuple, eps: float, weight_decay: float) -> None:
    """The argument checks shared by the Adam family (ValueError with PyTorch's messages)."""
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """``torch.optim.Adam``. State per parameter: ``step`` (float32 0-d), ``exp_avg``, ``exp_avg_sq`` and, with
    ``amsgrad``, ``max_exp_avg_sq``."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: Optional[bool] = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None, decoupled_weight_decay: bool = False) -> None:
        check_betas(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _state_for(self, p, group: dict[str, Any]) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = scalar_state(0.0)
            state["exp_avg"] = zeros_state(p)
            state["exp_avg_sq"] = zeros_state(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_state(p)
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2) = float(group["lr"]), group["betas"]
        weight_decay, eps = group["weight_decay"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self._state_for(p, group)
            grad = self._grad_of(p, group["maximize"])
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            state["step"]._data += 1
            step = float(state["step"]._data)
            if weight_decay != 0 and group["decoupled_weight_decay"]:
                p._data *= 1 - lr * weight_decay
            elif weight_decay != 0:
                grad = add_weight_decay(grad, p._data, weight_decay)
            lerp_(exp_avg, grad, 1 - beta1)
            decay_(exp_avg_sq, grad, beta2)
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            second = exp_avg_sq
            if group["amsgrad"]:
                second = state["max_exp_avg_sq"]._data
                xp.maximum(second, exp_avg_sq, out=second)
            denom = xp.sqrt(second) / bias_correction2_sqrt
            denom += eps
            p._data += (-step_size) * exp_avg / denom
            self._mark_updated(p)
