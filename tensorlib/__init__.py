# ruff: noqa: I001  (the import order below is the layer order)
"""tensorlib: a PyTorch-compatible deep-learning suite in pure Python on NumPy.

``import tensorlib as torch`` is meant to work for typical training scripts. The public names are the
deliberate list ``__all__`` (a test keeps ``dir(tensorlib)`` equal to it); the layers behind them are
described in the README's architecture section.
"""

import math as _math

# Import order matters and is not alphabetical: dtypes and grad mode, then Tensor, whose module builds the
# autograd, kernel and functional layers on top of itself; then the rest.
from .dtypes import (
    bool, double, dtype, float, float16, float32, float64, get_default_dtype, half, int, int16, int32, int64, int8,
    long, set_default_dtype, short, uint8,
)
from ._grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .tensor import (
    Size, Tensor, device,
)
from .creation import (
    arange, as_tensor, asarray, diag, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
    meshgrid, ones, ones_like, tensor, tril, tril_indices, triu, triu_indices, zeros, zeros_like,
)
from .random import (
    Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed, multinomial, normal, rand,
    rand_like, randint, randint_like, randn, randn_like, randperm, seed, set_rng_state,
)
from .functional.activation import (
    relu, sigmoid, tanh,
)
from .functional.comparison import (
    allclose, eq, equal, ge, greater, greater_equal, gt, isclose, isfinite, isinf, isnan, isneginf, isposinf, le,
    less, less_equal, logical_and, logical_not, logical_or, logical_xor, lt, ne, not_equal,
)
from .functional.elementwise import (
    abs, absolute, add, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, ceil, clamp, clamp_max, clamp_min, clip,
    clone, cos, div, divide, erf, exp, expm1, fix, floor, floor_divide, fmax, fmin, fmod, frac, lerp, log, log10,
    log1p, log2, maximum, minimum, mul, multiply, neg, negative, pow, reciprocal, remainder, round, rsqrt, sign, sin,
    sqrt, square, square_, sub, subtract, tan, true_divide, trunc, where,
)
from .functional.indexing import (
    argwhere, gather, index_add, index_select, masked_fill, masked_select, nonzero, scatter, scatter_add,
    take_along_dim,
)
from .functional.inplace import (
    clamp_, fill_, zero_,
)
from .functional.linalg import (
    bmm, dot, einsum, ger, inner, matmul, mm, mv, outer,
)
from .functional.reduction import (
    all, amax, amin, aminmax, any, argmax, argmin, count_nonzero, cumprod, cumsum, log_softmax, logsumexp, max, mean,
    min, nansum, norm, prod, softmax, std, std_mean, sum, var, var_mean,
)
from .functional.shape import (
    atleast_1d, atleast_2d, broadcast_shapes, broadcast_tensors, broadcast_to, cat, chunk, concat, concatenate,
    flatten, flip, fliplr, flipud, hstack, moveaxis, movedim, narrow, permute, ravel, repeat_interleave, reshape,
    roll, select, split, squeeze, stack, swapaxes, swapdims, t, tensor_split, tile, transpose, unbind, unflatten,
    unsqueeze, vstack,
)
from .functional.sorting import (
    argsort, bincount, bucketize, histc, kthvalue, msort, searchsorted, sort, topk, unique, unique_consecutive,
)
from .functional.comparison import (
    isin,
)
from .functional.elementwise import (
    acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, asin, asinh, atan, atan2, atanh, cosh,
    deg2rad, hypot, logaddexp, nan_to_num, rad2deg, sinh,
)
from .functional.linalg import (
    addmm, addmv, baddbmm, cdist, cross, tensordot, trace,
)
from .functional.linalg_decomp import (
    cholesky, det, inverse, logdet, matrix_power, pinverse, qr, slogdet, svd,
)
from .functional.shape import (
    diagonal,
)
from .functional.sorting import (
    median, nanmedian,
)
from ._legacy_types import (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor,
)
from .serialization import (
    load, save,
)
from ._printing import (
    set_printoptions,
)
from ._compat import (
    accelerator, backends, cuda, is_tensor, numel,
)
from ._threads import (
    get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads,
)
from ._compat import (
    are_deterministic_algorithms_enabled, get_default_device, is_deterministic_algorithms_warn_only_enabled,
    set_default_device, use_deterministic_algorithms,
)
from ._typeinfo import (
    finfo, iinfo,
)
from .creation import (
    empty_strided, scalar_tensor,
)
from .autograd.anomaly_mode import (
    is_anomaly_check_nan_enabled, is_anomaly_enabled,
)
from . import _out, autograd, errors, linalg, return_types
from . import random  # noqa: F811  (the module, as torch.random; its functions are imported above)

# the torch.* functions take out= (tensorlib/_out.py lists them); the Tensor methods above call them without it
globals().update(_out.out_variants(globals()))

__version__ = "0.1.0"

# torch.pi, torch.e, torch.inf, torch.nan: plain Python floats, as in PyTorch
pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan

