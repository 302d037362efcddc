"""The backward pass: iterative topological order, gradient accumulation, broadcast reduction, graph freeing."""

from __future__ import annotations

import sys

from .._backend import xp
from .._graph import AccumulateGrad
from .._parallel import in_halves, worth_halves
from ..tensor import Tensor
from . import anomaly_mode

# references to a gradient array that no one else holds, as seen inside _accumulate_leaf and _accumulate
_UNSHARED_REFS = 3

_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(), to save memory. Specify retain_graph=True if you need to backward through the graph a "
    "second time or if you need to access saved tensors after calling backward. Usually the cleaner fix is to "
    "run the forward pass again for each backward."
)


def unbroadcast_axes(grad_shape, shape):
    """The axes to sum a broadcast gradient over to get back to ``shape``: ``(leading extra axes, axes that were
    size 1 in the input)``, the second counted after the first are gone. Shared by both backward passes."""
    extra = len(grad_shape) - len(shape)
    lead = tuple(range(extra)) if extra > 0 else ()
    kept = grad_shape[max(extra, 0):]
    return lead, tuple(i for i, n in enumerate(shape) if n == 1 and kept[i] != 1)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: leading extra dims first, then dims that were size 1 in the input."""
    if grad.shape == shape:
        return grad
    lead, axes = unbroadcast_axes(grad.shape, shape)
    if lead:
        grad = grad.sum(axis=lead)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:  # e.g. a 0-d input broadcast from shape ()
        grad = grad.reshape(shape)
    return grad


def topological_order(roots, stop=None):
    """Nodes reachable from ``roots`` such that every node comes before all of its parents (no recursion).

    The parents of nodes in ``stop`` are not visited (``autograd.grad`` stops at its inputs)."""
    order = []
    visited = set()
    stack = [(node, False) for node in roots if node is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        if node._freed:
            raise RuntimeError(_SECOND_BACKWARD)
        if stop is not None and node in stop:
            continue
        for parent in node.next:
            if parent is not None and parent not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _check_versions(node) -> None:
    versions = getattr(node, "versions", ())
    out_version = getattr(node, "out_version", None)
    if out_version is not None:
        versions = [*versions, out_version]
    for index, (counter, seen) in enumerate(versions):
        if counter.value != seen:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: {node.name()} needs its {_which(node, index, len(versions))} "
                f"at version {seen}, but it is now at version {counter.value} (last modified by {counter.last_op}). "
                "Use the out-of-place form of that operation (e.g. x = x + 1 instead of x += 1), or .clone() the "
                "tensor before modifying it.")


def _which(node, index: int, count: int) -> str:
    if getattr(node, "out_version", None) is not None and index == count - 1:
        return "output"
    return f"input {index}"


def _accumulate(grads, node, grad, supports, rows=None) -> None:
    """Add ``grad`` to ``node``'s pending gradient; ``rows`` (sorted row indices outside which ``grad`` is zero)
    is kept in ``supports`` only while ``grad`` is the node's sole contribution."""
    old = grads.get(node)
    if old is None:
        grads[node] = grad
        if rows is not None:
            supports[node] = rows
    else:
        # in place when nothing but this dict holds ``old`` (dict, local name, getrefcount's own: PyTorch's
        # InputBuffer also adds into a gradient no one else references); otherwise a new array: one backward may
        # hand the same array object to two inputs, or a hook may have kept it
        if sys.getrefcount(old) <= _UNSHARED_REFS and _adds_in_place(old, grad):
            _add_into(old, grad)
        else:
            grads[node] = old + grad
        if supports:
            supports.pop(node, None)


def _adds_in_place(old, grad) -> bool:
    """Whether ``old += grad`` gives ``old + grad`` without touching memory anyone else sees: same shape and
    dtype, ``old`` writeable, its owner (a view's base) referenced by ``old`` alone, no overlap with ``grad``."""
    if old.__class__ is not xp.ndarray or grad.__class__ is not xp.ndarray or old.shape != grad.shape \
            or old.dtype != grad.dtype or not old.flags.writeable:
        return False
    # a view's owner: an array owning its memory, referenced by the view's ``base`` and getrefcount's argument
    if old.base is not None and (old.base.__class__ is not xp.ndarray or not old.base.flags.owndata
                                 or sys.getrefcount(old.base) > 2):
        return False
    return not xp.may_share_memory(old, grad)


