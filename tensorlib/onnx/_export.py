"""Convert a traced graph (``tensorlib.jit``) into an ONNX ``ModelProto``, one function per runtime op."""

from __future__ import annotations

from typing import Callable, Dict, List, Optional

import numpy as np

INT64_MAX = np.iinfo(np.int64).max
MIN_OPSET = 14  # HardSwish and the LSTM/GRU/Reshape forms used here; LayerNormalization needs 17


class UnsupportedOperatorError(RuntimeError):
    """A graph op has no ONNX translation at the requested opset."""


def unsupported(op: str, opset: int, why: str = "") -> UnsupportedOperatorError:
    return UnsupportedOperatorError(f"Exporting the operator '{op}' to ONNX opset version {opset} is not supported"
                                    + (f": {why}" if why else ""))


class Builder:
    """Accumulates ONNX nodes and initializers; ``shapes``/``dtypes`` of every graph value come from one run."""

    def __init__(self, onnx, opset: int, env: Dict[str, np.ndarray]):
        self.onnx, self.helper, self.opset, self.env = onnx, onnx.helper, opset, env
        self.nodes: list = []
        self.initializers: Dict[str, np.ndarray] = {}
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"_{hint}_{self._count}"

    def const(self, array, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.initializers[name] = np.asarray(array)
        return name

    def add(self, op_type: str, inputs: List[str], outputs: Optional[List[str]] = None, **attrs) -> str:
        outputs = outputs or [self.fresh(op_type.lower())]
        self.nodes.append(self.helper.make_node(op_type, inputs, outputs, **attrs))
        return outputs[0]

    def ref(self, ref, like: Optional[str] = None) -> str:
        """An input name for a graph reference; Python number literals become constants of ``like``'s dtype."""
        if ref is None:
            return ""
        if isinstance(ref, str):
            return ref
        dtype = self.env[like].dtype if like is not None and like in self.env else np.float32
        return self.const(np.array(ref, dtype=dtype), "literal")

    def reduce(self, op_type: str, x: str, axes, keepdims: bool, output: Optional[str] = None) -> str:
        kwargs = {"keepdims": int(keepdims)}
        inputs = [x]
        if axes is not None:
            if op_type == "ReduceSum" or self.opset >= 18:
                inputs.append(self.const(np.array(axes, np.int64), "axes"))
            else:
                kwargs["axes"] = list(axes)
        return self.add(op_type, inputs, [output] if output else None, **kwargs)


def _ndim(b: Builder, name: str) -> int:
    return np.ndim(b.env[name])


# ------------------------------------------------------------------------------------------------ converters
def _simple(op_type: str, **fixed) -> Callable:
    def convert(b: Builder, node: dict, out: List[str]):
        ins = node["inputs"]
        like = next((r for r in ins if isinstance(r, str)), None)
        b.add(op_type, [b.ref(r, like) for r in ins], out, **fixed)
    return convert


def _conv2d(b, node, out):
    a = node["attrs"]
    w = b.env[node["inputs"][1]]
    (top, bottom), (left, right) = a["pads"]
    ins = [b.ref(r) for r in node["inputs"] if r is not None]
    b.add("Conv", ins, out, kernel_shape=list(w.shape[2:]), strides=a["stride"], dilations=a["dilation"],
          pads=[top, left, bottom, right], group=a["groups"])


def _linear(b, node, out):
    x, w, bias = node["inputs"]
    if _ndim(b, x) == 2:
        b.add("Gemm", [x, w] + ([bias] if bias else []), out, transB=1)
        return
    wt = b.add("Transpose", [w], perm=[1, 0])
    if bias is None:
        b.add("MatMul", [x, wt], out)
    else:
        b.add("Add", [b.add("MatMul", [x, wt]), bias], out)


def _batch_norm(b, node, out):
    x, weight, bias, mean, var = node["inputs"]
    channels = b.env[mean].shape[0]
    dtype = b.env[x].dtype
    weight = weight or b.const(np.ones(channels, dtype), "bn_scale")
    bias = bias or b.const(np.zeros(channels, dtype), "bn_bias")
    b.add("BatchNormalization", [x, weight, bias, mean, var], out, epsilon=node["attrs"]["eps"])


def _layer_norm(b, node, out):
    if b.opset < 17:
        raise unsupported("layer_norm", b.opset, "LayerNormalization needs opset 17")
    x, weight, bias = node["inputs"]
    shape = b.env[x].shape[-node["attrs"]["normalized_ndim"]:]
    weight = weight or b.const(np.ones(shape, b.env[x].dtype), "ln_scale")
    ins = [x, weight] + ([bias] if bias else [])
    b.add("LayerNormalization", ins, out, axis=-node["attrs"]["normalized_ndim"], epsilon=node["attrs"]["eps"])


def _rsqrt(b, node, out):
    b.add("Reciprocal", [b.add("Sqrt", [node["inputs"][0]])], out)


def _gelu(b, node, out):
    x = node["inputs"][0]
    dtype = b.env[x].dtype
    half, one = b.const(np.array(0.5, dtype)), b.const(np.array(1.0, dtype))
    if node["attrs"].get("approximate", "none") == "tanh":
        cube = b.add("Mul", [b.add("Mul", [x, x]), x])
        inner = b.add("Add", [x, b.add("Mul", [cube, b.const(np.array(0.044715, dtype))])])
        core = b.add("Tanh", [b.add("Mul", [inner, b.const(np.array(np.sqrt(2 / np.pi), dtype))])])
    else:
        core = b.add("Erf", [b.add("Div", [x, b.const(np.array(np.sqrt(2.0), dtype))])])
    b.add("Mul", [b.add("Mul", [x, half]), b.add("Add", [core, one])], out)


def _silu(b, node, out):
    x = node["inputs"][0]
    b.add("Mul", [x, b.add("Sigmoid", [x])], out)


def _clip(b, x: str, low, high, out):
    dtype = b.env[x].dtype
    ins = [x, "" if low is None else b.const(np.array(low, dtype), "min"),
           "" if high is None else b.const(np.array(high, dtype), "max")]
    b.add("Clip", ins, out)


def _hardtanh(b, node, out):
    _clip(b, node["inputs"][0], node["attrs"]["min_val"], node["attrs"]["max_val"], out)


def _clamp(b, node, out):
    x, low, high = (node["inputs"] + [None, None])[:3]
    if isinstance(low, str) or isinstance(high, str):
        raise unsupported("clamp", b.opset, "tensor bounds")
    _clip(b, x, low, high, out)


def _elu(b, node, out):
    a = node["attrs"]
    if a["scale"] != 1.0 or a["input_scale"] != 1.0:
        raise unsupported("elu", b.opset, "scale/input_scale other than 1 (selu/celu)")
    b.add("Elu", [node["inputs"][0]], out, alpha=a["alpha"])


def _softplus(b, node, out):
    if node["attrs"]["beta"] != 1.0:
        raise unsupported("softplus", b.opset, "beta other than 1")
    b.add("Softplus", [node["inputs"][0]], out)


def _cast(b, node, out):
    to = b.helper.np_dtype_to_tensor_dtype(np.dtype(node["attrs"]["dtype"]))
    b.add("Cast", [node["inputs"][0]], out, to=to)


def _reduction(op_type):
    def convert(b, node, out):
        a = node["attrs"]
        if a.get("dtype"):
            raise unsupported(node["op"], b.opset, "dtype= argument")
        b.reduce(op_type, node["inputs"][0], a["axes"], a["keepdim"], out[0])
    return convert


def _pool(op_type):
    def convert(b, node, out):
        a = node["attrs"]
        kwargs = {"kernel_shape": a["kernel"], "strides": a["stride"], "pads": a["padding"] * 2,
                  "ceil_mode": int(a.get("ceil_mode", False))}
        if op_type == "MaxPool":
            kwargs["dilations"] = a["dilation"]
        else:
            if a.get("divisor_override"):
                raise unsupported("avg_pool2d", b.opset, "divisor_override")
            kwargs["count_include_pad"] = int(a.get("count_include_pad", True))
        b.add(op_type, [node["inputs"][0]], out, **kwargs)
    return convert


def _adaptive(global_op, window_op):
    def convert(b, node, out):
        x = node["inputs"][0]
        h, w = b.env[x].shape[2:]
        oh, ow = [size or full for size, full in zip(node["attrs"]["out_hw"], (h, w))]
        if (oh, ow) == (1, 1):
            b.add(global_op, [x], out)
        elif h % oh == 0 and w % ow == 0:
            kernel = [h // oh, w // ow]
            b.add(window_op, [x], out, kernel_shape=kernel, strides=kernel)
        elif (h, w) == (1, 1):  # pooled up from 1x1 (VGG's 7x7 head on small inputs): a broadcast
            b.add("Expand", [x, b.const(np.array([1, 1, oh, ow], np.int64), "shape")], out)
        else:
            raise unsupported(node["op"], b.opset, f"output {oh}x{ow} does not divide the input {h}x{w}")
    return convert


def _reshape(b, node, out):
    b.add("Reshape", [node["inputs"][0], b.const(np.array(node["attrs"]["shape"], np.int64), "shape")], out)


def _permute(b, node, out):
    b.add("Transpose", [node["inputs"][0]], out, perm=list(node["attrs"]["dims"]))


def _expand(b, node, out):
    b.add("Expand", [node["inputs"][0], b.const(np.array(node["attrs"]["shape"], np.int64), "shape")], out)


def _expand_as(b, node, out):
    x, like = node["inputs"]
    b.add("Expand", [x, b.add("Shape", [like])], out)


def _attention(b, node, out):
    """``softmax(q * scale @ k^T + mask [+ causal mask]) @ v`` as Mul/MatMul/Add/Softmax; with a mask, a row
    whose keys are all masked gives zeros (the kernel's safe softmax) through IsNaN/Where."""
    q, k, v, mask = (node["inputs"] + [None])[:4]
    a = node["attrs"]
    if a["groups"] != 1:
        raise unsupported("scaled_dot_product_attention", b.opset, "grouped-query attention (enable_gqa)")
    dtype = b.env[q].dtype
    rank = _ndim(b, k)
    key_t = b.add("Transpose", [k], perm=list(range(rank - 2)) + [rank - 1, rank - 2])
    scores = b.add("MatMul", [b.add("Mul", [q, b.const(np.array(a["scale"], dtype), "scale")]), key_t])
    if mask is not None:
        scores = b.add("Add", [scores, b.ref(mask)])
    if a["causal"]:  # top-left aligned, sizes from the trace (the sequence lengths are static)
        length, source = b.env[q].shape[-2], b.env[k].shape[-2]
        causal = np.where(np.tri(length, source, dtype=bool), 0, -np.inf).astype(dtype)
        scores = b.add("Add", [scores, b.const(causal, "causal_mask")])
    probs = b.add("Softmax", [scores], axis=-1)
    if mask is not None:
        probs = b.add("Where", [b.add("IsNaN", [probs]), b.const(np.array(0, dtype), "zero"), probs])
    b.add("MatMul", [probs, v], out)


def _slice(b, node, out):
    x = node["inputs"][0]
    ndim = _ndim(b, x)
    items = node["attrs"]["index"]
    if "..." in items:
        at = items.index("...")
        used = sum(1 for i in items if i != "..." and i is not None)
        items = items[:at] + [[None, None, None]] * (ndim - used) + items[at + 1:]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = 0
    for position, item in enumerate(items):
        if item is None:
            unsqueeze.append(position)
            continue
        if isinstance(item, list):
            start, stop, step = item
            step = 1 if step is None else step
            if start is not None or stop is not None or step != 1:
                default_start, default_stop = (0, INT64_MAX) if step > 0 else (-1, -INT64_MAX)
                starts.append(default_start if start is None else start)
                ends.append(default_stop if stop is None else stop)
                axes.append(axis)
                steps.append(step)
        else:
            starts.append(item)
            ends.append(INT64_MAX if item == -1 else item + 1)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    value = x
    if axes:
        value = b.add("Slice", [value] + [b.const(np.array(v, np.int64)) for v in (starts, ends, axes, steps)])
    if squeeze:
        value = b.add("Squeeze", [value, b.const(np.array(squeeze, np.int64), "axes")])
    if unsqueeze:
        value = b.add("Unsqueeze", [value, b.const(np.array(unsqueeze, np.int64), "axes")])
    b.add("Identity", [value], out)


def _cat(b, node, out):
    b.add("Concat", list(node["inputs"]), out, axis=node["attrs"]["dim"])


def _stack(b, node, out):
    axes = b.const(np.array([node["attrs"]["dim"]], np.int64), "axes")
    b.add("Concat", [b.add("Unsqueeze", [x, axes]) for x in node["inputs"]], out, axis=node["attrs"]["dim"])


def _constant_pad(b, node, out):
    x = node["inputs"][0]
    ndim = _ndim(b, x)
    begins, ends = [0] * ndim, [0] * ndim
    for dim, before, after in node["attrs"]["pairs"]:
        begins[dim], ends[dim] = before, after
    value = b.const(np.array(node["attrs"]["value"], b.env[x].dtype), "pad_value")
    b.add("Pad", [x, b.const(np.array(begins + ends, np.int64), "pads"), value], out, mode="constant")


def _embedding(b, node, out):
    indices, weight = node["inputs"]
    b.add("Gather", [weight, indices], out, axis=0)


def _embedding_bag(b, node, out):
    indices, offsets, weight, per_sample = node["inputs"]
    a = node["attrs"]
    dtype = b.env[weight].dtype
    rows = b.add("Gather", [weight, indices], axis=0)
    reduce_type = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax"}[a["mode"]]
    if _ndim(b, indices) == 2:
        if a["padding_idx"] is not None or per_sample is not None:
            raise unsupported("embedding_bag", b.opset, "2-D input with padding_idx or per_sample_weights")
        b.reduce(reduce_type, rows, [1], False, out[0])
        return
    if a["mode"] == "max":
        raise unsupported("embedding_bag", b.opset, "mode='max' with offsets")
    zero, one = b.const(np.array(0, np.int64)), b.const(np.array(1, np.int64))
    count = b.add("Squeeze", [b.add("Shape", [indices])])
    positions = b.add("Unsqueeze", [b.add("Range", [zero, count, one]), b.const(np.array([0], np.int64))])
    offsets64 = b.add("Cast", [offsets], to=b.onnx.TensorProto.INT64)
    if a["include_last_offset"]:
        starts = b.add("Slice", [offsets64, b.const(np.array([0], np.int64)), b.const(np.array([-1], np.int64))])
        ends = b.add("Slice", [offsets64, b.const(np.array([1], np.int64)),
                               b.const(np.array([INT64_MAX], np.int64))])
    else:
        starts = offsets64
        tail = b.add("Slice", [offsets64, b.const(np.array([1], np.int64)), b.const(np.array([INT64_MAX], np.int64))])
        ends = b.add("Concat", [tail, b.add("Unsqueeze", [count, b.const(np.array([0], np.int64))])], axis=0)
    column = b.const(np.array([1], np.int64))
    inside = b.add("And", [b.add("GreaterOrEqual", [positions, b.add("Unsqueeze", [starts, column])]),
                           b.add("Less", [positions, b.add("Unsqueeze", [ends, column])])])
    mask = b.add("Cast", [inside], to=b.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))  # [bags, N]
    if a["padding_idx"] is not None:
        keep = b.add("Not", [b.add("Equal", [indices, b.const(np.array(a["padding_idx"], np.int64))])])
        mask = b.add("Mul", [mask, b.add("Unsqueeze", [b.add("Cast", [keep], to=b.helper.np_dtype_to_tensor_dtype(
            np.dtype(dtype))), b.const(np.array([0], np.int64))])])
    weights = mask
    if per_sample is not None:
        weights = b.add("Mul", [mask, b.add("Unsqueeze", [per_sample, b.const(np.array([0], np.int64))])])
    sums = b.add("MatMul", [weights, rows])
    if a["mode"] == "sum":
        b.add("Identity", [sums], out)
        return
    counts = b.reduce("ReduceSum", mask, [1], True)
    b.add("Div", [sums, b.add("Max", [counts, b.const(np.array(1, dtype))])], out)


_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}  # PyTorch -> ONNX


