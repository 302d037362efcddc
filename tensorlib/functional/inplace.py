"""In-place operations (``add_``, ``mul_``, ``fill_``, ``uniform_`` ...).

Without a graph they write into the tensor's memory and bump its version counter, so a backward that needs
the old values raises a clear error instead of computing wrong gradients. When the graph is involved (the
tensor or the other operand requires grad), the op is recorded as the out-of-place op and the tensor is
rebound to the result, as PyTorch's in-place autograd does for non-view tensors."""

from __future__ import annotations

from .. import _grad_mode as grad_mode
from .. import dtypes as _dtypes
from .. import random as _random
from .._backend import xp
from ..kernels.indexing import CopySlices, _check_bounds
from ..tensor import Tensor
from .elementwise import add, clamp, clone, div, lerp, mul, sub
from .indexing import _convert_index, masked_fill

__all__ = ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "masked_fill_", "lerp_", "zero_", "fill_", "copy_",
           "uniform_", "normal_", "bernoulli_", "exponential_", "random_", "geometric_", "cauchy_", "log_normal_"]


def _category(dtype) -> int:
    return 0 if dtype.kind == "b" else (2 if dtype.kind == "f" else 1)


def apply_inplace(self: Tensor, compute, name: str) -> Tensor:
    """Run ``compute()`` (an out-of-place op on ``self``) and store the result into ``self``."""
    check_inplace(self, name)
    out = compute()
    if _category(out._data.dtype) > _category(self._data.dtype):
        raise RuntimeError(f"result type {out.dtype.name.capitalize()} can't be cast to the desired output type "
                           f"{self.dtype.name.capitalize()} in {name}")
    if out._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(out.shape)} in {name}")
    if out.requires_grad:
        if out._data.dtype != self._data.dtype:
            out = out.to(self.dtype)
        rebind_inplace(self, out)
    else:
        self._data[...] = out._data
        self._version.bump(name)
    return self


def add_(self, other, *, alpha=1):
    return apply_inplace(self, lambda: add(self, other, alpha=alpha), "add_")


def sub_(self, other, *, alpha=1):
    return apply_inplace(self, lambda: sub(self, other, alpha=alpha), "sub_")


def mul_(self, other):
    return apply_inplace(self, lambda: mul(self, other), "mul_")


def div_(self, other, *, rounding_mode=None):
    return apply_inplace(self, lambda: div(self, other, rounding_mode=rounding_mode), "div_")


def pow_(self, exponent):
    return apply_inplace(self, lambda: pow(self, exponent), "pow_")


def clamp_(self, min=None, max=None):
    return apply_inplace(self, lambda: clamp(self, min, max), "clamp_")


def masked_fill_(self, mask, value):
    return apply_inplace(self, lambda: masked_fill(self, mask, value), "masked_fill_")


def lerp_(self, end, weight):
    return apply_inplace(self, lambda: lerp(self, end, weight), "lerp_")


def unary_(self, fn, name: str):
    return apply_inplace(self, lambda: fn(self), name)


def _write(self: Tensor, values, name: str) -> Tensor:
    check_inplace(self, name)
    self._data[...] = values
    self._version.bump(name)
    return self


def zero_(self):
    return _write(self, 0, "zero_")


def fill_(self, value):
    if isinstance(value, Tensor):
        if value.requires_grad:
            return apply_inplace(self, lambda: value.expand(self.shape).to(self.dtype) + 0, "fill_")
        value = value._data
    return _write(self, value, "fill_")


