"""The differentiable backward pass (``create_graph=True``): the same traversal as ``engine.run_backward``, but
gradients are Tensors and every node runs its Tensor-level ``backward_tensors``, so the gradient computation is
itself recorded and can be differentiated again (to any order).

The first-order engine stays on raw arrays; this module only runs when ``create_graph=True`` is asked for.
"""

from __future__ import annotations

from .. import _grad_mode as grad_mode
from .._graph import AccumulateGrad
from ..tensor import Tensor
from .engine import _check_versions, topological_order, unbroadcast_axes


def unbroadcast_tensor(grad: Tensor, shape) -> Tensor:
    """Sum the Tensor ``grad`` down to ``shape`` (the differentiable twin of ``engine.unbroadcast``)."""
    shape = tuple(shape)
    if tuple(grad.shape) == shape:
        return grad
    lead, axes = unbroadcast_axes(tuple(grad.shape), shape)
    if lead:
        grad = grad.sum(dim=lead)
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    if tuple(grad.shape) != shape:
        grad = grad.reshape(shape)
    return grad


def _node_backward(node, grad: Tensor):
    backward_tensors = getattr(type(node), "backward_tensors", None)
    if backward_tensors is None:
        raise RuntimeError(
            f"{node.name()} does not support create_graph=True (higher-order gradients): its backward has no "
            f"differentiable (Tensor-level) form yet. Compute this gradient with create_graph=False, or use "
            f"tensorlib.autograd.gradcheck for a numeric check.")
    result = backward_tensors(node, grad)
    return result if isinstance(result, tuple) else (result,)


def _add(old, new):
    return new if old is None else old + new


def run_backward_graph(roots, root_grads, retain_graph: bool = True, capture=None, stop=None) -> None:
    """Propagate the Tensor gradients ``root_grads`` from ``roots``, recording the computation.

    Same accumulation, hook, retain_grad and graph-freeing rules as ``engine.run_backward``; leaves receive
    ``.grad`` Tensors with a ``grad_fn`` (accumulated out of place, as PyTorch does under ``create_graph``).
    """
    grads = {}
    for node, grad in zip(roots, root_grads):
        if node is not None:
            grads[node] = _add(grads.get(node), grad)
    for node in topological_order(list(grads), stop):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        hooks = getattr(node, "tensor_hooks", None)
        if hooks:
            for hook in hooks.values():
                result = hook(grad)
                if result is not None:
                    grad = result
        if capture is not None and node in capture:
            capture[node] = _add(capture[node], grad)
        retained = getattr(node, "retained", None)
        if retained is not None and retained() is not None and capture is None:
            tensor = retained()
            tensor.grad = _add(tensor.grad, grad)
        if isinstance(node, AccumulateGrad):
            if capture is None:
                _accumulate_leaf(node, grad)
            continue
        if stop is not None and node in stop:
            continue
        _check_versions(node)
        input_grads = _node_backward(node, grad)
        for parent, g, meta in zip(node.next, input_grads, node.meta):
            if parent is None or g is None:
                continue
            if not isinstance(g, Tensor):
                g = Tensor._wrap(g)
            shape, dtype = meta
            if tuple(g.shape) != tuple(shape):
                g = unbroadcast_tensor(g, shape)
            if g._data.dtype != dtype:
                g = g.to(dtype)
            grads[parent] = _add(grads.get(parent), g)
        if not retain_graph:
            node.__dict__.clear()
            node.next = ()
            node._freed = True


def _accumulate_leaf(node, grad: Tensor) -> None:
    leaf = node.leaf_ref()
    if leaf is None:
        return
    for hook in leaf._hooks.values() if leaf._hooks else ():
        result = hook(grad)
        if result is not None:
            grad = result
    if grad._data.dtype != leaf._data.dtype:
        grad = grad.to(leaf._data.dtype)
    if tuple(grad.shape) != tuple(leaf.shape):
        grad = grad.expand(*leaf.shape)
    leaf.grad = grad if leaf.grad is None else leaf.grad + grad


def composite_vjp(build, inputs, grad_outputs):
    """Differentiable vector-Jacobian product of a Tensor-level recomputation, for fused kernels whose backward
    has no hand-written Tensor form (the recurrent sequence kernel).

    ``build(*aliases)`` recomputes the kernel's outputs from aliases of its ``inputs`` (Tensors, or ``None``/
    constants passed through); ``grad_outputs`` holds one gradient (Tensor or ``None``) per output. Returns one
    gradient per input. The recorded graph reaches the original inputs through the aliases, and the traversal
    stops at them, so nothing upstream of the kernel runs twice.
    """
    with grad_mode.enable_grad():
        aliases = [t.clone() if isinstance(t, Tensor) and t.requires_grad else t for t in inputs]
        outputs = build(*aliases)
    stops = {a.grad_fn: None for a, t in zip(aliases, inputs) if a is not t}
    roots, root_grads = [], []
    for out, g in zip(outputs, grad_outputs):
        if out is not None and g is not None and out.requires_grad:
            roots.append(out._grad_node())
            root_grads.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
    if roots:
        with grad_mode.enable_grad():
            run_backward_graph(roots, root_grads, retain_graph=True, capture=stops, stop=set(stops))
    return tuple(stops.get(a.grad_fn) if a is not t else None for a, t in zip(aliases, inputs))
