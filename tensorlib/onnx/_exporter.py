"""``export(model, args, f, ...)`` with ``torch.onnx.export``'s arguments."""

from __future__ import annotations

import io
import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .._atomic import atomic_write
from ..jit import TracedModule, runtime, trace
from ._export import CONVERTERS, MIN_OPSET, Builder, unsupported


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("tensorlib.onnx.export needs the 'onnx' package: pip install 'tensorlib[onnx]' "
                          "(or pip install onnx onnxruntime)") from None
    return onnx


def _flat_outputs(structure, found: List[str]) -> List[str]:
    if "tensor" in structure:
        found.append(structure["tensor"])
    for item in structure.get("tuple", structure.get("list", ())):
        _flat_outputs(item, found)
    for _, item in structure.get("dict", ()):
        _flat_outputs(item, found)
    return found


def _dims(example_shape, axes) -> list:
    """Static sizes from the example, except the axes named dynamic (``dynamic_axes`` entry: dict or list)."""
    if isinstance(axes, dict):
        named = {int(k): v for k, v in axes.items()}
    else:
        named = {int(k): None for k in (axes or ())}
    return [(named[i] or f"dim{i}") if i in named else int(size) for i, size in enumerate(example_shape)]


def export(model: Any, args: Any, f: Union[str, os.PathLike, io.IOBase], input_names: Optional[Sequence[str]] = None,
           output_names: Optional[Sequence[str]] = None, dynamic_axes: Optional[Dict[str, Any]] = None,
           opset_version: int = 17, export_params: bool = True, verbose: bool = False,
           do_constant_folding: bool = True) -> None:
    """Trace ``model(*args)`` (checked against eager, see ``tensorlib.jit.trace``) and write it to ``f`` as ONNX.

    ``input_names``/``output_names`` name the graph inputs and the flattened outputs; ``dynamic_axes`` maps a
    name to the axes that may change (``{"x": {0: "batch"}}`` or ``{"x": [0]}``), others are fixed to the
    example's sizes, as in ``torch.onnx.export``. Ops without an ONNX translation raise
    :class:`UnsupportedOperatorError` naming the op and the opset.
    """
    onnx = _import_onnx()
    if opset_version < MIN_OPSET:
        raise ValueError(f"opset_version {opset_version} is not supported; use {MIN_OPSET} or later (default 17)")
    if not export_params:
        raise ValueError("export_params=False is not supported: the weights are always stored in the file")
    example = args if isinstance(args, tuple) else (args,)
    traced = model if isinstance(model, TracedModule) else trace(model, example)
    graph, weights = traced._graph, traced._weights
    arrays = [a.numpy() if hasattr(a, "numpy") else np.asarray(a) for a in example]
    env = runtime.Program(graph, weights, "onnx export", fold=False).evaluate(*arrays)
    builder = Builder(onnx, opset_version, env)
    for node in graph["nodes"]:
        convert = CONVERTERS.get(node["op"])
        if convert is None:
            raise unsupported(node["op"], opset_version)
        convert(builder, node, list(node["outputs"]))

    helper = onnx.helper
    old_inputs = [spec["name"] for spec in graph["inputs"]]
    new_inputs = list(input_names or old_inputs)
    if len(new_inputs) != len(old_inputs):
        raise ValueError(f"input_names has {len(new_inputs)} names for {len(old_inputs)} inputs")
    outputs = _flat_outputs(graph["outputs"], [])
    new_outputs = list(output_names or [f"output_{i}" if len(outputs) > 1 else "output" for i in range(len(outputs))])
    if len(new_outputs) != len(outputs):
        raise ValueError(f"output_names has {len(new_outputs)} names for {len(outputs)} outputs")
    nodes = [helper.make_node("Identity", [new], [old]) for old, new in zip(old_inputs, new_inputs) if old != new]
    nodes += builder.nodes
    nodes += [helper.make_node("Identity", [old], [new]) for old, new in zip(outputs, new_outputs)]
    dynamic_axes = dynamic_axes or {}
    value_infos_in = [
        helper.make_tensor_value_info(new, helper.np_dtype_to_tensor_dtype(array.dtype),
                                      _dims(array.shape, dynamic_axes.get(new)))
        for new, array in zip(new_inputs, arrays)]
    any_dynamic = any(dynamic_axes.get(name) for name in new_inputs)

    def output_dims(name, shape):
        if name in dynamic_axes or not any_dynamic:
            return _dims(shape, dynamic_axes.get(name))
        return [None] * len(shape)  # follows the dynamic inputs: sizes left to the runtime

    value_infos_out = [
        helper.make_tensor_value_info(new, helper.np_dtype_to_tensor_dtype(np.asarray(env[old]).dtype),
                                      output_dims(new, np.shape(env[old])))
        for old, new in zip(outputs, new_outputs)]
    used = {name for n in nodes for name in n.input}
    initializers = [onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
                    for name, array in list(weights.items()) + list(builder.initializers.items()) if name in used]
    onnx_graph = helper.make_graph(nodes, type(model).__name__, value_infos_in, value_infos_out, initializers)
    proto = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset_version)],
                              producer_name="tensorlib")
    proto.ir_version = min(proto.ir_version, 8)  # readable by onnxruntime releases of the last two years
    onnx.checker.check_model(proto)
    if verbose:
        print(helper.printable_graph(proto.graph))
    payload = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with atomic_write(f) as out:
            out.write(payload)
    else:
        f.write(payload)
