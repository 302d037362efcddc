"""``backward`` and ``grad``: run the engine from given roots, accumulating into leaves or returning gradients."""

from __future__ import annotations

from typing import Optional

from .. import _grad_mode as grad_mode
from .._backend import xp
from ..tensor import Tensor
from .engine import run_backward
from .function import graph_node
from .graph_engine import run_backward_graph

_NO_GRAD_HINT = (" (if this tensor is a gradient returned by backward()/autograd.grad(), compute that gradient with "
                 "create_graph=True to differentiate it again)")


def _root_grads(tensors, grad_tensors):
    grads = []
    for t, g in zip(tensors, grad_tensors):
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn"
                               + _NO_GRAD_HINT)
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got a tensor of shape "
                                   f"{list(t.shape)}); pass `gradient=` with the same shape, e.g. "
                                   "`y.backward(tensorlib.ones_like(y))`, or reduce first (`y.sum().backward()`)")
            grads.append(xp.ones(t._data.shape, dtype=t._data.dtype))
        else:
            g_data = g._data if isinstance(g, Tensor) else xp.asarray(g, dtype=t._data.dtype)
            if g_data.shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {list(g_data.shape)} and "
                                   f"output[0] has a shape of {list(t.shape)}.")
            grads.append(g_data)
    return grads


def _as_list(value):
    if value is None:
        return None
    return [value] if isinstance(value, Tensor) else list(value)


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves.

    With ``create_graph=True`` the gradients are recorded (they get a ``grad_fn``) and can be differentiated
    again; ``retain_graph`` then defaults to True, as in PyTorch.
    """
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) or [None] * len(tensors)
    grads = _root_grads(tensors, grad_tensors)
    retain = bool(create_graph if retain_graph is None else retain_graph)
    if inputs is not None:
        captured = grad(tensors, _as_list(inputs), grad_tensors, retain_graph=retain, create_graph=create_graph,
                        allow_unused=True)
        for leaf, g in zip(_as_list(inputs), captured):
            if g is not None:
                leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    roots = [graph_node(t) for t in tensors]
    if create_graph:
        with grad_mode.enable_grad():
            run_backward_graph(roots, _graph_root_grads(grads, grad_tensors), retain_graph=retain)
        return
    run_backward(roots, grads, retain_graph=retain)


def _graph_root_grads(arrays, grad_tensors):
    """Root gradients as Tensors for the recorded pass: given Tensors are kept (they may carry a graph)."""
    return [g if isinstance(g, Tensor) else Tensor._wrap(a) for a, g in zip(arrays, grad_tensors)]


def grad(outputs, inputs, grad_outputs=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         allow_unused: Optional[bool] = None, is_grads_batched: bool = False, materialize_grads: bool = False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated into ``.grad``).

    With ``create_graph=True`` the returned gradients have a ``grad_fn`` and can be differentiated again.
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    nodes = [graph_node(t) for t in inputs]
    capture = {node: None for node in nodes}
    roots = [graph_node(t) for t in outputs]
    root_grads = _root_grads(outputs, grad_outputs)
    retain = bool(create_graph if retain_graph is None else retain_graph)
    if create_graph:
        with grad_mode.enable_grad():
            run_backward_graph(roots, _graph_root_grads(root_grads, grad_outputs), retain_graph=retain,
                               capture=capture)
    else:
        run_backward(roots, root_grads, retain_graph=retain, capture=capture)
    result = []
    for i, (t, node) in enumerate(zip(inputs, nodes)):
        g = capture[node]
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(f"One of the differentiated Tensors (input {i}, shape {list(t.shape)}) appears to "
                                   "not have been used in the graph. Set allow_unused=True if this is the desired "
                                   "behavior.")
            result.append(Tensor._wrap(xp.zeros(t._data.shape, t._data.dtype)) if materialize_grads else None)
        elif isinstance(g, Tensor):
            result.append(g if g._data.dtype == t._data.dtype else g.to(t._data.dtype))
        else:
            result.append(Tensor._wrap(g.astype(t._data.dtype, copy=False)))
    return tuple(result)