def _rnn(b, node, out):
    a = node["attrs"]
    mode, layers, hidden = a["mode"], a["num_layers"], a["hidden_size"]
    directions = 2 if a["bidirectional"] else 1
    x, lengths, h0, c0 = node["inputs"][:4]
    weights = node["inputs"][4:]
    per = 4 if a["bias"] else 2
    dtype = b.env[x].dtype
    op_type = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}[mode]
    seq = b.add("Transpose", [x], perm=[1, 0, 2]) if a["batch_first"] else x
    seq_lens = b.add("Cast", [lengths], to=b.onnx.TensorProto.INT32) if lengths else ""
    order = _GATE_ORDER[mode]

    def reorder(array):
        chunks = np.split(array, len(order), axis=0)
        return np.concatenate([chunks[i] for i in order], axis=0)

    h_parts, c_parts = [], []
    for layer in range(layers):
        w_list, r_list, b_list = [], [], []
        for d in range(directions):
            group = weights[(layer * directions + d) * per:(layer * directions + d + 1) * per]
            w_list.append(reorder(b.env[group[0]]))
            r_list.append(reorder(b.env[group[1]]))
            gates = b.env[group[0]].shape[0]
            bias = (np.concatenate([reorder(b.env[group[2]]), reorder(b.env[group[3]])]) if a["bias"]
                    else np.zeros(2 * gates, dtype))
            b_list.append(bias)
        ins = [seq, b.const(np.stack(w_list), "W"), b.const(np.stack(r_list), "R"), b.const(np.stack(b_list), "B"),
               seq_lens]
        rows = [b.const(np.array([layer * directions], np.int64)), b.const(np.array([(layer + 1) * directions],
                                                                                     np.int64))]
        ins.append(b.add("Slice", [h0] + rows) if h0 else "")
        if mode == "LSTM":
            ins.append(b.add("Slice", [c0] + rows) if c0 else "")
        kwargs = {"hidden_size": hidden, "direction": "bidirectional" if directions == 2 else "forward"}
        if mode == "GRU":
            kwargs["linear_before_reset"] = 1
        if op_type == "RNN":
            kwargs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * directions
        outs = [b.fresh("Y"), b.fresh("Y_h")] + ([b.fresh("Y_c")] if mode == "LSTM" else [])
        while ins and ins[-1] == "":
            ins.pop()
        b.add(op_type, ins, outs, **kwargs)
        h_parts.append(outs[1])
        if mode == "LSTM":
            c_parts.append(outs[2])
        # Y [T, D, N, H] -> [T, N, D*H]
        seq = b.add("Reshape", [b.add("Transpose", [outs[0]], perm=[0, 2, 1, 3]),
                                b.const(np.array([0, 0, -1], np.int64), "shape")])
    b.add("Transpose", [seq], [out[0]], perm=[1, 0, 2]) if a["batch_first"] else b.add("Identity", [seq], [out[0]])
    b.add("Concat", h_parts, [out[1]], axis=0)
    if mode == "LSTM":
        b.add("Concat", c_parts, [out[2]], axis=0)


