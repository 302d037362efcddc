"""The framework RNG: ``Generator`` (a seeded NumPy PCG64 stream), the global default, and random creation.

Every random draw in tensorlib (rand, dropout masks, init, shuffling, augmentation) goes through a Generator,
never through NumPy's or Python's global RNGs, so ``manual_seed`` reproduces runs bit for bit.
"""

from __future__ import annotations

import json
import os
from typing import Optional

from . import dtypes as _dtypes
from ._backend import xp
from .creation import shape_argument
from .tensor import Tensor, _check_device


class Generator:
    """A random stream, like ``torch.Generator``. ``np_rng`` is the NumPy generator behind it."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(67280421310721)  # PyTorch's default seed

    @property
    def np_rng(self):
        # built on first draw: seeding is then nearly free, which matters to the DataLoader's per-batch seeding
        if self._np_rng is None:
            self._np_rng = xp.random.Generator(xp.random.PCG64(self._initial_seed))
        return self._np_rng

    @np_rng.setter
    def np_rng(self, value) -> None:
        self._np_rng = value

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if seed < 0:
            seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._initial_seed = seed
        self._np_rng = None
        return self

    def seed(self) -> int:
        """Seed from OS entropy and return the seed used."""
        seed = int.from_bytes(os.urandom(8), "little") & 0x7FFF_FFFF_FFFF_FFFF
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self):
        """The state as a uint8 tensor (JSON bytes), so it can be saved with ``tensorlib.save``."""
        payload = {"initial_seed": self._initial_seed, "bit_generator": self.np_rng.bit_generator.state}
        raw = json.dumps(payload).encode()
        return Tensor._wrap(xp.frombuffer(raw, dtype=xp.uint8).copy())

    def set_state(self, state) -> Generator:
        data = state.numpy() if hasattr(state, "numpy") else xp.asarray(state)
        try:
            payload = json.loads(bytes(data.astype(xp.uint8).tobytes()).decode())
            bit_state = payload["bit_generator"]
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            raise RuntimeError("invalid RNG state: expected a tensor returned by get_state()") from exc
        self._initial_seed = payload.get("initial_seed", self._initial_seed)
        bit_generator = xp.random.PCG64()
        bit_generator.state = bit_state
        self.np_rng = xp.random.Generator(bit_generator)
        return self

    def __repr__(self) -> str:
        return "<tensorlib.Generator object>"


# As in PyTorch: a new Generator starts from the fixed default seed, the process-wide one from a fresh seed
# (``initial_seed()`` reports it); ``manual_seed`` makes a run reproducible.
default_generator = Generator()
default_generator.seed()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def np_rng(generator: Optional[Generator] = None):
    """The NumPy generator to draw from: the given tensorlib Generator's, or the global one's."""
    return (generator or default_generator).np_rng


def _float_dtype(dtype, kernel: str):
    """The NumPy float dtype to sample in; integer dtypes raise as PyTorch's kernels do."""
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype().np
    if np_dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtypes.scalar_type_name(np_dtype)}\'')
    return np_dtype


def _finish(data, requires_grad: bool, device=None):
    _check_device(device)
    out = Tensor._wrap(data)
    if requires_grad:
        out._make_leaf_requiring_grad()
    return out


