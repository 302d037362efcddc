"""Automatic differentiation: ``backward``, ``grad``, grad modes, custom ``Function`` and ``gradcheck``."""

from .._grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import functional, grad_mode
from .custom import Function
from .function import FunctionCtx
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .gradients import backward, grad

__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "grad_mode", "functional"]
