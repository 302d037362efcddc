"""NumPy-only runtime for ``.tlj`` files written by ``tensorlib.jit.save``: load a traced graph and run it.

This file imports nothing but the standard library and NumPy, so it can be copied into another project as is
(``cp tensorlib/jit/runtime.py myproject/tlj_runtime.py``) and used there without tensorlib::

    import tlj_runtime
    program = tlj_runtime.load("model.tlj")
    logits = program(images)                 # NumPy arrays in, NumPy arrays (same structure as traced) out

or from the command line: ``python runtime.py model.tlj input.npy --output out.npy``.

File format: a safetensors file (8-byte header length, JSON header, raw little-endian tensor bytes). The header's
``__metadata__`` holds ``tensorlib.jit`` (the graph as JSON text), ``graph_sha256`` (its digest) and ``sha256``
(digest of the tensor bytes). The graph lists ``inputs`` (name, dtype, shape with ``null`` for dynamic dims),
``nodes`` (``op``, ``inputs``: value names, ``null`` or number literals, ``outputs``, ``attrs``) and ``outputs``
(a structure of value names). Running it: constants are folded first (batch norm into the preceding
convolution, weights pre-transposed, activations fused into the op before them), then each node is one
NumPy call sequence writing into buffers that are reused across calls (so a ``Program`` serves one thread at a
time: give each thread its own ``load``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import struct
import sys

import numpy as np

FORMAT = "tensorlib.jit"
FORMAT_VERSION = 1
_MAX_HEADER = 100 * 1024 * 1024
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


class CorruptFileError(RuntimeError):
    """The file is truncated, tampered with, of an unknown format version or not a ``.tlj`` file."""


class UnsupportedOpError(RuntimeError):
    """The graph uses an op this runtime does not know (a file written by a newer version)."""


# ------------------------------------------------------------------------------------------------ file reading
def read_file(path: str) -> tuple[dict, dict]:
    """``(graph, weights)`` of a ``.tlj`` file; raises :class:`CorruptFileError` naming the reason."""
    with open(path, "rb") as handle:
        raw = handle.read()
    return parse_bytes(raw, str(path))


def parse_bytes(raw: bytes, source: str = "<bytes>") -> tuple[dict, dict]:
    if len(raw) < 8:
        raise CorruptFileError(f"{source}: file is truncated ({len(raw)} bytes): not a .tlj file")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > min(_MAX_HEADER, len(raw) - 8):
        raise CorruptFileError(f"{source}: header length {header_len} exceeds the file size: file is truncated or "
                               "not a .tlj file")
    try:
        header = json.loads(raw[8:8 + header_len].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"{source}: unreadable header ({exc})") from None
    metadata = header.pop("__metadata__", None) or {}
    graph_text = metadata.get(FORMAT)
    if graph_text is None:
        raise CorruptFileError(f"{source}: no traced graph in this file (a plain checkpoint? use tensorlib.load)")
    if hashlib.sha256(graph_text.encode()).hexdigest() != metadata.get("graph_sha256"):
        raise CorruptFileError(f"{source}: checksum mismatch: the graph was modified or corrupted")
    graph = json.loads(graph_text)
    version = graph.get("version")
    if graph.get("format") != FORMAT or version != FORMAT_VERSION:
        raise CorruptFileError(f"{source}: unknown format version {version!r} (this runtime reads version "
                               f"{FORMAT_VERSION}); re-export the model or update the runtime")
    data = memoryview(raw)[8 + header_len:]
    end = max((info["data_offsets"][1] for info in header.values()), default=0)
    if end > len(data):
        raise CorruptFileError(f"{source}: file is truncated: tensor data needs {end} bytes, found {len(data)}")
    if hashlib.sha256(data[:end]).hexdigest() != metadata.get("sha256"):
        raise CorruptFileError(f"{source}: checksum mismatch: the tensor data was modified or corrupted")
    weights = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise CorruptFileError(f"{source}: tensor '{name}' has unsupported dtype {info['dtype']}")
        start, stop = info["data_offsets"]
        shape = tuple(info["shape"])
        if stop - start != math.prod(shape) * np.dtype(dtype).itemsize:
            raise CorruptFileError(f"{source}: tensor '{name}' byte range does not match its shape {list(shape)}")
        weights[name] = np.frombuffer(data[start:stop], dtype=np.dtype(dtype).newbyteorder("<")).astype(
            dtype).reshape(shape)
    return graph, weights


# ------------------------------------------------------------------------------------------------ buffers
class _Buffers:
    """Per-node output arrays reused across calls (keyed by shape): no allocation after the first call."""

    def __init__(self):
        self.arrays = {}

    def get(self, shape, dtype=np.float32, zero=False):
        key = (shape, dtype)
        array = self.arrays.get(key)
        if array is None:
            if len(self.arrays) > 8:
                self.arrays.clear()  # many distinct batch sizes: keep memory bounded
            array = self.arrays[key] = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
        return array

    def like(self, a: np.ndarray) -> np.ndarray:
        """A buffer shaped like ``a`` with ``a``'s memory order (a convolution's channels-first output stays
        channels-first through the elementwise ops after it, so the next convolution reads it without a
        transposing copy)."""
        order = tuple(sorted(range(a.ndim), key=lambda i: -a.strides[i]))
        buf = self.get(tuple(a.shape[i] for i in order), a.dtype)
        return buf.transpose(np.argsort(order))


def _activation(spec):
    """In-place activation from a fused ``(name, params)`` spec; ``None`` when there is none."""
    if spec is None:
        return None
    name, params = spec
    if name == "relu":
        return lambda y: np.maximum(y, 0, out=y)
    if name == "hardtanh":
        low, high = params["min_val"], params["max_val"]
        return lambda y: np.clip(y, low, high, out=y)
    raise UnsupportedOpError(f"cannot fuse activation {name!r}")


_FUSABLE_ACTIVATIONS = ("relu", "hardtanh")


# ------------------------------------------------------------------------------------------------ op kernels
CHUNK_BYTES = 1 << 20  # window copy per batch chunk: stays in L2 for the GEMM (measured: 1 MB beats 3 MB)


def _chunks(n: int, bytes_per_image: int):
    step = max(1, min(n, CHUNK_BYTES // max(bytes_per_image, 1)))
    return [(start, min(n, start + step)) for start in range(0, n, step)]


def _op_conv2d(attrs, consts):
    """im2col + one GEMM per group, channels-first inside, in cache-sized batch chunks.

    Stride-1 convolutions copy full padded-width rows (each kernel offset of a whole image is one contiguous
    run; the few junk columns are dropped after the GEMM). The result is an (N, OC, OH, OW) view of an
    (OC, N, OH, OW) buffer, which the next convolution reads without a transposing copy.
    """
    w, b = consts[1], consts[2] if len(consts) > 2 else None
    if w is None:
        raise UnsupportedOpError("conv2d with a computed (non-constant) weight is not supported by the runtime")
    (top, bottom), (left, right) = attrs["pads"]
    (sh, sw), (dh, dw), g = attrs["stride"], attrs["dilation"], attrs["groups"]
    oc, cg, kh, kw = w.shape
    ckk = cg * kh * kw
    wg = np.ascontiguousarray(w.reshape(g, oc // g, ckk))
    bias = None if b is None else b.reshape(oc, 1, 1, 1).astype(w.dtype)
    act = _activation(attrs.get("_act"))
    pointwise = kh == kw == 1 and not (top or bottom or left or right)
    rows = sh == sw == 1 and not pointwise
    padded, scratch, outs = _Buffers(), _Buffers(), _Buffers()

    def conv2d(x, *_):
        n, c, h, wd = x.shape
        hp, wp = h + top + bottom, wd + left + right
        oh = (hp - dh * (kh - 1) - 1) // sh + 1
        ow = (wp - dw * (kw - 1) - 1) // sw + 1
        xc = x.transpose(1, 0, 2, 3)
        out = outs.get((oc, n, oh, ow), x.dtype)
        if pointwise:  # 1x1: the (strided) input itself is the column matrix
            cols = np.ascontiguousarray(xc[:, :, ::sh, ::sw] if sh > 1 or sw > 1 else xc).reshape(g, ckk, n * oh * ow)
            np.matmul(wg, cols, out=out.reshape(g, oc // g, n * oh * ow))
        elif rows:
            slack = dw * (kw - 1)
            flat = padded.get((c * n * hp * wp + slack,), x.dtype, zero=True)
            flat[:c * n * hp * wp].reshape(c, n, hp, wp)[:, :, top:top + h, left:left + wd] = xc
            item = flat.itemsize
            for n0, n1 in _chunks(n, c * kh * kw * oh * wp * item):
                windows = np.lib.stride_tricks.as_strided(
                    flat[n0 * hp * wp:], shape=(c, kh, kw, n1 - n0, oh * wp),
                    strides=(n * hp * wp * item, dh * wp * item, dw * item, hp * wp * item, item), writeable=False)
                cols = scratch.get(windows.shape, x.dtype)
                np.copyto(cols, windows)
                product = scratch.get((g, oc // g, (n1 - n0) * oh * wp), x.dtype)
                np.matmul(wg, cols.reshape(g, ckk, (n1 - n0) * oh * wp), out=product)
                out[:, n0:n1] = product.reshape(oc, n1 - n0, oh, wp)[..., :ow]
        else:
            buf = padded.get((c, n, hp, wp), x.dtype, zero=True)
            buf[:, :, top:top + h, left:left + wd] = xc  # the border stays zero from the first call
            s_c, s_n, s_h, s_w = buf.strides
            for n0, n1 in _chunks(n, c * kh * kw * oh * ow * buf.itemsize):
                windows = np.lib.stride_tricks.as_strided(
                    buf[:, n0:n1], shape=(c, kh, kw, n1 - n0, oh, ow),
                    strides=(s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw), writeable=False)
                cols = scratch.get(windows.shape, x.dtype)
                np.copyto(cols, windows)
                product = scratch.get((g, oc // g, (n1 - n0) * oh * ow), x.dtype)
                np.matmul(wg, cols.reshape(g, ckk, (n1 - n0) * oh * ow), out=product)
                out[:, n0:n1] = product.reshape(oc, n1 - n0, oh, ow)
        if bias is not None:
            out += bias
        if act is not None:
            act(out)
        return out.transpose(1, 0, 2, 3)

    return conv2d


def _op_linear(attrs, consts):
    w, b = consts[1], consts[2]
    act = _activation(attrs.get("_act"))
    if w is None:
        def linear_dynamic(x, w, b=None):
            y = x @ w.T
            return y if b is None else y + b
        return linear_dynamic
    wt = np.ascontiguousarray(w.T)  # constant folding: the transpose is done once, not per call
    outs = _Buffers()

    def linear(x, *_):
        if x.ndim == 2:
            y = outs.get((x.shape[0], wt.shape[1]), np.result_type(x, wt))
            np.matmul(x, wt, out=y)
        else:
            y = x @ wt
        if b is not None:
            y += b
        if act is not None:
            act(y)
        return y

    return linear


def _bn_scale_shift(consts, eps):
    weight, bias, mean, var = consts[1], consts[2], consts[3], consts[4]
    scale = 1.0 / np.sqrt(var.astype(np.float64) + eps)
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    return scale, shift


def _op_batch_norm(attrs, consts):
    scale, shift = _bn_scale_shift(consts, attrs["eps"])
    act = _activation(attrs.get("_act"))
    cache = {}

    def batch_norm(x, *_):
        key = (x.ndim, x.dtype)
        if key not in cache:
            shape = (1, -1) + (1,) * (x.ndim - 2)
            cache[key] = (scale.astype(x.dtype).reshape(shape), shift.astype(x.dtype).reshape(shape))
        s, t = cache[key]
        y = x * s
        y += t
        if act is not None:
            act(y)
        return y

    return batch_norm


def _binary(ufunc):
    def factory(attrs, consts):
        act = _activation(attrs.get("_act"))
        outs = _Buffers()

        def binary(a, b):
            if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
                    and a.dtype == b.dtype:
                y = ufunc(a, b, out=outs.like(a))
            else:
                y = np.asarray(ufunc(a, b))
            if act is not None:
                act(y)
            return y
        return binary
    return factory


def _unary(fn):
    return lambda attrs, consts: fn


def _erf(x):
    # Abramowitz-Stegun 7.1.26 is too coarse for 1e-5 parity: use math.erf vectorised (exact to float64)
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


def _op_gelu(attrs, consts):
    if attrs.get("approximate", "none") == "tanh":
        return lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi).astype(x.dtype) * (x + 0.044715 * x ** 3)))
    return lambda x: (0.5 * x * (1 + _erf(x / np.sqrt(2)))).astype(x.dtype)


def _op_leaky_relu(attrs, consts):
    slope = attrs["negative_slope"]
    return lambda x: np.where(x > 0, x, x * x.dtype.type(slope))


def _op_elu(attrs, consts):
    alpha, scale, input_scale = attrs["alpha"], attrs["scale"], attrs["input_scale"]
    return lambda x: (scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) * input_scale))).astype(x.dtype)


def _op_softplus(attrs, consts):
    beta, threshold = attrs["beta"], attrs["threshold"]
    return lambda x: np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(x * beta, threshold))) / beta
                              ).astype(x.dtype)


def _op_hardtanh(attrs, consts):
    low, high = attrs["min_val"], attrs["max_val"]
    return lambda x: np.clip(x, low, high)


def _op_clamp(attrs, consts):
    def clamp(x, low=None, high=None):
        if low is not None:
            x = np.maximum(x, low)
        if high is not None:
            x = np.minimum(x, high)
        return np.asarray(x)
    return clamp


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _op_attention(attrs, consts):
    """softmax(q k^T * scale + mask) v over the last two dims; fully masked rows give zeros, as the kernel."""
    scale, causal, groups = attrs["scale"], attrs["causal"], attrs["groups"]

    def attention(q, k, v, mask=None):
        if groups > 1:
            k, v = np.repeat(k, groups, axis=-3), np.repeat(v, groups, axis=-3)
        scores = np.matmul(q * np.asarray(scale, q.dtype), np.swapaxes(k, -1, -2))
        if mask is not None:
            scores += mask
        if causal:
            scores += np.where(np.tri(*scores.shape[-2:], dtype=bool), 0, -np.inf).astype(q.dtype)
        top = scores.max(axis=-1, keepdims=True)
        top[~np.isfinite(top)] = 0
        weights = np.exp(scores - top)
        total = weights.sum(axis=-1, keepdims=True)
        total[total == 0] = 1
        return np.matmul(weights / total, v).astype(q.dtype, copy=False)
    return attention


def _log_softmax(x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _reduction(fn):
    def factory(attrs, consts):
        axes = attrs.get("axes")
        axes = None if axes is None else tuple(axes)
        keepdim = attrs.get("keepdim", False)
        dtype = attrs.get("dtype")
        if dtype is None:
            return lambda x: np.asarray(fn(x, axis=axes, keepdims=keepdim))
        return lambda x: np.asarray(fn(x, axis=axes, keepdims=keepdim, dtype=dtype))
    return factory


def _pool_geometry(x, attrs):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = attrs["kernel"], attrs["stride"], attrs["padding"], attrs["dilation"]
    n, c, h, w = x.shape
    ceil = attrs.get("ceil_mode", False)
    sizes = []
    for size, k, s, p, d in ((h, kh, sh, ph, dh), (w, kw, sw, pw, dw)):
        span = size + 2 * p - d * (k - 1) - 1
        out = (span + (s - 1 if ceil else 0)) // s + 1
        if ceil and (out - 1) * s >= size + p:
            out -= 1
        sizes.append(out)
    return sizes


def _op_max_pool2d(attrs, consts):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = attrs["kernel"], attrs["stride"], attrs["padding"], attrs["dilation"]
    padded = _Buffers()

    def max_pool2d(x):
        n, c, h, w = x.shape
        oh, ow = _pool_geometry(x, attrs)
        need_h, need_w = (oh - 1) * sh + dh * (kh - 1) + 1, (ow - 1) * sw + dw * (kw - 1) + 1
        hp, wp = max(h + 2 * ph, need_h), max(w + 2 * pw, need_w)
        if ph or pw or hp != h or wp != w:
            buf = padded.get((n, c, hp, wp), x.dtype)
            buf.fill(-np.inf)
            buf[:, :, ph:ph + h, pw:pw + w] = x
        else:
            buf = x
        out = None
        for i in range(kh):
            for j in range(kw):
                window = buf[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
                out = window.copy() if out is None else np.maximum(out, window, out=out)
        return out

    return max_pool2d


def _op_avg_pool2d(attrs, consts):
    (kh, kw), (sh, sw), (ph, pw) = attrs["kernel"], attrs["stride"], attrs["padding"]
    include_pad, divisor = attrs.get("count_include_pad", True), attrs.get("divisor_override")

    def avg_pool2d(x):
        n, c, h, w = x.shape
        oh, ow = _pool_geometry(x, dict(attrs, dilation=(1, 1)))
        hp, wp = max(h + 2 * ph, (oh - 1) * sh + kh), max(w + 2 * pw, (ow - 1) * sw + kw)
        buf = np.zeros((n, c, hp, wp), x.dtype)
        buf[:, :, ph:ph + h, pw:pw + w] = x
        ones = np.zeros((hp, wp), x.dtype)
        ones[ph:ph + h, pw:pw + w] = 1
        if include_pad:
            ones[:h + 2 * ph, :w + 2 * pw] = 1
        total = np.zeros((n, c, oh, ow), x.dtype)
        count = np.zeros((oh, ow), x.dtype)
        for i in range(kh):
            for j in range(kw):
                total += buf[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
                count += ones[i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
        return total / (divisor if divisor else np.maximum(count, 1))

    return avg_pool2d


def _adaptive_bins(size: int, out: int):
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _op_adaptive_pool2d(reduce):
    def factory(attrs, consts):
        out_h, out_w = attrs["out_hw"]

        def adaptive_pool2d(x):
            n, c, h, w = x.shape
            oh, ow = out_h or h, out_w or w
            if oh == ow == 1:  # global pooling
                return reduce(x, axis=(2, 3), keepdims=True)
            if h % oh == 0 and w % ow == 0:
                return reduce(x.reshape(n, c, oh, h // oh, ow, w // ow), axis=(3, 5))
            out = np.empty((n, c, oh, ow), x.dtype)
            for i, (h0, h1) in enumerate(_adaptive_bins(h, oh)):
                for j, (w0, w1) in enumerate(_adaptive_bins(w, ow)):
                    out[:, :, i, j] = reduce(x[:, :, h0:h1, w0:w1], axis=(2, 3))
            return out
        return adaptive_pool2d
    return factory


def _op_reshape(attrs, consts):
    shape = attrs["shape"]

    def reshape(x):
        return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(shape)])
    return reshape


def _op_expand(attrs, consts):
    shape = attrs["shape"]
    return lambda x: np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(shape)))


def _decode_index(items):
    out = []
    for item in items:
        if isinstance(item, list):
            out.append(slice(*item))
        elif item == "...":
            out.append(Ellipsis)
        else:
            out.append(item)  # an int, or None for a new axis
    return tuple(out)


def _op_slice(attrs, consts):
    index = _decode_index(attrs["index"])
    return lambda x: x[index]


def _op_constant_pad(attrs, consts):
    pairs, value = attrs["pairs"], attrs["value"]

    def constant_pad(x):
        widths = [(0, 0)] * x.ndim
        for dim, before, after in pairs:
            widths[dim] = (before, after)
        crop = tuple(slice(-min(b, 0) or None, (x.shape[d] + min(a, 0)) or None) if (b < 0 or a < 0)
                     else slice(None) for d, (b, a) in enumerate(widths))
        return np.pad(x[crop], [(max(b, 0), max(a, 0)) for b, a in widths], constant_values=value)
    return constant_pad


def _op_embedding(attrs, consts):
    return lambda indices, weight: weight[indices]


def _op_embedding_bag(attrs, consts):
    mode, include_last, padding_idx = attrs["mode"], attrs["include_last_offset"], attrs["padding_idx"]

    def embedding_bag(indices, offsets, weight, per_sample_weights=None):
        if indices.ndim == 2:
            bags, length = indices.shape
            flat = indices.reshape(-1)
            starts = np.arange(0, bags * length, length)
        else:
            flat = indices
            starts = offsets[:-1] if include_last else offsets
            if include_last:
                flat = flat[:offsets[-1]]
        rows = weight[flat]
        valid = np.ones(len(flat), weight.dtype) if padding_idx is None else (flat != padding_idx).astype(
            weight.dtype)
        bags = len(starts)
        ends = np.append(starts[1:], len(flat)).astype(np.int64)
        counts_all = ends - starts
        out = np.zeros((bags, weight.shape[1]), weight.dtype)
        nonempty = counts_all > 0
        if len(flat) == 0 or not nonempty.any():
            return out
        starts_ne = starts[nonempty]
        if mode == "max":
            masked = np.where(valid[:, None] > 0, rows, -np.inf)
            reduced = np.maximum.reduceat(masked, starts_ne, axis=0)
            reduced[np.isinf(reduced)] = 0
            out[nonempty] = reduced
            return out
        weighted = rows * valid[:, None]
        if per_sample_weights is not None:
            weighted = weighted * per_sample_weights[:len(flat), None]
        sums = np.add.reduceat(weighted, starts_ne, axis=0)
        if mode == "mean":
            counts = np.add.reduceat(valid, starts_ne)
            sums = sums / np.maximum(counts, 1)[:, None]
        out[nonempty] = sums
        return out

    return embedding_bag


def _op_layer_norm(attrs, consts):
    eps, ndim = attrs["eps"], attrs["normalized_ndim"]

    def layer_norm(x, weight=None, bias=None):
        axes = tuple(range(x.ndim - ndim, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + x.dtype.type(eps))
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        return y.astype(x.dtype)
    return layer_norm


def _sigmoid(x):
    return np.asarray(1 / (1 + np.exp(-x)), dtype=x.dtype)


def _rnn_direction(mode, x_proj, h, c, w_hh_t, b_hh, mask, reverse, outputs):
    """One direction of one layer over time-major ``x_proj (T, N, G)`` (input projection done); writes ``outputs``
    (T, N, H) and returns the final ``(h, c)``. ``mask`` (T, N, 1) marks valid steps of padded sequences."""
    steps = range(x_proj.shape[0] - 1, -1, -1) if reverse else range(x_proj.shape[0])
    hidden = h.shape[1]
    for t in steps:
        gates_h = h @ w_hh_t
        if b_hh is not None:
            gates_h += b_hh
        xt = x_proj[t]
        if mode == "LSTM":
            gates = xt + gates_h
            i = _sigmoid(gates[:, :hidden])
            f = _sigmoid(gates[:, hidden:2 * hidden])
            g = np.tanh(gates[:, 2 * hidden:3 * hidden])
            o = _sigmoid(gates[:, 3 * hidden:])
            c_new = f * c + i * g
            h_new = o * np.tanh(c_new)
        elif mode == "GRU":
            r = _sigmoid(xt[:, :hidden] + gates_h[:, :hidden])
            z = _sigmoid(xt[:, hidden:2 * hidden] + gates_h[:, hidden:2 * hidden])
            n = np.tanh(xt[:, 2 * hidden:] + r * gates_h[:, 2 * hidden:])
            h_new, c_new = (1 - z) * n + z * h, c
        else:
            pre = xt + gates_h
            h_new, c_new = (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), c
        if mask is None:
            h, c = h_new, c_new
            outputs[t] = h_new
        else:
            m = mask[t]
            h = np.where(m, h_new, h)
            if c is not None:
                c = np.where(m, c_new, c)
            outputs[t] = np.where(m, h_new, 0)
    return h, c


def _op_rnn(attrs, consts):
    mode, layers, directions = attrs["mode"], attrs["num_layers"], 2 if attrs["bidirectional"] else 1
    hidden, batch_first, has_bias = attrs["hidden_size"], attrs["batch_first"], attrs["bias"]
    per = 4 if has_bias else 2
    weights = consts[4:]
    folded = []  # per (layer, direction): W_ih^T, b_ih, W_hh^T, b_hh (transposes folded once)
    for k in range(layers * directions):
        group = weights[k * per:(k + 1) * per]
        w_ih, w_hh = group[0], group[1]
        b_ih, b_hh = (group[2], group[3]) if has_bias else (None, None)
        folded.append((np.ascontiguousarray(w_ih.T), b_ih, np.ascontiguousarray(w_hh.T), b_hh))

    def rnn(x, lengths=None, h0=None, c0=None, *_):
        seq = x.transpose(1, 0, 2) if batch_first else x  # (T, N, I)
        steps, batch = seq.shape[:2]
        mask = None
        if lengths is not None:
            mask = (np.arange(steps)[:, None] < np.asarray(lengths).reshape(1, -1))[:, :, None]
        layer_input = seq
        h_n, c_n = [], []
        for layer in range(layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                w_ih_t, b_ih, w_hh_t, b_hh = folded[k]
                proj = layer_input @ w_ih_t
                if b_ih is not None:
                    proj += b_ih
                h = np.zeros((batch, hidden), x.dtype) if h0 is None else h0[k]
                c = None
                if mode == "LSTM":
                    c = np.zeros((batch, hidden), x.dtype) if c0 is None else c0[k]
                out = np.empty((steps, batch, hidden), x.dtype)
                h, c = _rnn_direction(mode, proj, h, c, w_hh_t, b_hh, mask, d == 1, out)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            layer_input = outs[0] if directions == 1 else np.concatenate(outs, axis=2)
        output = layer_input.transpose(1, 0, 2) if batch_first else layer_input
        h_stack = np.stack(h_n).astype(x.dtype)
        if mode == "LSTM":
            return output, h_stack, np.stack(c_n).astype(x.dtype)
        return output, h_stack

    return rnn


def _op_cast(attrs, consts):
    dtype = np.dtype(attrs["dtype"])
    return lambda x: x.astype(dtype)


def _where(condition, a, b):
    return np.where(condition, a, b)


OPS = {
    "conv2d": _op_conv2d,
    "linear": _op_linear,
    "matmul": _unary(np.matmul),
    "batch_norm": _op_batch_norm,
    "layer_norm": _op_layer_norm,
    "add": _binary(np.add),
    "sub": _binary(np.subtract),
    "mul": _binary(np.multiply),
    "div": _binary(np.true_divide),
    "pow": _unary(lambda a, b: np.asarray(np.power(a, b))),
    "maximum": _unary(np.maximum),
    "minimum": _unary(np.minimum),
    "where": _unary(_where),
    "neg": _unary(np.negative),
    "abs": _unary(np.abs),
    "exp": _unary(np.exp),
    "log": _unary(np.log),
    "sqrt": _unary(np.sqrt),
    "rsqrt": _unary(lambda x: 1 / np.sqrt(x)),
    "reciprocal": _unary(lambda x: 1 / x),
    "sin": _unary(np.sin),
    "cos": _unary(np.cos),
    "tanh": _unary(np.tanh),
    "sigmoid": _unary(_sigmoid),
    "relu": _unary(lambda x: np.maximum(x, 0)),
    "gelu": _op_gelu,
    "silu": _unary(lambda x: x * _sigmoid(x)),
    "hardsigmoid": _unary(lambda x: np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype)),
    "hardswish": _unary(lambda x: (x * np.clip(x / 6 + 0.5, 0, 1)).astype(x.dtype)),
    "hardtanh": _op_hardtanh,
    "leaky_relu": _op_leaky_relu,
    "elu": _op_elu,
    "softplus": _op_softplus,
    "clamp": _op_clamp,
    "identity": _unary(lambda x: x),
    "cast": _op_cast,
    "sum": _reduction(np.sum),
    "mean": _reduction(np.mean),
    "amax": lambda attrs, consts: _reduction(np.amax)(dict(attrs, dtype=None), consts),
    "amin": lambda attrs, consts: _reduction(np.amin)(dict(attrs, dtype=None), consts),
    "softmax": lambda attrs, consts: (lambda x: _softmax(x, attrs["dim"])),
    "scaled_dot_product_attention": _op_attention,
    "log_softmax": lambda attrs, consts: (lambda x: _log_softmax(x, attrs["dim"])),
    "max_pool2d": _op_max_pool2d,
    "avg_pool2d": _op_avg_pool2d,
    "adaptive_avg_pool2d": _op_adaptive_pool2d(np.mean),
    "adaptive_max_pool2d": _op_adaptive_pool2d(np.max),
    "reshape": _op_reshape,
    "permute": lambda attrs, consts: (lambda x: x.transpose(attrs["dims"])),
    "expand": _op_expand,
    "slice": _op_slice,
    "cat": lambda attrs, consts: (lambda *xs: np.concatenate(xs, axis=attrs["dim"])),
    "stack": lambda attrs, consts: (lambda *xs: np.stack(xs, axis=attrs["dim"])),
    "constant_pad": _op_constant_pad,
    "embedding": _op_embedding,
    "embedding_bag": _op_embedding_bag,
    "rnn": _op_rnn,
    "expand_as": lambda attrs, consts: (lambda x, like: np.broadcast_to(x, like.shape)),
}


# ------------------------------------------------------------------------------------------------ graph passes
def _consumers(nodes, outputs_used):
    counts = dict.fromkeys(outputs_used, 1)
    for node in nodes:
        for ref in node["inputs"]:
            if isinstance(ref, str):
                counts[ref] = counts.get(ref, 0) + 1
    return counts


def _output_names(structure, found):
    if isinstance(structure, dict):
        if "tensor" in structure:
            found.append(structure["tensor"])
        for key in ("tuple", "list"):
            for item in structure.get(key, ()):
                _output_names(item, found)
        for _, item in structure.get("dict", ()):
            _output_names(item, found)
    return found


def optimize(graph: dict, weights: dict) -> tuple[list, dict]:
    """Fold constants and fuse elementwise chains; returns ``(nodes, weights)`` (the inputs are not modified).

    conv2d -> batch_norm becomes one conv2d with scaled weights; relu/relu6 after conv2d, linear, add or
    batch_norm runs in place on that op's output buffer (only when nothing else reads the value in between).
    """
    weights = dict(weights)
    nodes = [dict(node, attrs=dict(node.get("attrs", {})), inputs=list(node["inputs"])) for node in graph["nodes"]]
    used = _consumers(nodes, _output_names(graph["outputs"], []))
    producer = {}
    result = []
    for node in nodes:
        ins = node["inputs"]
        source = producer.get(ins[0]) if ins and isinstance(ins[0], str) else None
        if (node["op"] == "batch_norm" and source is not None and source["op"] == "conv2d"
                and used.get(ins[0]) == 1 and "_act" not in source["attrs"]
                and all(r is None or r in weights for r in ins[1:])
                and all(r is None or r in weights for r in source["inputs"][1:])):
            consts = [None] + [None if r is None else weights[r] for r in ins[1:]]
            scale, shift = _bn_scale_shift(consts, node["attrs"]["eps"])
            w = weights[source["inputs"][1]]
            b = source["inputs"][2] if len(source["inputs"]) > 2 else None
            base = weights[b] if b is not None else np.zeros(w.shape[0], w.dtype)
            name = node["outputs"][0]
            weights[name + ".folded_weight"] = (w * scale.reshape(-1, 1, 1, 1)).astype(w.dtype)
            weights[name + ".folded_bias"] = (base * scale + shift).astype(w.dtype)
            source["inputs"] = [source["inputs"][0], name + ".folded_weight", name + ".folded_bias"]
            source["outputs"] = node["outputs"]
            producer[name] = source
            continue
        if (node["op"] in _FUSABLE_ACTIVATIONS and source is not None
                and source["op"] in ("conv2d", "linear", "add", "batch_norm")
                and used.get(ins[0]) == 1 and "_act" not in source["attrs"]):
            source["attrs"]["_act"] = (node["op"], node.get("attrs", {}))
            source["outputs"] = node["outputs"]
            producer[node["outputs"][0]] = source
            continue
        for out in node["outputs"]:
            producer[out] = node
        result.append(node)
    return result, weights


# ------------------------------------------------------------------------------------------------ program
def _describe(spec) -> str:
    shape = ", ".join("N" if d is None else str(d) for d in spec["shape"])
    return f"{spec['name']}: {spec['dtype']}[{shape}]"


class Program:
    """A loaded graph ready to run: ``program(*arrays)`` returns the traced output structure of arrays."""

    def __init__(self, graph: dict, weights: dict, source: str = "<graph>", fold: bool = True):
        self.graph, self.source = graph, source
        self.weights = weights
        self.inputs = graph["inputs"]
        nodes, folded = optimize(graph, weights) if fold else (graph["nodes"], dict(weights))
        self._env = dict(folded)
        self._steps = []
        for node in nodes:
            factory = OPS.get(node["op"])
            if factory is None:
                raise UnsupportedOpError(f"{source}: op {node['op']!r} is not known to this runtime (the file was "
                                         "written by a newer tensorlib); update tensorlib/jit/runtime.py")
            consts = [self._env.get(r) if isinstance(r, str) else r for r in node["inputs"]]
            fn = factory(node.get("attrs", {}), consts)
            self._steps.append((fn, tuple(node["inputs"]), tuple(node["outputs"]), node))

    @property
    def signature(self) -> str:
        return "(" + ", ".join(_describe(spec) for spec in self.inputs) + ")"

    def _check_inputs(self, args) -> list:
        if len(args) != len(self.inputs):
            raise TypeError(f"expected {len(self.inputs)} input(s) {self.signature}, got {len(args)}")
        arrays = []
        for value, spec in zip(args, self.inputs):
            array = np.asarray(value)
            want = np.dtype(spec["dtype"])
            if array.dtype != want:
                if want.kind in "iu" and array.dtype.kind in "iu":
                    array = array.astype(want)
                else:
                    raise TypeError(f"input '{spec['name']}' has dtype {array.dtype}, expected {want}; "
                                    f"signature {self.signature}")
            shape = spec["shape"]
            if array.ndim != len(shape) or any(d is not None and d != s for d, s in zip(shape, array.shape)):
                raise ValueError(f"input '{spec['name']}' has shape {list(array.shape)}, expected "
                                 f"[{', '.join('N' if d is None else str(d) for d in shape)}]; "
                                 f"signature {self.signature}")
            arrays.append(array)
        return arrays

    def __call__(self, *args):
        return _build(self.graph["outputs"], self.evaluate(*args))

    run = __call__

    def evaluate(self, *args) -> dict:
        """Every value of the graph (inputs, weights, op outputs) by name, after one run."""
        env = dict(self._env)
        for spec, array in zip(self.inputs, self._check_inputs(args)):
            env[spec["name"]] = array
        for fn, ins, outs, node in self._steps:
            try:
                result = fn(*[env[r] if isinstance(r, str) else r for r in ins])
            except Exception as exc:
                raise RuntimeError(f"op {node['op']!r} ({', '.join(outs)}) failed: {exc}") from exc
            if len(outs) == 1:
                env[outs[0]] = result
            else:
                for name, value in zip(outs, result):
                    env[name] = value
        return env


def _build(structure, env):
    """The output structure with each tensor reference replaced by a fresh array (buffers are reused)."""
    if "tensor" in structure:
        return np.array(env[structure["tensor"]], copy=True)
    if "tuple" in structure:
        return tuple(_build(item, env) for item in structure["tuple"])
    if "list" in structure:
        return [_build(item, env) for item in structure["list"]]
    if "dict" in structure:
        return {key: _build(item, env) for key, item in structure["dict"]}
    return structure.get("value")


def load(path: str) -> Program:
    """Read and compile a ``.tlj`` file (raises :class:`CorruptFileError` / :class:`UnsupportedOpError`)."""
    graph, weights = read_file(path)
    return Program(graph, weights, str(path))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run a traced tensorlib model (.tlj) on .npy inputs with NumPy "
                                                 "only.")
    parser.add_argument("model", help="a file written by tensorlib.jit.save")
    parser.add_argument("inputs", nargs="+", help="one .npy file per model input, in order")
    parser.add_argument("--output", help="write the (first) output here as .npy; default: print it")
    args = parser.parse_args(argv)
    program = load(args.model)
    result = program(*[np.load(path, allow_pickle=False) for path in args.inputs])
    first = result
    while isinstance(first, (tuple, list)):
        first = first[0]
    if isinstance(first, dict):
        first = next(iter(first.values()))
    if args.output:
        np.save(args.output, first)
    else:
        np.set_printoptions(precision=4, suppress=True)
        print(first)
    return 0


if __name__ == "__main__":
    sys.exit(main())