def copy_(self, src, non_blocking: bool = False):
    """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
    if isinstance(src, Tensor) and src.requires_grad:
        def compute():
            out = src.to(self.dtype).expand(self.shape)
            return clone(out)
        return apply_inplace(self, compute, "copy_")
    data = src._data if isinstance(src, Tensor) else xp.asarray(src)
    try:
        broadcast = xp.broadcast_to(data, self._data.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the size of tensor b "
                           f"({list(data.shape)}) in copy_") from None
    return _write(self, broadcast, "copy_")


def _draw_into(self: Tensor, draw, name: str) -> xp.ndarray:
    """Run ``draw(out=...)`` straight into float32/float64 storage (no temporaries); returns the target."""
    check_inplace(self, name)
    data = self._data
    if data.dtype in (xp.float32, xp.float64) and data.flags.c_contiguous:
        draw(out=data)
    else:
        data[...] = draw(out=None)
    self._version.bump(name)
    return data


def _float_only(self: Tensor, kernel: str) -> None:
    """PyTorch's continuous-distribution fills refuse integer tensors (``NotImplementedError``)."""
    if self._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtypes.scalar_type_name(self._data.dtype)}\'')


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    _float_only(self, "check_uniform_bounds")
    rng = _random.np_rng(generator)
    dtype = self._data.dtype if self._data.dtype in (xp.float32, xp.float64) else xp.float64
    data = _draw_into(self, lambda out: rng.random(self._data.shape, dtype=dtype, out=out), "uniform_")
    if (a, b) != (0.0, 1.0):
        data *= b - a
        data += a
    return self


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    _float_only(self, "normal_kernel_cpu")
    rng = _random.np_rng(generator)
    dtype = self._data.dtype if self._data.dtype in (xp.float32, xp.float64) else xp.float64
    data = _draw_into(self, lambda out: rng.standard_normal(self._data.shape, dtype=dtype, out=out), "normal_")
    if std != 1.0:
        data *= std
    if mean != 0.0:
        data += mean
    return self


def bernoulli_(self, p=0.5, *, generator=None):
    rng = _random.np_rng(generator)
    probs = p._data if isinstance(p, Tensor) else p
    return _write(self, rng.random(self._data.shape) < probs, "bernoulli_")


def exponential_(self, lambd: float = 1.0, *, generator=None):
    return _write(self, _random.np_rng(generator).exponential(1.0 / lambd, self._data.shape), "exponential_")


def geometric_(self, p: float, *, generator=None):
    """Trials until the first success, each succeeding with probability ``p`` (values 1, 2, ...)."""
    return _write(self, _random.np_rng(generator).geometric(p, self._data.shape), "geometric_")


def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None):
    _float_only(self, "cauchy_cpu")
    draws = _random.np_rng(generator).standard_cauchy(self._data.shape)
    return _write(self, median + sigma * draws, "cauchy_")


def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None):
    """``exp`` of normal samples with the given ``mean`` and ``std`` (PyTorch's defaults 1 and 2)."""
    _float_only(self, "log_normal_cpu")
    return _write(self, _random.np_rng(generator).lognormal(mean, std, self._data.shape), "log_normal_")


def random_(self, from_: int = 0, to=None, *, generator=None):
    high = to if to is not None else (2 ** 24 if self._data.dtype.kind == "f" else xp.iinfo(self._data.dtype).max)
    return _write(self, _random.np_rng(generator).integers(from_, high, self._data.shape), "random_")


def setitem_(input, index, value) -> None:
    """``input[index] = value`` in place; recorded in the graph when either side requires grad."""
    index, _ = _convert_index(index)
    _check_bounds(input.shape, index)
    value_data = value._data if isinstance(value, Tensor) else value
    graph = grad_mode.is_grad_enabled() and (input.requires_grad or (isinstance(value, Tensor)
                                                                      and value.requires_grad))
    if graph:
        check_inplace(input, "setitem")
        if isinstance(value, Tensor) and value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        out = CopySlices.apply(input, value, index=index)
        rebind_inplace(input, out)
        return
    input._data[index] = value_data
    input._version.bump("setitem (x[...] = v)")


def check_inplace(input: Tensor, op_name: str) -> None:
    if input.requires_grad and input.is_leaf and grad_mode.is_grad_enabled():
        raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation "
                           f"({op_name}). Wrap it in `with tensorlib.no_grad():` (e.g. for initialisation or an "
                           "optimizer step) or use the out-of-place form.")


def rebind_inplace(input: Tensor, out: Tensor) -> None:
    """Make ``input`` the result of a recorded in-place op: new data, the op's graph node, a fresh version."""
    input._data = out._data
    input.grad_fn = out.grad_fn
    input.requires_grad = out.requires_grad
    input._version = out._version
    if input._retains_grad and input.grad_fn is not None:
        import weakref

        input.grad_fn.retained = weakref.ref(input)
