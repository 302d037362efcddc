"""The one table from kernel class names to the runtime's stable op names (and attribute translation).

Saved graphs use the runtime's names (``"conv2d"``, ``"add"``...), never kernel class names, so renaming or
moving a kernel class only needs its key changed here. Each entry: ``class name -> (op, translate)`` where
``translate(attrs, inputs)`` returns ``(json attrs, inputs kept)`` (an op spelled ``"a|b"`` is chosen by its
translate, which then returns ``(op, (json attrs, inputs))``) (``inputs`` are the op's Tensor or
literal arguments, already as the tracer's references). Array-valued attributes are returned as
``Const(array)`` and stored with the weights.
"""

from __future__ import annotations

from typing import Callable, Dict, Tuple


class Const:
    """An array attribute that becomes a graph input stored with the weights (e.g. batch norm running stats)."""

    def __init__(self, array):
        self.array = array


def _plain(attrs, inputs):
    return {}, inputs


def _keep(*names):
    def translate(attrs, inputs):
        return {name: _jsonable(attrs[name]) for name in names if name in attrs}, inputs
    return translate


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def _encode_index(index):
    items = []
    for item in index if isinstance(index, tuple) else (index,):
        if isinstance(item, slice):
            items.append([item.start, item.stop, item.step])
        elif item is Ellipsis:
            items.append("...")
        elif item is None or isinstance(item, int):
            items.append(item)
        else:
            raise NotImplementedError(f"indexing with {type(item).__name__} (tensor/array indices are not traced)")
    return items


def _slice(attrs, inputs):
    return {"index": _encode_index(attrs["index"])}, inputs


def _cast(attrs, inputs):
    return {"dtype": str(getattr(attrs["dtype"], "name", attrs["dtype"]))}, inputs


def _conv2d(attrs, inputs):
    return _keep("stride", "pads", "dilation", "groups")(attrs, inputs)


def _pool(attrs, inputs):
    geo = attrs["geo"]
    out = {k: list(geo[k]) for k in ("kernel", "stride", "padding", "dilation")}
    out["out_hw"] = list(geo["out_hw"])
    for key in ("count_include_pad", "divisor_override"):
        if key in attrs:
            out[key] = attrs[key]
    return out, inputs


def _batch_norm(attrs, inputs):
    if attrs.get("use_batch_stats"):
        raise NotImplementedError("batch norm with batch statistics (train mode): trace the model in eval mode")
    # inputs: x, weight, bias; running stats travel as constants so the runtime can fold them
    return {"eps": attrs["eps"]}, list(inputs) + [Const(attrs["running_mean"]), Const(attrs["running_var"])]


def _pad(attrs, inputs):
    return {"pairs": [list(p) for p in attrs["pairs"]], "value": attrs["value"]}, inputs


def _attention(attrs, inputs):
    if attrs.get("keep") is not None:
        raise NotImplementedError("attention dropout (trace in eval mode, where dropout_p is 0)")
    return {"scale": attrs["scale"], "causal": attrs["causal"], "groups": attrs["groups"]}, inputs


def _reduce(attrs, inputs):
    axes = attrs.get("axes")
    dtype = attrs.get("dtype")
    return {"axes": None if axes is None else list(axes), "keepdim": attrs.get("keepdim", False),
            "dtype": None if dtype is None else str(getattr(dtype, "name", dtype))}, inputs


def _extremum(attrs, inputs):
    axes = attrs.get("axes")
    if "dim" in attrs:
        axes = (attrs["dim"],)
    return {"axes": None if axes is None else list(axes), "keepdim": attrs.get("keepdim", False)}, inputs


def _view(attrs, inputs):
    """The shape as the caller wrote it when it has a ``-1`` (that dim follows the input's size in the graph),
    else the resolved one."""
    requested = attrs.get("requested", ())
    if len(requested) == 1 and isinstance(requested[0], (tuple, list)):
        requested = requested[0]
    requested = [int(s) for s in requested]
    return {"shape": requested if -1 in requested else list(attrs["shape"])}, inputs


def _max_or_min(attrs, inputs):
    return ("amax" if attrs["is_max"] else "amin"), _extremum(attrs, inputs)


#: kernel class name -> (runtime op name, attribute/input translation)
KERNELS: Dict[str, Tuple[str, Callable]] = {
    "Convolution": ("conv2d", _conv2d),
    "Linear": ("linear", _plain),
    "Mm": ("matmul", _plain),
    "NativeBatchNorm": ("batch_norm", _batch_norm),
    "NativeLayerNorm": ("layer_norm", _keep("eps", "normalized_ndim")),
    "Add": ("add", _plain),
    "Sub": ("sub", _plain),
    "Mul": ("mul", _plain),
    "Div": ("div", _plain),
    "Pow": ("pow", _plain),
    "Maximum": ("maximum", _plain),
    "Minimum": ("minimum", _plain),
    "Where": ("where", _plain),
    "Neg": ("neg", _plain),
    "Abs": ("abs", _plain),
    "Exp": ("exp", _plain),
    "Log": ("log", _plain),
    "Sqrt": ("sqrt", _plain),
    "Rsqrt": ("rsqrt", _plain),
    "Reciprocal": ("reciprocal", _plain),
    "Sin": ("sin", _plain),
    "Cos": ("cos", _plain),
    "Tanh": ("tanh", _plain),
    "Sigmoid": ("sigmoid", _plain),
    "Relu": ("relu", _plain),
    "Gelu": ("gelu", _keep("approximate")),
    "Silu": ("silu", _plain),
    "Hardsigmoid": ("hardsigmoid", _plain),
    "Hardswish": ("hardswish", _plain),
    "Hardtanh": ("hardtanh", _keep("min_val", "max_val")),
    "LeakyRelu": ("leaky_relu", _keep("negative_slope")),
    "Elu": ("elu", _keep("alpha", "scale", "input_scale")),
    "Softplus": ("softplus", _keep("beta", "threshold")),
    "Clamp": ("clamp", _plain),
    "Clone": ("identity", _plain),
    "Cast": ("cast", _cast),
    "Sum": ("sum", _reduce),
    "Mean": ("mean", _reduce),
    "MaxMinAll": ("amax|amin", _max_or_min),
    "AmaxAmin": ("amax|amin", _max_or_min),
    "MaxMinDim": ("amax|amin", _max_or_min),
    "Softmax": ("softmax", _keep("dim")),
    "LogSoftmax": ("log_softmax", _keep("dim")),
    "MaxPool2DWithIndices": ("max_pool2d", _pool),
    "AvgPool2D": ("avg_pool2d", _pool),
    "AdaptiveAvgPool2D": ("adaptive_avg_pool2d", _keep("out_hw")),
    "AdaptiveMaxPool2D": ("adaptive_max_pool2d", _keep("out_hw")),
    "View": ("reshape", _view),
    "Permute": ("permute", _keep("dims")),
    "Expand": ("expand", _keep("shape")),
    "Slice": ("slice", _slice),
    "Cat": ("cat", _keep("dim")),
    "Stack": ("stack", _keep("dim")),
    "ConstantPadNd": ("constant_pad", _pad),
    "ScaledDotProductAttention": ("scaled_dot_product_attention", _attention),
}
