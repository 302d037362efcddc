"""``Variable``: PyTorch's legacy wrapper, a no-op since tensors carry autograd themselves."""

from __future__ import annotations

from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(t, requires_grad=False)`` returns a tensor sharing ``t``'s data, detached from its graph, with
    ``requires_grad`` as given (what ``torch.autograd.Variable`` does since PyTorch 0.4); every tensor is an
    instance of ``Variable``."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
