"""``tensorlib.autograd.functional``: vjp, jvp, jacobian, hessian, hvp and vhp with PyTorch's signatures and
output structures (a Tensor where PyTorch gives a Tensor for a Tensor argument, tuples for tuple arguments).

All are built on ``autograd.grad``; ``jvp`` uses the double-backward trick (the gradient of a vjp with respect
to its cotangent), ``hvp``/``vhp`` differentiate a gradient (``create_graph=True``). ``vectorize`` and the
strategy arguments are accepted; the Jacobian is always built one row (output element) at a time.
"""

from __future__ import annotations

from typing import Callable

from .. import _grad_mode as grad_mode
from .._backend import xp
from ..tensor import Tensor
from .gradients import grad as autograd_grad


def _as_tuple(value, arg_name: str, fn_name: str):
    is_tuple = isinstance(value, (tuple, list))
    items = tuple(value) if is_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"element {i} of the {arg_name}" if is_tuple else f"the {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where} has type {type(item).__name__}.")
    return is_tuple, items


def _prepare(inputs, create_graph: bool):
    """Inputs made differentiable leaves (or kept in the outer graph under ``create_graph``)."""
    with grad_mode.enable_grad():
        return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                     for t in inputs)


def _finish(tensors, create_graph: bool):
    return tuple(t if t is None or create_graph else t.detach() for t in tensors)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, what: str):
    """``autograd.grad`` with zeros for inputs the outputs do not depend on (``strict=True`` raises instead)."""
    outputs = [o for o in outputs]
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if live:
        result = autograd_grad([o for o, _ in live], list(inputs), [g for _, g in live], retain_graph=True,
                               create_graph=create_graph, allow_unused=True)
    else:
        result = (None,) * len(inputs)
    out = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {what} for input {i} is independent of the input: this is not allowed in "
                                   "strict mode.")
            g = Tensor._wrap(xp.zeros(t._data.shape, dtype=t._data.dtype))
        out.append(g)
    return tuple(out)


def _check_v(v, outputs, name: str):
    for i, (vi, o) in enumerate(zip(v, outputs)):
        if tuple(vi.shape) != tuple(o.shape):
            raise RuntimeError(f"Mismatch in shape: {name} element {i} has shape {list(vi.shape)} but the "
                               f"corresponding tensor has shape {list(o.shape)}.")


def _default_v(v, outputs, fn_name: str):
    if v is not None:
        _, items = _as_tuple(v, "v", fn_name)
        if len(items) != len(outputs):
            raise RuntimeError(f"v has {len(items)} elements but the function has {len(outputs)} outputs/inputs.")
        _check_v(items, outputs, "v")
        return items
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the input to the user-provided function is a single "
                           f"Tensor with a single element ({fn_name}).")
    return (Tensor._wrap(xp.ones(outputs[0]._data.shape, dtype=outputs[0]._data.dtype)),)


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    with grad_mode.enable_grad():
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        v = _default_v(v, outputs, "vjp")
        grads = _grads(outputs, inputs, v, create_graph, strict, "output")
    outputs, grads = _finish(outputs, create_graph), _finish(grads, create_graph)
    return (outputs if outputs_tuple else outputs[0]), (grads if inputs_tuple else grads[0])


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)`` by the double-backward trick: ``J v = d/du (u^T J) v``."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph)
    v = _default_v(v, inputs, "jvp")
    with grad_mode.enable_grad():
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        dummies = tuple(Tensor._wrap(xp.zeros(o._data.shape, dtype=o._data.dtype)).requires_grad_(True)
                        for o in outputs)
        vjps = _grads(outputs, inputs, dummies, True, strict, "output")
        result = _grads([g for g in vjps], dummies, v, create_graph, strict, "jvp")
    outputs, result = _finish(outputs, create_graph), _finish(result, create_graph)
    return (outputs if outputs_tuple else outputs[0]), (result if outputs_tuple else result[0])


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: entry ``[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``
    (a Tensor when both are single Tensors, a tuple level per tuple argument, as PyTorch)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    with grad_mode.enable_grad():
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        blocks = []
        for out in outputs:
            flat = out.reshape(-1)
            rows = [[] for _ in inputs]
            for k in range(flat.numel()):
                grads = _grads([flat[k]], inputs, [Tensor._wrap(xp.ones((), dtype=out._data.dtype))],
                               create_graph, strict, "output") if out.requires_grad else \
                    _grads([], inputs, [], create_graph, strict, "output")
                for j, g in enumerate(grads):
                    rows[j].append(g)
            block = []
            for j, t in enumerate(inputs):
                block.append(_stack_rows(rows[j], tuple(out.shape) + tuple(t.shape), t._data.dtype, create_graph))
            blocks.append(tuple(_finish(block, create_graph)))
    if not outputs_tuple:
        return blocks[0] if inputs_tuple else blocks[0][0]
    return tuple(b if inputs_tuple else b[0] for b in blocks)


def _stack_rows(rows, shape, dtype, create_graph: bool):
    """Jacobian rows (one gradient per output element) as one Tensor of ``shape``; under ``create_graph`` the
    rows are written into zeros by differentiable item assignment so the result stays in the graph."""
    if not create_graph:
        data = xp.stack([r._data.reshape(-1) for r in rows]) if rows else xp.zeros((0,), dtype=dtype)
        return Tensor._wrap(data.reshape(shape).astype(dtype, copy=False))
    numel = rows[0].numel() if rows else 0
    result = Tensor._wrap(xp.zeros((len(rows), numel), dtype=dtype))
    for k, r in enumerate(rows):
        result[k] = r.reshape(-1)
    return result.reshape(shape)


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of the scalar ``func`` at ``inputs``: ``[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``."""
    inputs_tuple, inputs_items = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        _, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element.")
        return _grads([outs[0].reshape(())], xs, [Tensor._wrap(xp.ones((), dtype=outs[0]._data.dtype))], True,
                      strict, "output")

    result = jacobian(gradient, inputs_items, create_graph=create_graph, strict=strict,
                      strategy=outer_jacobian_strategy)
    if inputs_tuple:
        return result
    return result[0][0]


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func`` (equal to ``vhp`` for twice continuously differentiable
    functions, whose Hessian is symmetric; computed the same way)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, name: str):
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _prepare(inputs, create_graph)
    v = _default_v(v, inputs, name)
    with grad_mode.enable_grad():
        output = func(*inputs)
        _, outs = _as_tuple(output, "outputs of the user-provided function", name)
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(f"The function given to {name} should return a single Tensor with a single element.")
        out = outs[0]
        first = _grads([out.reshape(())], inputs, [Tensor._wrap(xp.ones((), dtype=out._data.dtype))], True,
                       strict, "output")
        dot = None
        for g, vi in zip(first, v):
            if g.requires_grad:
                dot = (g * vi).sum() if dot is None else dot + (g * vi).sum()
        if dot is None or not dot.requires_grad:
            result = _grads([], inputs, [], create_graph, strict, "double backward")
        else:
            result = _grads([dot], inputs, [Tensor._wrap(xp.ones((), dtype=dot._data.dtype))], create_graph,
                            strict, "double backward")
    output = _finish((out,), create_graph)[0]
    result = _finish(result, create_graph)
    return output, (result if inputs_tuple else result[0])