def _leaky_relu(b, node, out):
    b.add("LeakyRelu", [node["inputs"][0]], out, alpha=node["attrs"]["negative_slope"])


def _softmax(op_type):
    def convert(b, node, out):
        b.add(op_type, [node["inputs"][0]], out, axis=node["attrs"]["dim"])
    return convert


CONVERTERS: Dict[str, Callable] = {
    "conv2d": _conv2d, "linear": _linear, "matmul": _simple("MatMul"), "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
    "add": _simple("Add"), "sub": _simple("Sub"), "mul": _simple("Mul"), "div": _simple("Div"),
    "pow": _simple("Pow"), "maximum": _simple("Max"), "minimum": _simple("Min"), "where": _simple("Where"),
    "neg": _simple("Neg"), "abs": _simple("Abs"), "exp": _simple("Exp"), "log": _simple("Log"),
    "sqrt": _simple("Sqrt"), "rsqrt": _rsqrt, "reciprocal": _simple("Reciprocal"), "sin": _simple("Sin"),
    "cos": _simple("Cos"), "tanh": _simple("Tanh"), "sigmoid": _simple("Sigmoid"), "relu": _simple("Relu"),
    "gelu": _gelu, "silu": _silu, "hardsigmoid": _simple("HardSigmoid", alpha=1 / 6, beta=0.5),
    "hardswish": _simple("HardSwish"), "hardtanh": _hardtanh, "leaky_relu": _leaky_relu, "elu": _elu,
    "softplus": _softplus, "clamp": _clamp, "identity": _simple("Identity"), "cast": _cast,
    "sum": _reduction("ReduceSum"), "mean": _reduction("ReduceMean"), "amax": _reduction("ReduceMax"),
    "amin": _reduction("ReduceMin"),
    "softmax": _softmax("Softmax"), "log_softmax": _softmax("LogSoftmax"),
    "max_pool2d": _pool("MaxPool"), "avg_pool2d": _pool("AveragePool"),
    "adaptive_avg_pool2d": _adaptive("GlobalAveragePool", "AveragePool"),
    "adaptive_max_pool2d": _adaptive("GlobalMaxPool", "MaxPool"),
    "reshape": _reshape, "permute": _permute, "expand": _expand, "slice": _slice, "cat": _cat, "stack": _stack,
    "constant_pad": _constant_pad, "embedding": _embedding, "embedding_bag": _embedding_bag, "rnn": _rnn,
    "scaled_dot_product_attention": _attention, "expand_as": _expand_as,
}
