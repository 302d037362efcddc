"""User-defined differentiable operations, PyTorch style::

    class MyExp(tensorlib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

    y = MyExp.apply(x)
"""

from __future__ import annotations

from .. import _grad_mode as grad_mode
from ..tensor import Tensor
from . import anomaly_mode
from .function import Function as _Node
from .function import FunctionCtx


class _CustomNode(_Node):
    """Graph node that calls a user ``Function.backward`` with tensors."""

    saves_inputs = False

    def name(self) -> str:
        return self.user_cls.__name__ + "Backward"

    def backward(self, g):
        with grad_mode.no_grad():
            grads = self.user_cls.backward(self.ctx, Tensor._wrap(g))
        if not isinstance(grads, tuple):
            grads = (grads,)
        out = []
        for grad, is_tensor in zip(grads, self.tensor_positions):
            if not is_tensor:
                continue
            out.append(None if grad is None else (grad._data if isinstance(grad, Tensor) else grad))
        return tuple(out)

    def backward_tensors(self, g):
        # create_graph=True: the user's backward runs under grad mode, so its tensor ops are recorded (tensors
        # saved in forward are the real inputs/outputs, so second derivatives reach them)
        self.ctx._function_name = self.user_cls.__name__
        with grad_mode.enable_grad():
            grads = self.user_cls.backward(self.ctx, g)
        if not isinstance(grads, tuple):
            grads = (grads,)
        return tuple(grad for grad, is_tensor in zip(grads, self.tensor_positions) if is_tensor)


class Function:
    """Base class for user-defined ops: static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        tensors = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with grad_mode.no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        if not (grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return result
        node = _CustomNode(user_cls=cls, ctx=ctx, tensor_positions=[isinstance(a, Tensor) for a in args])
        needs = [t.requires_grad for t in tensors]
        node.needs_input_grad = needs
        node.next = tuple(t._grad_node() if need else None for t, need in zip(tensors, needs))
        node.meta = tuple((t._data.shape, t._data.dtype) if need else None for t, need in zip(tensors, needs))
        # the forward's own result becomes the output (unless it is an input passed through), so a tensor saved
        # for backward is the graph's output and a differentiable backward reaches this node again
        passthrough = any(result is a for a in args)
        out = Tensor._wrap(result._data) if passthrough or result.grad_fn is not None else result
        out.requires_grad = True
        out.grad_fn = node
        if anomaly_mode.state.enabled:
            anomaly_mode.state.record(node)
        return out
