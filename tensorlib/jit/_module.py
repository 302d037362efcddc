"""``TracedModule``: a recorded graph and its weights, run by the NumPy runtime; ``.tlj`` save and load."""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from typing import Dict, Union

import numpy as np

from .. import Tensor, from_numpy, serialization
from .._atomic import atomic_write
from .._threads import blas_set_quick, get_num_threads
from . import runtime

EVAL_NOTE = "recorded in eval mode: dropout is the identity and batch norm uses its running statistics"


def _format_attr(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _format_ref(ref) -> str:
    return "None" if ref is None else (f"%{ref}" if isinstance(ref, str) else repr(ref))


class TracedModule:
    """The result of :func:`tensorlib.jit.trace` / :func:`tensorlib.jit.load`: call it like the model.

    Inference only (no autograd): inputs are Tensors (or arrays), outputs have the structure the traced forward
    returned. ``graph`` and ``code`` show the recording; ``save(path)`` writes one self-contained ``.tlj`` file.
    """

    training = False

    def __init__(self, graph: dict, weights: Dict[str, np.ndarray], name: str = "TracedModule"):
        self._graph, self._weights, self._name = graph, weights, name
        self._programs: Dict[int, runtime.Program] = {}
        self._program = self._program_for(get_num_threads())
        #: descriptions of sizes/constants recorded at trace time (filled by ``trace``)
        self.baked: list = []

    def _program_for(self, threads: int) -> runtime.Program:
        """The runtime program splitting its large convolutions over ``threads`` (tensorlib's intra-op thread
        count, as PyTorch runs a traced module with its intra-op threads); one is compiled per count used."""
        if threads not in self._programs:
            self._programs[threads] = runtime.Program(self._graph, self._weights, self._name, threads=threads,
                                                      set_blas_threads=blas_set_quick)
        return self._programs[threads]

    # ------------------------------------------------------------------------------------------ running
    def __call__(self, *args):
        arrays = [a.numpy() if isinstance(a, Tensor) else a for a in args]
        return _to_tensors(self._program_for(get_num_threads())(*arrays))

    forward = __call__

    def eval(self) -> TracedModule:
        return self

    def train(self, mode: bool = True) -> TracedModule:
        if mode:
            raise RuntimeError(f"a traced module cannot switch to train mode: the graph was {EVAL_NOTE}; trace the "
                               "model again to change how dropout and batch norm behave")
        return self

    def state_dict(self) -> OrderedDict:
        """The weights the graph reads (parameters, buffers and captured constants) as Tensors."""
        return OrderedDict((name, from_numpy(np.array(array))) for name, array in self._weights.items())

    # ------------------------------------------------------------------------------------------ text
    @property
    def signature(self) -> str:
        return self._program.signature

    @property
    def graph(self) -> str:
        """One op a line: ``%v3 = conv2d(%x, %conv1.weight, %conv1.bias) {attrs}  # source``."""
        inputs = ", ".join(f"%{runtime._describe(spec)}" for spec in self._graph["inputs"])
        lines = [f"graph({inputs}):", f"  # {self._graph.get('note', EVAL_NOTE)}"]
        for node in self._graph["nodes"]:
            outs = ", ".join(f"%{o}" for o in node["outputs"])
            args = ", ".join(_format_ref(r) for r in node["inputs"])
            attrs = " ".join(f"{k}={_format_attr(v)}" for k, v in node.get("attrs", {}).items())
            line = f"  {outs} = {node['op']}({args})" + (f" {{{attrs}}}" if attrs else "")
            lines.append(line + (f"  # {node['source']}" if node.get("source") else ""))
        lines.append(f"  return {_structure_text(self._graph['outputs'], '%')}")
        return "\n".join(lines)

    @property
    def code(self) -> str:
        """Python-like text of the forward pass (weights read as ``self["name"]``)."""
        names = [spec["name"] for spec in self._graph["inputs"]]
        lines = [f"def forward(self, {', '.join(names)}):", f"    # {self._graph.get('note', EVAL_NOTE)}"]
        weights = set(self._weights)

        def arg(ref):
            if isinstance(ref, str):
                return f'self["{ref}"]' if ref in weights else ref
            return repr(ref)

        for node in self._graph["nodes"]:
            kwargs = [f"{k}={v!r}" for k, v in node.get("attrs", {}).items()]
            call = f"{node['op']}({', '.join([arg(r) for r in node['inputs']] + kwargs)})"
            lines.append(f"    {', '.join(node['outputs'])} = {call}")
        lines.append(f"    return {_structure_text(self._graph['outputs'], '')}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{self._name}{self.signature}"

    def save(self, path: Union[str, os.PathLike]) -> None:
        save(self, path)


def _structure_text(structure, sigil: str) -> str:
    if "tensor" in structure:
        return sigil + structure["tensor"]
    if "tuple" in structure:
        items = [_structure_text(s, sigil) for s in structure["tuple"]]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if "list" in structure:
        return "[" + ", ".join(_structure_text(s, sigil) for s in structure["list"]) + "]"
    if "dict" in structure:
        return "{" + ", ".join(f"{k!r}: {_structure_text(s, sigil)}" for k, s in structure["dict"]) + "}"
    return repr(structure.get("value"))


def _to_tensors(obj):
    if isinstance(obj, np.ndarray):
        return from_numpy(obj)
    if isinstance(obj, tuple):
        return tuple(_to_tensors(o) for o in obj)
    if isinstance(obj, list):
        return [_to_tensors(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _to_tensors(v) for k, v in obj.items()}
    return obj


# ---------------------------------------------------------------------------------------------- files
def save(module: TracedModule, f: Union[str, os.PathLike]) -> None:
    """Write ``module`` (a traced module) to ``f`` as one ``.tlj`` file: safetensors weights with the JSON graph
    and both sha256 digests in the header; written atomically (temp file + rename), never pickled."""
    if not isinstance(module, TracedModule):
        raise TypeError(f"tensorlib.jit.save expects a traced module (from tensorlib.jit.trace), got "
                        f"{type(module).__name__}; trace it first")
    graph_text = json.dumps(module._graph, separators=(",", ":"))
    metadata = {runtime.FORMAT: graph_text, "graph_sha256": hashlib.sha256(graph_text.encode()).hexdigest(),
                "sha256": _data_digest(module._weights)}
    payload = serialization._safetensors_bytes(module._weights, metadata)
    with atomic_write(f) as out:
        out.write(payload)


def _data_digest(weights: dict) -> str:
    """sha256 of the data section as the safetensors writer lays it out (little-endian arrays in dict order):
    the digest the NumPy-only runtime checks, which cannot rely on the library's whole-file digest."""
    digest = hashlib.sha256()
    for tensor in weights.values():
        array = tensor.numpy() if hasattr(tensor, "numpy") else tensor
        digest.update(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    return digest.hexdigest()


def load(f: Union[str, os.PathLike], map_location=None) -> TracedModule:
    """Read a ``.tlj`` file; no user class needed. Truncated, tampered or unknown-version files raise
    ``tensorlib.serialization.CorruptFileError`` with the reason."""
    try:
        graph, weights = runtime.read_file(os.fspath(f))
        return TracedModule(graph, weights, name=os.path.basename(os.fspath(f)))
    except runtime.CorruptFileError as exc:  # also a graph reading a value that nothing defines
        raise serialization.CorruptFileError(str(exc)) from None