def rand(*args, size=None, generator: Optional[Generator] = None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform samples on [0, 1): ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``."""
    shape = shape_argument(args, size, "rand")
    np_dtype = _float_dtype(dtype, "check_uniform_bounds")
    data = np_rng(generator).random(shape, dtype=xp.float64 if np_dtype == xp.float16 else np_dtype)
    return _finish(data.astype(np_dtype, copy=False), requires_grad, device)


def randn(*args, size=None, generator: Optional[Generator] = None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal samples: ``randn(2, 3)``, ``randn((2, 3))`` or ``randn(size=(2, 3))``."""
    shape = shape_argument(args, size, "randn")
    np_dtype = _float_dtype(dtype, "normal_kernel_cpu")
    work = xp.float64 if np_dtype == xp.float16 else np_dtype
    data = np_rng(generator).standard_normal(shape, dtype=work)
    return _finish(data.astype(np_dtype, copy=False), requires_grad, device)


def _randint_bounds(args: tuple, low, high, size):
    """(low, high, size) from PyTorch's forms: ``(high, size)``, ``(low, high, size)``, each also by keyword."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if len(args) == 2 and low is None and high is None:
        low, high = args
    elif len(args) == 1 and high is None:
        high = args[0]
    elif len(args) == 1 and low is None:
        low = args[0]
    elif args:
        raise TypeError("randint() received an invalid combination of arguments: expected (high, size) or "
                        "(low, high, size), each optionally by keyword")
    if high is None or size is None:
        missing = [name for name, value in (("high", high), ("size", size)) if value is None]
        raise TypeError(f"randint() missing {len(missing)} required positional argument: "
                        + ", ".join(f'"{name}"' for name in missing))
    return (0 if low is None else low), high, size


def randint(*args, low=None, high=None, size=None, generator: Optional[Generator] = None, dtype=None,
            layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)``, ``randint(low, high, size)``, or by keyword
    (``randint(10, size=(3,))``, ``randint(low=0, high=5, size=(2,))``); int64 unless ``dtype`` says otherwise."""
    low, high, size = _randint_bounds(args, low, high, size)
    shape = shape_argument((), size, "randint")
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else xp.dtype(xp.int64)
    return _finish(_integers(generator, low, high, shape, np_dtype), requires_grad, device)


def _integers(generator, low, high, shape, np_dtype):
    low, high = int(low), int(high)
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return np_rng(generator).integers(low, high, size=shape, dtype=xp.int64).astype(np_dtype, copy=False)


def randperm(n: int, *, generator: Optional[Generator] = None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of ``0..n-1``."""
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else xp.int64
    return _finish(np_rng(generator).permutation(int(n)).astype(np_dtype, copy=False), requires_grad, device)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False, memory_format=None,
              generator: Optional[Generator] = None) -> Tensor:
    """``rand`` of ``input``'s shape and dtype (a float dtype; integer tensors raise as in PyTorch)."""
    return rand(input.shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad,
                device=device)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False, memory_format=None,
               generator: Optional[Generator] = None) -> Tensor:
    """``randn`` of ``input``'s shape and dtype (a float dtype; integer tensors raise as in PyTorch)."""
    return randn(input.shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad,
                 device=device)


def randint_like(input, low=None, high=None, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                 memory_format=None, generator: Optional[Generator] = None) -> Tensor:
    """``randint`` of ``input``'s shape and dtype: ``randint_like(x, high)``, ``randint_like(x, low, high)``."""
    if high is None:
        if low is None:
            raise TypeError('randint_like() missing 1 required positional argument: "high"')
        low, high = 0, low
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else input._data.dtype
    return _finish(_integers(generator, 0 if low is None else low, high, tuple(input.shape), np_dtype),
                   requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator: Optional[Generator] = None, dtype=None, layout=None,
           device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Normal samples: elementwise for tensor ``mean``/``std`` (``normal(mean, std=1.0)``), or of the given
    ``size`` for float ``mean``/``std`` (``normal(0.0, 1.0, size=(2,))``)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        mean_a = mean._data if isinstance(mean, Tensor) else mean
        std_a = std._data if isinstance(std, Tensor) else std
        shape = xp.broadcast_shapes(xp.shape(mean_a), xp.shape(std_a))
        ref = mean_a if isinstance(mean, Tensor) else std_a
        data = np_rng(generator).standard_normal(shape).astype(ref.dtype) * std_a + mean_a
        return _finish(xp.asarray(data, dtype=ref.dtype), requires_grad, device)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments: float mean and std need size=")
    np_dtype = _float_dtype(dtype, "normal_kernel_cpu")
    data = np_rng(generator).normal(mean, std, size=shape_argument((), size, "normal")).astype(np_dtype)
    return _finish(data, requires_grad, device)


def bernoulli(input, p=None, *, generator: Optional[Generator] = None):
    """0/1 samples with probabilities ``input`` (or the scalar ``p``), in ``input``'s dtype."""
    probs = input._data if p is None else p
    draws = np_rng(generator).random(input.shape, dtype=xp.float32)
    return Tensor._wrap((draws < probs).astype(input._data.dtype))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator: Optional[Generator] = None):
    """Sample category indices from (unnormalised) weights; 1-D or 2-D input, like ``torch.multinomial``."""
    weights = xp.asarray(input._data, dtype=xp.float64)
    rows = weights[None] if weights.ndim == 1 else weights
    if (rows < 0).any() or not xp.isfinite(rows).all():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0")
    sums = rows.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise RuntimeError("multinomial: invalid distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = np_rng(generator)
    if replacement:
        cdf = xp.cumsum(rows / sums, axis=1)
        u = rng.random((rows.shape[0], num_samples))
        out = (u[:, :, None] > cdf[:, None, :]).sum(axis=2)
        out = xp.minimum(out, rows.shape[1] - 1)
    else:
        # Gumbel-top-k: sampling without replacement proportional to the weights, vectorised over rows
        keys = xp.log(rng.random(rows.shape)) / xp.where(rows > 0, rows, 1e-300)
        keys = xp.where(rows > 0, keys, -xp.inf)
        out = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(xp.int64)
    return Tensor._wrap(out[0] if weights.ndim == 1 else out)