def _add_into(old, grad) -> None:
    """``old += grad``, in two halves on the intra-op threads when large (a sum is exact per element: the split
    never changes the bits)."""
    if old.ndim and worth_halves(old.shape[0], old.nbytes):
        in_halves(old.shape[0], lambda lo, hi: xp.add(old[lo:hi], grad[lo:hi], out=old[lo:hi]))
    else:
        xp.add(old, grad, out=old)


def grad_row_support(grad):
    """The sorted row indices outside which the gradient tensor ``grad`` is known to be zero, or ``None``.

    Set when a leaf's ``.grad`` came from a single row-scatter (embedding lookups); forgotten as soon as anything
    else is accumulated into it or it is modified in place, so an optimizer may update just these rows.
    """
    hint = getattr(grad, "_row_support", None)
    if hint is None or hint[1] != grad._version.value:
        return None
    return hint[0]


def run_backward(roots, root_grads, retain_graph: bool = False, capture=None):
    """Propagate ``root_grads`` from the ``roots`` nodes through the graph.

    With ``capture`` (a dict node -> None) gradients arriving at those nodes are stored there instead of being
    accumulated into leaves (``autograd.grad``).
    """
    grads, supports = {}, {}
    for node, grad in zip(roots, root_grads):
        if node is not None:
            _accumulate(grads, node, grad, supports)
    for node in topological_order(list(grads)):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        hooks = getattr(node, "tensor_hooks", None)
        if hooks:
            for hook in hooks.values():
                result = hook(Tensor._wrap(grad))
                if result is not None:
                    grad = result._data
        if capture is not None and node in capture:
            capture[node] = grad if capture[node] is None else capture[node] + grad
        retained = getattr(node, "retained", None)
        if retained is not None and retained() is not None and capture is None:
            tensor = retained()
            tensor.grad = Tensor._wrap(grad.copy()) if tensor.grad is None else tensor.grad + grad
        if isinstance(node, AccumulateGrad):
            if capture is None:
                _accumulate_leaf(node, grad, supports.pop(node, None) if supports else None)
            continue
        _check_versions(node)
        input_grads = node.backward(grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if anomaly_mode.state.enabled:
            anomaly_mode.check_gradients(node, input_grads)
        row_supports = node.grad_row_support
        for k, (parent, g, meta) in enumerate(zip(node.next, input_grads, node.meta)):
            if parent is None or g is None:
                continue
            shape, dtype = meta
            if g.shape != shape:
                g = unbroadcast(g, shape)
            if g.dtype != dtype:
                g = g.astype(dtype)
            _accumulate(grads, parent, g, supports, row_supports[k] if row_supports else None)
        input_grads = g = None  # drop our references so a leaf can adopt its gradient without a copy
        if not retain_graph:
            node.__dict__.clear()
            node.next = ()
            node._freed = True


def _accumulate_leaf(node, grad, rows=None) -> None:
    leaf = node.leaf_ref()
    if leaf is None:
        return
    for hook in leaf._hooks.values() if leaf._hooks else ():
        result = hook(Tensor._wrap(grad))
        if result is not None:
            grad, rows = result._data, None
    if grad.dtype != leaf._data.dtype:
        grad = grad.astype(leaf._data.dtype)
    if grad.shape != leaf._data.shape:
        grad = xp.broadcast_to(grad, leaf._data.shape)
    if leaf.grad is None:
        # .grad must own its memory (it is accumulated into in place). A fresh array that nothing else
        # references (local name, argument, getrefcount's own) can be adopted; anything shared is copied.
        owned = grad.flags.owndata and grad.flags.writeable and sys.getrefcount(grad) <= _UNSHARED_REFS
        leaf.grad = Tensor._wrap(grad if owned else xp.array(grad, copy=True))
        if rows is not None:
            leaf.grad._row_support = (rows, 0)
    else:
        # in place, as PyTorch: a reference to .grad taken earlier sees the accumulated value
        leaf.grad._data += grad
        leaf.grad._row_support = None
    post_hooks = leaf.__dict__.get("_post_accumulate_grad_hooks")
    for hook in list(post_hooks.values()) if post_hooks else ():
        hook(leaf)
