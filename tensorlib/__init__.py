"""tensorlib: a PyTorch-compatible deep-learning suite in pure Python on NumPy.

``import tensorlib as torch`` is meant to work for typical training scripts.
"""

from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .creation import (
    arange,
    as_tensor,
    asarray,
    diag,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    meshgrid,
    ones,
    ones_like,
    tensor,
    tril,
    tril_indices,
    triu,
    triu_indices,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .ops import *
from .ops import abs, all, any, max, min, pow, round, sum
from .random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from .serialization import load, save
from .tensor import Size, Tensor, device

from . import autograd  # noqa: E402  isort: skip
from . import _compat  # noqa: E402  isort: skip
from ._compat import accelerator, backends, cuda, get_num_threads, is_tensor, numel, set_num_threads  # noqa: E402

__version__ = "0.1.0"

def FloatTensor(*args) -> Tensor:
    """Legacy constructor ``torch.FloatTensor(data)`` / ``FloatTensor(2, 3)``: a float32 tensor."""
    return Tensor(*args, dtype=float32)


def LongTensor(*args) -> Tensor:
    """Legacy constructor ``torch.LongTensor(data)``: an int64 tensor."""
    return Tensor(*args, dtype=int64)


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def _lazy_submodules(name: str):
    import importlib

    if name in ("nn", "optim", "data", "utils", "vision", "text", "datasets", "jit", "onnx"):
        return importlib.import_module(f"{__name__}.{name}")
    if name == "summary":
        from .nn.summary import summary

        return summary
    raise AttributeError(f"module 'tensorlib' has no attribute '{name}'")


def __getattr__(name: str):
    return _lazy_submodules(name)
