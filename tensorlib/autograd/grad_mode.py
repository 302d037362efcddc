"""``tensorlib.autograd.grad_mode`` (PyTorch's module path): the grad-mode switches live in ``tensorlib._grad_mode``.

They sit below ``Tensor`` in the layer order, so they cannot live inside the ``autograd`` package, whose
``__init__`` imports the engine (which builds on ``Tensor``).
"""

from .._grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "no_grad",
           "set_grad_enabled"]
