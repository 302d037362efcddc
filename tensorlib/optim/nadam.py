"""``NAdam``: Adam with Nesterov momentum and the momentum-decay schedule of Dozat (2016)."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .._backend import xp
from ._math import add_weight_decay, decay_, lerp_
from .adam import check_betas
from .optimizer import Optimizer, scalar_state, zeros_state

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """``torch.optim.NAdam``. State: ``step``, ``mu_product`` (float32 0-d), ``exp_avg``, ``exp_avg_sq``."""

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_betas(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = float(group["lr"]), group["betas"], group["eps"]
        weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = scalar_state(0.0)
                state["mu_product"] = scalar_state(1.0)
                state["exp_avg"] = zeros_state(p)
                state["exp_avg_sq"] = zeros_state(p)
            grad = self._grad_of(p, group["maximize"])
            exp_avg, exp_avg_sq, mu_product = state["exp_avg"]._data, state["exp_avg_sq"]._data, \
                state["mu_product"]._data
            state["step"]._data += 1
            step = float(state["step"]._data)
            bias_correction2 = 1 - beta2 ** step
            if weight_decay != 0 and group["decoupled_weight_decay"]:
                p._data *= 1 - lr * weight_decay
            elif weight_decay != 0:
                grad = add_weight_decay(grad, p._data, weight_decay)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product *= mu
            lerp_(exp_avg, grad, 1 - beta1)
            decay_(exp_avg_sq, grad, beta2)
            denom = xp.sqrt(exp_avg_sq / bias_correction2)
            mu_product_now = float(mu_product)
            mu_product_next = mu_product_now * mu_next
            denom += eps
            p._data += (-lr * (1.0 - mu) / (1.0 - mu_product_now)) * grad / denom
            p._data += ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom
            self._mark_updated(p)
