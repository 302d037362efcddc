"""``Function``: one differentiable operation, forward and backward side by side on raw arrays.

A subclass implements ``forward(*arrays)`` and ``backward(grad)``; keyword arguments given to ``apply`` are
the op's non-tensor arguments and become plain attributes (so a traced forward pass can be replayed).
``backward`` returns one gradient (or ``None``) per input, in the order of ``forward``'s arguments; the
engine reduces broadcast dimensions and casts to each input's dtype, so ops only write the calculus.
"""

from __future__ import annotations

import functools
import weakref

from .._backend import ndarray
from .._grad_mode import _state, no_grad
from .._graph import Node
from ..tensor import Tensor

_tracers: list = []  # active jit tracers; each gets (fn, inputs, output) for every op applied

class Function(Node):
    """Base class of differentiable operations (also the public ``tensorlib.autograd.Function``)."""

    saves_inputs = True  # False for ops whose backward never reads input values (in-place check skipped)
    saves_output = False  # True when backward reads the forward result (e.g. exp, tanh, sigmoid)
    is_view = False  # True for ViewFunction kernels
    # False for ops whose differentiable backward (``backward_tensors``) never reads ``self.inputs``: linear
    # ops (add, views, indexing, sums) then do not keep their input tensors alive until backward
    keeps_inputs = True

    def __init__(self, **attrs):
        self.__dict__.update(attrs)

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    # Subclasses may define ``backward_tensors(self, grad) -> tuple of Tensor|None``: the same calculus written
    # with Tensor operations (``self.inputs`` are the forward's input Tensors), run by the engine when
    # ``create_graph=True`` so the gradient is itself differentiable.

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    @classmethod
    def apply(cls, *inputs, **attrs):
        """Run ``forward`` on the inputs' arrays and link the result into the graph when grad is needed.

        Inputs that are not Tensors (Python scalars, arrays, ``None``) are passed through as constants.
        """
        fn = object.__new__(cls)
        if attrs:
            fn.__dict__.update(attrs)
        # unrolled for the common arities: a comprehension is a function call of its own before Python 3.12
        if len(inputs) == 2:
            a, b = inputs
            out = fn.forward(a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b)
        elif len(inputs) == 1:
            a = inputs[0]
            out = fn.forward(a._data if isinstance(a, Tensor) else a)
        elif len(inputs) == 3:  # linear, addmm, where, ...
            a, b, c = inputs
            out = fn.forward(a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b,
                             c._data if isinstance(c, Tensor) else c)
        else:
            out = fn.forward(*[t._data if isinstance(t, Tensor) else t for t in inputs])
        out = Tensor._wrap(out)
        if _state.enabled:
            needs, nodes, meta, graph = [], [], [], False
            for t in inputs:  # one pass: which inputs need grad, their graph nodes and shapes/dtypes
                if isinstance(t, Tensor):
                    view = t._view
                    if view is not None and view[2] is not view[0].grad_fn:
                        refresh_view(t)  # its base's node changed in place since this view's node was made
                    if t._requires_grad:
                        graph = True
                        needs.append(True)
                        nodes.append(t.grad_fn or t._grad_node())
                        data = t._data
                        meta.append((data.shape, data.dtype))
                        continue
                needs.append(False)
                nodes.append(None)
                meta.append(None)
            if graph:
                fn.needs_input_grad = needs
                fn.next = nodes
                fn.meta = meta
                if cls.keeps_inputs:
                    fn.inputs = inputs  # the input Tensors, for the differentiable backward (create_graph=True)
                if cls.saves_inputs:
                    fn.versions = [(t._version, t._version.value) for t in inputs if isinstance(t, Tensor)]
                if cls.saves_output:
                    fn.out_version = (out._version, 0)
                out._requires_grad = True
                out.grad_fn = fn
        if cls.is_view:  # a result sharing the input's memory is a view: it shares the version counter, and
            # ``_view`` = (root base, ((kernel, attrs), ...), the root's grad_fn its node was built from)
            owner = out._data.base
            src = inputs[0]
            if owner is not None and (owner is src._data or owner is src._data.base):
                parent = src._view
                if parent is None:
                    out._view = (src, ((cls, attrs),), src.grad_fn)
                else:
                    out._view = (parent[0], parent[1] + ((cls, attrs),), parent[0].grad_fn)
                out._version = src._version
        if _tracers:
            for tracer in _tracers:
                tracer.record(fn, attrs, inputs, out)
        return out


