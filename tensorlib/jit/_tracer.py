"""Recording a forward pass as a graph of runtime ops (the ``tensorlib.jit.trace`` machinery).

Every kernel application reaches :meth:`Tracer.record` through the autograd hook; the kernel class is looked
up in ``_ops_table.KERNELS``. Tensors are identified by object: graph inputs, parameters/buffers (by state_dict
name), op outputs, or else constants captured with their trace-time value. Embedding, EmbeddingBag and the RNN
modules are recorded whole (their kernels index with arrays computed in Python from the inputs, which a
kernel-level trace would bake in), as are ``pack_padded_sequence`` results feeding them and ``expand_as``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import Any, Dict, List, Optional

import numpy as np

from .. import Tensor, nn
from ..autograd import function as _function
from ._ops_table import KERNELS, Const

_CORE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_GUARDED = ("__bool__", "item", "tolist", "__int__", "__float__", "__index__")


class TracingError(RuntimeError):
    """The forward pass cannot be recorded faithfully (data-dependent control flow, unsupported op...)."""


class TracerWarning(UserWarning):
    """``strict=False``: something was baked into the graph that may not hold for other inputs."""


def user_line() -> str:
    """``file:line`` of the innermost stack frame outside the tensorlib package (the model's code)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_CORE_DIR):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


class _Value:
    __slots__ = ("name", "tensor", "version", "dynamic")

    def __init__(self, name: str, tensor: Tensor, dynamic: bool):
        self.name, self.tensor, self.dynamic = name, tensor, dynamic
        self.version = tensor._version.value


class Tracer:
    """Collects ``nodes`` (dicts: op, inputs, outputs, attrs, source) and the ``weights`` they read."""

    def __init__(self, state: Dict[str, Tensor], strict: bool = True, keep_values: bool = False):
        self.strict, self.keep_values = strict, keep_values
        self.values: Dict[int, _Value] = {}
        self.state_names = {id(t): name for name, t in state.items()}
        self.state_arrays = {id(t._data): name for name, t in state.items()}
        self.nodes: List[dict] = []
        self.weights: Dict[str, np.ndarray] = {}
        self.captured: List[str] = []  # descriptions of constants baked in
        self.packed: Dict[int, tuple] = {}
        self.forbidden: Dict[int, str] = {}
        self.last_consumer: Dict[int, Tensor] = {}
        self.warned = set()
        self.paused = 0
        self.dynamic_names = set()
        self.static_ids = set()  # comparison results computed from constants and model state only
        self._alive: List[Any] = []  # keeps traced objects alive so their ids stay unique
        self._count = 0

    # -------------------------------------------------------------------------------------------- values
    def _new_name(self) -> str:
        self._count += 1
        return f"v{self._count}"

    def bind_input(self, name: str, tensor: Tensor) -> None:
        self.values[id(tensor)] = _Value(name, tensor, True)
        self.dynamic_names.add(name)
        self._alive.append(tensor)

    def _bind(self, tensor: Tensor, dynamic: bool, name: Optional[str] = None) -> str:
        name = name or self._new_name()
        self.values[id(tensor)] = _Value(name, tensor, dynamic)
        if dynamic:
            self.dynamic_names.add(name)
        self._alive.append(tensor)
        return name

    def _constant(self, array, source: str) -> str:
        name = self.state_arrays.get(id(array))
        if name is not None:
            self.weights[name] = array
            return name
        name = f"constant_{len(self.captured)}"
        self.weights[name] = np.array(array, copy=True)
        self.captured.append(f"{name} {list(np.shape(array))} at {source}")
        return name

    def ref(self, obj, source: str = ""):
        """The graph reference of an op argument: a value name, ``None`` or a number literal."""
        if obj is None or isinstance(obj, (bool, int, float)):
            return obj
        if isinstance(obj, Const):
            return self._constant(obj.array, source)
        if isinstance(obj, np.ndarray):
            return self._constant(obj, source)
        if isinstance(obj, np.generic):
            return obj.item()
        if not isinstance(obj, Tensor):
            raise TracingError(f"cannot trace an op argument of type {type(obj).__name__} at {source}")
        key = id(obj)
        if key in self.forbidden:
            raise TracingError(f"{self.forbidden[key]} (at {source})")
        value = self.values.get(key)
        if value is not None:
            if obj._version.value != value.version:
                self._follow_inplace(obj, value, source)
            return self.values[key].name
        name = self.state_names.get(key)
        if name is not None:
            self.weights[name] = obj._data
            return name
        return self._constant(obj._data, source)

    def _follow_inplace(self, tensor: Tensor, value: _Value, source: str) -> None:
        """An in-place op (``relu_``, ``add_``...) wrote the result of the last op that read ``tensor`` into it."""
        result = self.last_consumer.get(id(tensor))
        produced = self.values.get(id(result)) if result is not None else None
        if produced is None or result.shape != tensor.shape or not np.array_equal(result._data, tensor._data,
                                                                                   equal_nan=True):
            raise TracingError(f"a traced tensor was modified in place by an operation the tracer cannot follow "
                               f"(at {source}); use the out-of-place form")
        self.values[id(tensor)] = _Value(produced.name, tensor, produced.dynamic)

    def add_node(self, op: str, inputs: list, outputs: List[Tensor], attrs: dict, source: str,
                 names: Optional[List[str]] = None) -> List[str]:
        dynamic = any(isinstance(r, str) and r in self.dynamic_names for r in inputs)
        out_names = [self._bind(t, dynamic, n) for t, n in zip(outputs, names or [None] * len(outputs))]
        node = {"op": op, "inputs": inputs, "outputs": out_names, "attrs": attrs, "source": source}
        if self.keep_values:  # copies: later in-place ops (relu_) must not change what this op produced
            node["_values"] = [np.array(t._data, copy=True) for t in outputs]
        self.nodes.append(node)
        return out_names

    # -------------------------------------------------------------------------------------------- kernels
    def record(self, fn, attrs: dict, inputs: tuple, out: Tensor) -> None:
        if self.paused:
            return
        kernel = type(fn).__name__
        source = user_line()
        entry = KERNELS.get(kernel)
        if entry is None:
            raise TracingError(f"tensorlib.jit cannot trace the operation {kernel} (at {source}): it has no "
                               "runtime equivalent")
        op, translate = entry
        try:
            translated = translate(attrs, list(inputs))
            if "|" in op:  # the kernel serves several runtime ops: the translation picks one
                op, translated = translated
            json_attrs, args = translated
        except NotImplementedError as exc:
            raise TracingError(f"cannot trace {op} at {source}: {exc}") from None
        refs = [self.ref(a, source) for a in args]
        first = inputs[0] if inputs and isinstance(inputs[0], Tensor) else None
        if first is not None:
            _shape_fixups(op, json_attrs, tuple(first.shape), tuple(out.shape))
        self.add_node(op, refs, [out], json_attrs, source)
        for t in inputs:
            if isinstance(t, Tensor):
                self.last_consumer[id(t)] = out

    # -------------------------------------------------------------------------------------------- guards
    def is_dynamic(self, tensor: Tensor) -> bool:
        """Whether ``tensor`` may depend on the traced inputs. One computed outside the recorded ops (e.g. by a
        comparison) counts as data unless it is model state or a comparison of values that are not data."""
        value = self.values.get(id(tensor))
        if value is not None:
            return value.dynamic
        return id(tensor) not in self.state_names and id(tensor) not in self.static_ids

    def check_data_access(self, tensor: Tensor, what: str) -> None:
        """Called by the guarded Tensor methods: a Python value read from a traced input-dependent tensor."""
        if self.paused:
            return
        if not self.is_dynamic(tensor):
            return
        source = user_line()
        message = (f"{what} on a tensor that depends on the traced inputs (at {source}): its Python value steers "
                   "the forward pass (data-dependent control flow) and would be baked into the graph for every "
                   "input. Rewrite it with tensor ops (e.g. torch.where) or call the code outside the traced model")
        if self.strict:
            raise TracingError(message)
        if source not in self.warned:
            self.warned.add(source)
            warnings.warn(message, TracerWarning, stacklevel=3)


def _shape_fixups(op: str, attrs: dict, in_shape: tuple, out_shape: tuple) -> None:
    """Express trace-time sizes relative to the input where they are the input's (so the batch can change)."""
    if op == "reshape" and in_shape and out_shape and in_shape[0] == out_shape[0] and attrs["shape"]:
        attrs["shape"] = [0] + list(attrs["shape"][1:])  # 0 = "this dim of the input" (ONNX Reshape's rule)
    elif op == "expand":
        offset = len(out_shape) - len(in_shape)
        attrs["shape"] = [1 if i >= offset and in_shape[i - offset] == s else s for i, s in enumerate(out_shape)]
    elif op in ("max_pool2d", "avg_pool2d"):
        size, (k, s, p, d) = in_shape[2], (attrs[key][0] for key in ("kernel", "stride", "padding", "dilation"))
        attrs["ceil_mode"] = attrs["out_hw"][0] != (size + 2 * p - d * (k - 1) - 1) // s + 1


# -------------------------------------------------------------------------------------------- leaf modules
def _record_embedding(tracer: Tracer, module, args, kwargs, result, source):
    if module.max_norm is not None:
        raise TracingError(f"Embedding with max_norm renormalises its weight in place; not traceable (at {source})")
    refs = [tracer.ref(args[0], source), tracer.ref(module.weight, source)]
    tracer.add_node("embedding", refs, [result], {"padding_idx": module.padding_idx}, source)


def _record_embedding_bag(tracer: Tracer, module, args, kwargs, result, source):
    names = ("input", "offsets", "per_sample_weights")
    bound = dict(zip(names, args), **kwargs)
    if module.max_norm is not None:
        raise TracingError(f"EmbeddingBag with max_norm is not traceable (at {source})")
    refs = [tracer.ref(bound["input"], source), tracer.ref(bound.get("offsets"), source),
            tracer.ref(module.weight, source), tracer.ref(bound.get("per_sample_weights"), source)]
    attrs = {"mode": module.mode, "include_last_offset": module.include_last_offset,
             "padding_idx": module.padding_idx}
    tracer.add_node("embedding_bag", refs, [result], attrs, source)


def _record_rnn(tracer: Tracer, module, args, kwargs, result, source):
    input = args[0] if args else kwargs["input"]
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    lengths = kwargs.get("lengths")
    if module.proj_size:
        raise TracingError(f"LSTM with proj_size is not supported by tensorlib.jit (at {source})")
    batch_first = module.batch_first
    if isinstance(input, nn.utils.rnn.PackedSequence):
        if id(input) not in tracer.packed:
            raise TracingError(f"{type(module).__name__} got a PackedSequence not made by pack_padded_sequence "
                               f"during the trace (at {source})")
        x_ref, lengths_ref, batch_first = tracer.packed[id(input)]
    else:
        if input.dim() != 3:
            raise TracingError(f"{type(module).__name__}: only batched 3-D input is traceable (at {source})")
        x_ref, lengths_ref = tracer.ref(input, source), tracer.ref(lengths, source)
    h0, c0 = (hx if isinstance(hx, (tuple, list)) else (hx, None))
    refs = [x_ref, lengths_ref, tracer.ref(h0, source), tracer.ref(c0, source)]
    refs += [tracer.ref(w, source) for w in module._flat_weights]
    attrs = {"mode": module.mode, "num_layers": module.num_layers, "bidirectional": module.bidirectional,
             "hidden_size": module.hidden_size, "batch_first": batch_first, "bias": module.bias}
    output, hidden = result
    states = list(hidden) if isinstance(hidden, tuple) else [hidden]
    if isinstance(output, nn.utils.rnn.PackedSequence):
        placeholder = Tensor._wrap(np.empty(0, np.float32))
        names = tracer.add_node("rnn", refs, [placeholder] + states, attrs, source)
        tracer.packed[id(output)] = (names[0], lengths_ref, batch_first)
        tracer._alive.append(output)
        tracer.forbidden[id(output.data)] = ("the .data of a PackedSequence returned by an RNN is not traceable; "
                                             "use pad_packed_sequence or the lengths= argument")
    else:
        tracer.add_node("rnn", refs, [output] + states, attrs, source)


_LEAVES = ((nn.EmbeddingBag, _record_embedding_bag), (nn.Embedding, _record_embedding), (nn.RNNBase, _record_rnn))


@contextlib.contextmanager
def _leaf_modules(tracer: Tracer):
    """Swap the leaf classes' ``forward`` for a recording wrapper (class level: reaches modules held anywhere,
    e.g. in a traced function's closure)."""
    originals = [(cls, cls.__dict__["forward"], recorder) for cls, recorder in _LEAVES]

    def wrap(original, recorder):
        def forward(self, *args, **kwargs):
            source = user_line()
            tracer.paused += 1
            try:
                result = original(self, *args, **kwargs)
            finally:
                tracer.paused -= 1
            if not tracer.paused:
                recorder(tracer, self, args, kwargs, result, source)
            return result
        return forward

    for cls, original, recorder in originals:
        cls.forward = wrap(original, recorder)
    try:
        yield
    finally:
        for cls, original, _ in originals:
            cls.forward = original


@contextlib.contextmanager
def _packing(tracer: Tracer):
    rnn_utils = nn.utils.rnn
    original_pack, original_pad = rnn_utils.pack_padded_sequence, rnn_utils.pad_packed_sequence

    def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
        source = user_line()
        tracer.paused += 1
        try:
            packed = original_pack(input, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        finally:
            tracer.paused -= 1
        if not tracer.paused:
            lengths_ref = tracer.ref(lengths if isinstance(lengths, Tensor) else np.asarray(lengths, np.int64),
                                     source)
            tracer.packed[id(packed)] = (tracer.ref(input, source), lengths_ref, batch_first)
            tracer._alive.append(packed)
        return packed

    def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
        source = user_line()
        tracer.paused += 1
        try:
            padded, lengths = original_pad(sequence, batch_first=batch_first, padding_value=padding_value,
                                           total_length=total_length)
        finally:
            tracer.paused -= 1
        entry = tracer.packed.get(id(sequence))
        if not tracer.paused and entry is not None:
            name, lengths_ref, packed_batch_first = entry
            if padding_value != 0.0 or total_length is None:
                raise TracingError(f"pad_packed_sequence of a traced RNN output needs total_length= (the padded "
                                   f"length) and padding_value=0 (at {source}); or pass lengths= to the RNN")
            if packed_batch_first != batch_first:
                tracer.add_node("permute", [name], [padded], {"dims": [1, 0, 2]}, source)
            else:
                tracer.add_node("identity", [name], [padded], {}, source)
        return padded, lengths

    rnn_utils.pack_padded_sequence, rnn_utils.pad_packed_sequence = pack_padded_sequence, pad_packed_sequence
    try:
        yield
    finally:
        rnn_utils.pack_padded_sequence, rnn_utils.pad_packed_sequence = original_pack, original_pad


@contextlib.contextmanager
def _expand_as(tracer: Tracer):
    """``a.expand_as(b)`` is recorded as one op reading ``b``'s shape, so a size that is ``b``'s batch follows it
    (the Expand kernel alone only sees the sizes as numbers)."""
    original = Tensor.expand_as

    def expand_as(self, other):
        source = user_line()
        tracer.paused += 1
        try:
            result = original(self, other)
        finally:
            tracer.paused -= 1
        if not tracer.paused and result is not self:
            tracer.add_node("expand_as", [tracer.ref(self, source), tracer.ref(other, source)], [result], {}, source)
        return result

    Tensor.expand_as = expand_as
    try:
        yield
    finally:
        Tensor.expand_as = original


@contextlib.contextmanager
def _tensor_methods_replaced(replacements: dict):
    """Tensor's methods ``name -> function`` swapped in while tracing, the originals restored afterwards."""
    originals = {name: getattr(Tensor, name) for name in replacements}
    for name, method in replacements.items():
        setattr(Tensor, name, method)
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(Tensor, name, method)


_COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "eq", "ne", "lt", "le", "gt", "ge", "all",
                "any")


@contextlib.contextmanager
def _comparisons(tracer: Tracer):
    """Comparisons are not graph ops: remember which results come from constants and model state only, so that
    e.g. ``bool((mask == causal).all())`` on a registered mask is not mistaken for data-dependent control flow."""
    originals = {name: getattr(Tensor, name) for name in _COMPARISONS}

    def follow(original):
        def method(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            if isinstance(result, Tensor) and not any(tracer.is_dynamic(t) for t in (self,) + args
                                                      if isinstance(t, Tensor)):
                tracer.static_ids.add(id(result))
                tracer._alive.append(result)
            return result
        return method

    with _tensor_methods_replaced({name: follow(original) for name, original in originals.items()}):
        yield


@contextlib.contextmanager
def _guards(tracer: Tracer):
    originals = {name: getattr(Tensor, name) for name in _GUARDED}
    labels = {"__bool__": "bool() (a Python `if`/`while`)", "item": ".item()", "tolist": ".tolist()",
              "__int__": "int()", "__float__": "float()", "__index__": "use as an index (__index__)"}

    def guarded(name):
        original = originals[name]

        def method(self, *args, **kwargs):
            tracer.check_data_access(self, labels[name])
            tracer.paused += 1  # int() calls item(): report once
            try:
                return original(self, *args, **kwargs)
            finally:
                tracer.paused -= 1
        return method

    with _tensor_methods_replaced({name: guarded(name) for name in _GUARDED}):
        yield


@contextlib.contextmanager
def recording(tracer: Tracer):
    """Install the tracer (kernel hook, leaf modules, packing, data-access guards) for one forward pass."""
    with _leaf_modules(tracer), _packing(tracer), _expand_as(tracer), _comparisons(tracer), _guards(tracer):
        _function._tracers.append(tracer)
        try:
            yield tracer
        finally:
            _function._tracers.remove(tracer)
