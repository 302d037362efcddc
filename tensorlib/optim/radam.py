"""``RAdam``: Adam with the variance rectification term of Liu et al. (2019)."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .._backend import xp
from ._math import add_weight_decay, decay_, lerp_
from .adam import check_betas
from .optimizer import Optimizer, scalar_state, zeros_state

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """``torch.optim.RAdam``. State: ``step``, ``exp_avg``, ``exp_avg_sq``. Uses plain momentum SGD until the
    variance estimate is tractable (rho_t > 5)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach: Optional[bool] = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        check_betas(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, weight_decay = float(group["lr"]), group["betas"], group["eps"], \
            group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = scalar_state(0.0)
                state["exp_avg"] = zeros_state(p)
                state["exp_avg_sq"] = zeros_state(p)
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
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            corrected_exp_avg = exp_avg / bias_correction1
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                root = xp.sqrt(exp_avg_sq)
                root += eps
                adaptive_lr = (bias_correction2 ** 0.5) / root
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                p._data += (-1.0) * (corrected_exp_avg * lr * adaptive_lr * rect)
            else:
                p._data += (-1.0) * (corrected_exp_avg * lr)
            self._mark_updated(p)