class ViewFunction(Function):
    """A kernel whose forward returns a NumPy view of its single input (slicing, reshape, permute, expand ...).

    When the result really shares the input's memory, ``Function.apply`` records it as a view as PyTorch does: it
    shares its base's version counter, and ``_view`` holds the root base plus the (kernel, attrs) chain that
    recreates it from that base, which the in-place machinery replays (functional/inplace.py)."""

    is_view = True


def refresh_view(view: Tensor) -> None:
    """Rebuild ``view``'s graph node from its base's current node by replaying its view kernels (PyTorch
    regenerates a view's grad_fn the same way after an in-place op changed the base's)."""
    root, ops, _ = view._view
    regen = root
    for cls, attrs in ops:
        regen = cls.apply(regen, **attrs)
    if view._retains_grad and getattr(view.grad_fn, "retained", None) is not None:
        view.grad_fn.retained = None
    view.grad_fn = regen.grad_fn
    view._requires_grad = regen._requires_grad
    if view._retains_grad and regen.grad_fn is not None:
        regen.grad_fn.retained = weakref.ref(view)
    view._view = (root, ops, root.grad_fn)


def graph_node(t: Tensor):
    """``t``'s node for a backward root or a ``grad`` input, refreshed first if ``t`` is a stale view."""
    if t._view is not None and t._view[2] is not t._view[0].grad_fn:
        refresh_view(t)
    return t._grad_node()


def replay_view(array, ops):
    """Apply a recorded view chain to a raw array (e.g. a gradient of the base's shape); returns the view."""
    for cls, attrs in ops:
        fn = object.__new__(cls)
        fn.__dict__.update(attrs)
        array = fn.forward(array)
    return array


class FunctionCtx:
    """The ``ctx`` of a user-defined ``autograd.Function``: stash tensors for backward."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        pass


def is_array(value) -> bool:
    return isinstance(value, ndarray)


class DelayedError(Function):
    """Identity whose backward raises: marks the results of a ``once_differentiable`` backward."""

    saves_inputs = False

    def name(self) -> str:
        return "DelayedError"

    def forward(self, x):
        return x

    def backward(self, g):
        raise RuntimeError(self.message)

    def backward_tensors(self, g):
        raise RuntimeError(self.message)


def once_differentiable(backward):
    """Decorate a custom ``Function.backward`` that is not itself differentiable (it runs without recording a
    graph); differentiating its results again raises an error naming the Function instead of silently giving
    a zero second derivative."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with no_grad():
            outputs = backward(ctx, *grad_outputs)
        if not (_state.enabled and any(isinstance(g, Tensor) and g.requires_grad for g in grad_outputs)):
            return outputs
        name = getattr(ctx, "_function_name", backward.__qualname__.rsplit(".", 1)[0])
        message = (f"trying to differentiate twice a function that was marked with @once_differentiable: "
                   f"{name}.backward runs without recording a graph, so its second derivative is not available. "
                   f"Write {name}.backward with differentiable tensor operations (and remove "
                   f"@once_differentiable) to support double backward.")
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_delayed_error(o, message) if isinstance(o, Tensor) else o
                        for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped

    return wrapper


def _delayed_error(tensor, message: str):
    """``tensor`` behind a ``DelayedError`` node (a root of its own when ``tensor`` has no graph)."""
    out = Tensor._wrap(tensor._data)
    fn = object.__new__(DelayedError)
    fn.message, fn.needs_input_grad = message, [False]
    fn.next, fn.meta, fn.inputs = (None,), (None,), (tensor,)
    out.requires_grad, out.grad_fn = True, fn
    return out
