"""Automatic differentiation: ``backward``, ``grad``, grad modes, custom ``Function`` and ``gradcheck``."""

from .._grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import anomaly_mode, functional, grad_mode
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .custom import Function
from .function import FunctionCtx
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .gradients import backward, grad
from .variable import Variable

__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "grad_mode", "functional",
           "anomaly_mode", "detect_anomaly", "set_detect_anomaly", "Variable"]