_LAZY_SUBMODULES = ("nn", "optim", "data", "utils", "vision", "text", "datasets", "hub", "metrics", "lightning",
                    "distributed", "jit", "onnx", "port")


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def __getattr__(name: str):
    """Import the heavier sub-packages on first use (``tensorlib.nn``, ``tensorlib.vision``, ...)."""
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "summary":
        return importlib.import_module(f"{__name__}.nn.summary").summary
    raise AttributeError(f"module 'tensorlib' has no attribute '{name}'")


def __dir__():
    return sorted(__all__)


__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "Generator", "HalfTensor",
    "IntTensor", "LongTensor", "ShortTensor", "Size", "Tensor", "__version__", "abs", "absolute", "accelerator",
    "acos", "acosh", "add", "addmm", "addmv", "all", "allclose", "amax", "amin", "aminmax", "any", "arange",
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "are_deterministic_algorithms_enabled",
    "argmax", "argmin", "argsort", "argwhere", "as_tensor", "asarray", "asin", "asinh", "atan", "atan2", "atanh",
    "atleast_1d", "atleast_2d", "autograd", "backends", "baddbmm", "bernoulli", "bincount", "bitwise_and",
    "bitwise_not", "bitwise_or", "bitwise_xor", "bmm", "bool", "broadcast_shapes", "broadcast_tensors",
    "broadcast_to", "bucketize", "cat", "cdist", "ceil", "cholesky", "chunk", "clamp", "clamp_", "clamp_max",
    "clamp_min", "clip", "clone", "concat", "concatenate", "cos", "cosh", "count_nonzero", "cross", "cuda",
    "cumprod", "cumsum", "data", "datasets", "default_generator", "deg2rad", "det", "device", "diag", "diagonal",
    "distributed", "div", "divide", "dot", "double", "dtype", "e", "einsum", "empty", "empty_like", "empty_strided",
    "enable_grad", "eq", "equal", "erf", "errors", "exp", "expm1", "eye", "fill_", "finfo", "fix", "flatten", "flip",
    "fliplr", "flipud", "float", "float16", "float32", "float64", "floor", "floor_divide", "fmax", "fmin", "fmod",
    "frac", "from_numpy", "full", "full_like", "functional", "gather", "ge", "ger", "get_default_device",
    "get_default_dtype", "get_num_interop_threads", "get_num_threads", "get_rng_state", "greater", "greater_equal",
    "gt", "half", "histc",
    "hstack", "hub", "hypot", "iinfo", "index_add", "index_select", "inf", "inference_mode", "initial_seed", "inner",
    "int", "int16", "int32", "int64", "int8", "inverse", "is_anomaly_check_nan_enabled", "is_anomaly_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "is_floating_point", "is_grad_enabled",
    "is_inference_mode_enabled", "is_tensor", "isclose", "isfinite", "isin", "isinf", "isnan", "isneginf",
    "isposinf", "jit", "kthvalue", "le", "lerp", "less", "less_equal", "lightning", "linalg", "linspace", "load",
    "log", "log10", "log1p", "log2", "log_softmax", "logaddexp", "logdet", "logical_and", "logical_not",
    "logical_or", "logical_xor", "logspace", "logsumexp", "long", "lt", "manual_seed", "masked_fill",
    "masked_select", "matmul", "matrix_power", "max", "maximum", "mean", "median", "meshgrid", "metrics", "min",
    "minimum", "mm", "moveaxis", "movedim", "msort", "mul", "multinomial", "multiply", "mv", "nan", "nan_to_num",
    "nanmedian", "nansum", "narrow", "ne", "neg", "negative", "nn", "no_grad", "nonzero", "norm", "normal",
    "not_equal", "numel", "ones", "ones_like", "onnx", "optim", "outer", "permute", "pi", "pinverse", "pow", "prod",
    "qr", "rad2deg", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like", "random", "randperm",
    "ravel", "reciprocal", "relu", "remainder", "repeat_interleave", "reshape", "return_types", "roll", "round",
    "rsqrt", "save", "scalar_tensor", "scatter", "scatter_add", "searchsorted", "seed", "select", "serialization",
    "set_default_device", "set_default_dtype", "set_grad_enabled", "set_num_interop_threads", "set_num_threads",
    "set_printoptions",
    "set_rng_state", "short", "sigmoid", "sign", "sin", "sinh", "slogdet", "softmax", "sort", "split", "sqrt",
    "square", "square_", "squeeze", "stack", "std", "std_mean", "sub", "subtract", "sum", "summary", "svd",
    "swapaxes", "swapdims", "t", "take_along_dim", "tan", "tanh", "tensor", "tensor_split", "tensordot", "text",
    "tile", "topk", "trace", "transpose", "tril", "tril_indices", "triu", "triu_indices", "true_divide", "trunc",
    "uint8", "unbind", "unflatten", "unique", "unique_consecutive", "unsqueeze", "use_deterministic_algorithms",
    "utils", "var", "var_mean", "vision", "vstack", "where", "zero_", "zeros", "zeros_like"]
