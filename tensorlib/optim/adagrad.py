"""``Adagrad``: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .._backend import xp
from ..tensor import Tensor
from ._math import add_weight_decay
from .optimizer import Optimizer, scalar_state

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``torch.optim.Adagrad``. State (created for every parameter at construction): ``step``, ``sum``."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value),
                            ("epsilon value", eps)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {name}: {value}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def _init_state(self, p, group: dict[str, Any]) -> None:
        state = self.state[p]
        state["step"] = scalar_state(0.0)
        state["sum"] = Tensor._wrap(xp.full_like(p._data, group["initial_accumulator_value"]))

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group; its parameters get their ``step``/``sum`` state right away, as at construction."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p, group)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            state["step"]._data += 1
            step = float(state["step"]._data)
            grad = add_weight_decay(self._grad_of(p, group["maximize"]), p._data, group["weight_decay"])
            clr = lr / (1 + (step - 1) * group["lr_decay"])
            state_sum = state["sum"]._data
            state_sum += grad * grad
            std = xp.sqrt(state_sum)
            std += group["eps"]
            p._data += (-clr) * grad / std
            self._mark_updated(p)
