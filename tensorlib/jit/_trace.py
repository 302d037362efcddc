"""``trace`` (record + check against eager) and ``script`` (only with example inputs)."""

from __future__ import annotations

import inspect
import warnings
from collections import OrderedDict
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .. import Tensor, nn, no_grad
from . import runtime
from ._module import EVAL_NOTE, TracedModule
from ._tracer import Tracer, TracerWarning, TracingError, recording

FLOAT_RTOL, FLOAT_ATOL = 1e-5, 1e-5


class TracingCheckError(RuntimeError):
    """The traced graph's outputs differ from eager execution (raised by ``check_trace``)."""


def _as_tuple(example_inputs) -> Tuple[Tensor, ...]:
    args = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    for i, arg in enumerate(args):
        if not isinstance(arg, Tensor):
            raise TypeError(f"example_inputs[{i}] is a {type(arg).__name__}; tensorlib.jit.trace records Tensor "
                            "inputs only (pass other arguments through a wrapper module or closure)")
    return tuple(args)


def _input_names(func, count: int, taken) -> List[str]:
    target = func.forward if isinstance(func, nn.Module) else func
    try:
        params = [p.name for p in inspect.signature(target).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(count):
        name = params[i] if i < len(params) else f"input_{i}"
        names.append(name if name not in taken and name not in names else f"input_{i}")
    return names


def _state(module) -> OrderedDict[str, Tensor]:
    if not isinstance(module, nn.Module):
        return OrderedDict()
    state = OrderedDict(module.named_parameters())
    state.update(module.named_buffers())
    return state


def _structure(obj, tracer: Tracer):
    if isinstance(obj, Tensor):
        return {"tensor": tracer.ref(obj, "the returned value")}
    if isinstance(obj, nn.utils.rnn.PackedSequence):
        raise TracingError("returning a PackedSequence is not traceable; return padded tensors instead")
    if isinstance(obj, tuple):
        return {"tuple": [_structure(o, tracer) for o in obj]}
    if isinstance(obj, list):
        return {"list": [_structure(o, tracer) for o in obj]}
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, (str, int)):
                raise TracingError(f"output dict keys must be str or int, got {type(key).__name__}")
        return {"dict": [[k, _structure(v, tracer)] for k, v in obj.items()]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TracingError(f"cannot trace an output of type {type(obj).__name__}")


def _dynamic_shape(name: str, arg: Tensor, nodes: list) -> list:
    """Dim 0 (the batch) may change; token ids (integers) and sequences fed to an RNN may change length too, and
    an RNN's initial states may change their batch dim (1)."""
    shape = list(arg.shape)
    if not shape:
        return shape
    rnn_inputs = [n["inputs"] for n in nodes if n["op"] == "rnn"]
    if any(name in ins[2:4] for ins in rnn_inputs):  # initial states (layers * directions, N, H)
        return [shape[0], None, shape[2]]
    sequence = arg.numpy().dtype.kind in "iu" or any(ins[0] == name for ins in rnn_inputs)
    return [None] * len(shape) if sequence else [None] + shape[1:]


def _record(func, args: Tuple[Tensor, ...], strict: bool, keep_values: bool = False):
    """Run ``func(*args)`` once under the tracer; returns ``(graph, weights, tracer, eager output)``."""
    state = _state(func)
    tracer = Tracer(state, strict, keep_values)
    names = _input_names(func, len(args), set(state))
    for name, arg in zip(names, args):
        tracer.bind_input(name, arg)
    buffers = dict(func.named_buffers()) if isinstance(func, nn.Module) else {}
    saved = {name: b._data.copy() for name, b in buffers.items()}
    failure = None
    try:
        with no_grad(), recording(tracer):
            output = func(*args)
    except TracingError as exc:
        failure = exc
    changed = [name for name, b in buffers.items()
               if saved[name].shape != b._data.shape or not np.array_equal(saved[name], b._data, equal_nan=True)]
    for name in changed:
        buffers[name]._data = saved[name]  # undo the state update the refused trace made
    if changed:
        raise RuntimeError(f"the forward pass modified buffer '{changed[0]}' in place (e.g. batch norm running "
                           "statistics in train mode); a traced graph would drop that state update. Trace the model "
                           "in eval mode (the default, eval_mode=True) or call model.eval() first")
    if failure is not None:
        raise failure
    structure = _structure(output, tracer)
    _drop_dead_nodes(tracer, _references(structure))
    inputs = [{"name": n, "dtype": a.numpy().dtype.name, "shape": _dynamic_shape(n, a, tracer.nodes)}
              for n, a in zip(names, args)]
    graph = {"format": runtime.FORMAT, "version": runtime.FORMAT_VERSION, "note": EVAL_NOTE, "inputs": inputs,
             "outputs": structure,
             "nodes": [{k: v for k, v in node.items() if k != "_values"} for node in tracer.nodes]}
    # a snapshot: training the model further must not change (half of) the folded traced graph
    weights = {name: np.array(array, copy=True) for name, array in tracer.weights.items()}
    return graph, weights, tracer, output


def _references(structure: dict) -> List[str]:
    """The value names an output structure (``_structure``'s form) refers to."""
    if "tensor" in structure:
        return [structure["tensor"]]
    items = structure.get("tuple") or structure.get("list") or [v for _, v in structure.get("dict", ())]
    return [name for item in items for name in _references(item)]


def _drop_dead_nodes(tracer: Tracer, outputs: List[str]) -> None:
    """Remove the ops no output depends on (e.g. a mask built only to be compared with ``==``), their constants
    and weights."""
    used, live = set(outputs), []
    for node in reversed(tracer.nodes):
        if any(name in used for name in node["outputs"]):
            live.append(node)
            used.update(ref for ref in node["inputs"] if isinstance(ref, str))
    tracer.nodes = live[::-1]
    tracer.weights = {name: array for name, array in tracer.weights.items() if name in used}
    tracer.captured = [c for c in tracer.captured if c.split(" ", 1)[0] in used]


def _baked(graph: dict, tracer: Tracer) -> List[str]:
    found = [f"constant captured at trace time: {c}" for c in tracer.captured]
    for node in graph["nodes"]:
        shape = node["attrs"].get("shape") if node["op"] in ("reshape", "expand") else None
        if shape and shape[0] not in (0, 1, -1):
            found.append(f"{node['op']} to {shape} at {node['source']}: dim 0 is fixed at {shape[0]}")
    return found


def _flatten(obj) -> list:
    if isinstance(obj, (tuple, list)):
        return [x for o in obj for x in _flatten(o)]
    if isinstance(obj, dict):
        return [x for o in obj.values() for x in _flatten(o)]
    return [obj.numpy() if isinstance(obj, Tensor) else obj]


def _close(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        # relative to the tensor's scale: summation order alone moves near-zero entries of large activations
        scale = float(np.max(np.abs(b), initial=0.0))
        return bool(np.allclose(a, b, rtol=0, atol=FLOAT_ATOL + FLOAT_RTOL * scale, equal_nan=True))
    return bool(np.array_equal(a, b))


def _describe_difference(a, b) -> str:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return f"shape {list(a.shape)} traced vs {list(b.shape)} eager"
    return f"max abs difference {float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))):.3g}"


def _first_difference(graph: dict, env: dict, eager_nodes: list, baked: List[str]) -> str:
    for i, node in enumerate(graph["nodes"]):
        if i >= len(eager_nodes):
            return f"op #{i} {node['op']} (at {node['source']}) has no eager counterpart"
        eager = eager_nodes[i]
        if eager["op"] != node["op"]:
            return (f"op #{i}: the graph recorded {node['op']} (at {node['source']}) but eager ran {eager['op']} (at "
                    f"{eager['source']}): the forward pass takes a different path for this input")
        for name, value in zip(node["outputs"], eager["_values"]):
            if value.size == 0:
                continue
            if not _close(env[name], value):
                hint = ""
                if node["op"] in ("reshape", "expand"):
                    hint = (f"; the forward pass computes this {node['op']}'s shape from Python numbers that do not "
                            "follow the batch size (e.g. x.view(4, -1)): a size baked in at trace time")
                return (f"first differing op #{i} {node['op']} (at {node['source']}): "
                        f"{_describe_difference(env[name], value)}{hint}")
    return "no single op differs; " + ("; ".join(baked) if baked else "the outputs differ")


def _check(traced: TracedModule, func, cases: list) -> None:
    debug = runtime.Program(traced._graph, traced._weights, "check", fold=False)
    for label, args, optional in cases:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TracerWarning)
                eager_graph, _, eager_tracer, eager_out = _record(func, args, strict=False, keep_values=True)
        except Exception:
            if optional:  # the generated batch size may not suit the model (e.g. offsets): nothing to compare
                continue
            raise
        try:
            env = debug.evaluate(*[a.numpy() for a in args])
            traced_out = runtime._build(traced._graph["outputs"], env)
        except Exception as exc:
            raise TracingCheckError(f"the traced graph fails on {label} where eager works: {exc}; "
                                    + "; ".join(traced.baked)) from exc
        expected, got = _flatten(eager_out), _flatten(traced_out)
        if len(expected) == len(got) and all(_close(g, e) if isinstance(e, np.ndarray) else g == e
                                             for g, e in zip(got, expected)):
            continue
        where = _first_difference(traced._graph, env, eager_tracer.nodes, traced.baked)
        raise TracingCheckError(f"traced graph and eager outputs differ on {label}: {where}")


def _other_batch(args: Tuple[Tensor, ...]) -> Optional[Tuple[Tensor, ...]]:
    if not any(a.dim() for a in args):
        return None
    from .. import from_numpy

    return tuple(from_numpy(np.concatenate([a.numpy(), a.numpy()])) if a.dim() else a for a in args)


def trace(func: Callable, example_inputs: Any = None, check_inputs: Optional[Sequence] = None,
          check_trace: bool = True, strict: bool = True, *, eval_mode: bool = True) -> TracedModule:
    """Record ``func(*example_inputs)`` (a Module or function) as a graph of ops; returns a :class:`TracedModule`.

    Modules are put in eval mode while recording (``eval_mode=True``, the default: dropout is the identity and
    batch norm uses running statistics) and restored afterwards. With ``check_trace`` the graph is re-run against
    eager execution on the example, on every entry of ``check_inputs`` and on a generated input twice as large in
    dim 0; a difference raises :class:`TracingCheckError` naming the first differing op (and sizes baked in
    at trace time). Python control flow on input-dependent values (``bool``, ``.item()``, ``.tolist()``,
    ``int``, ``float``, indexing) raises :class:`TracingError` (``strict=True``) or warns once per source line.
    """
    if example_inputs is None:
        raise TypeError("tensorlib.jit.trace needs example_inputs (a Tensor or a tuple of Tensors)")
    args = _as_tuple(example_inputs)
    module = func if isinstance(func, nn.Module) else None
    was_training = module.training if module is not None else False
    if module is not None and eval_mode:
        module.eval()
    try:
        graph, weights, tracer, _ = _record(func, args, strict)
        traced = TracedModule(graph, weights, name=type(func).__name__ if module is not None else
                              getattr(func, "__name__", "function"))
        traced.baked = _baked(graph, tracer)
        if check_trace:
            cases = [("the example inputs", args, False)]
            cases += [(f"check_inputs[{i}]", _as_tuple(c), False) for i, c in enumerate(check_inputs or ())]
            other = _other_batch(args)
            if other is not None:
                cases.append((f"a generated input of batch size {other[0].shape[0] if other[0].dim() else 1}",
                              other, True))
            _check(traced, func, cases)
    finally:
        if module is not None:
            module.train(was_training)
    return traced


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs: Optional[list] = None):
    """Accepted only with ``example_inputs``: then the same as ``trace(obj, example_inputs[0])``.

    tensorlib does not compile Python source (TorchScript's scripting); graphs are recorded by running the model.
    """
    if example_inputs is None:
        raise RuntimeError("tensorlib.jit.script cannot compile Python source: tensorlib records graphs by running "
                           "the model on an example. Use tensorlib.jit.trace(model, example_input) (it checks the "
                           "recording against eager execution and reports data-dependent control flow)")
    first = example_inputs[0]
    return trace(obj, first if isinstance(first, (tuple, list)) else (first,))
