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
from .tensor import Tensor


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


default_generator = Generator()


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


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    if len(size) == 1 and hasattr(size[0], "__iter__"):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype().np
    if np_dtype.kind != "f":
        raise TypeError(f"expected a floating-point dtype, got {dtype}")
    return np_dtype


def _finish(data, requires_grad: bool):
    out = Tensor._wrap(data)
    if requires_grad:
        out._make_leaf_requiring_grad()
    return out


def rand(*size, generator: Optional[Generator] = None, dtype=None, device=None, requires_grad: bool = False):
    """Uniform samples on [0, 1) of the given shape."""
    np_dtype = _float_dtype(dtype)
    data = np_rng(generator).random(_size(size), dtype=xp.float64 if np_dtype == xp.float16 else np_dtype)
    return _finish(data.astype(np_dtype, copy=False), requires_grad)


def randn(*size, generator: Optional[Generator] = None, dtype=None, device=None, requires_grad: bool = False):
    """Standard normal samples of the given shape."""
    np_dtype = _float_dtype(dtype)
    work = xp.float64 if np_dtype == xp.float16 else np_dtype
    data = np_rng(generator).standard_normal(_size(size), dtype=work)
    return _finish(data.astype(np_dtype, copy=False), requires_grad)


def randint(low, high=None, size=None, *, generator: Optional[Generator] = None, dtype=None, device=None,
            requires_grad: bool = False):
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size' (a tuple)")
        low, high, size = 0, low, high
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else xp.int64
    if int(high) <= int(low):
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    data = np_rng(generator).integers(int(low), int(high), size=tuple(size), dtype=xp.int64)
    return _finish(data.astype(np_dtype, copy=False), requires_grad)


def randperm(n: int, *, generator: Optional[Generator] = None, dtype=None, device=None,
             requires_grad: bool = False):
    """A random permutation of ``0..n-1``."""
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else xp.int64
    return _finish(np_rng(generator).permutation(int(n)).astype(np_dtype, copy=False), requires_grad)


def rand_like(input, *, dtype=None, generator: Optional[Generator] = None, requires_grad: bool = False, **_):
    return rand(input.shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator: Optional[Generator] = None, requires_grad: bool = False, **_):
    return randn(input.shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, generator: Optional[Generator] = None, **_):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, generator=generator)


def normal(mean, std, size=None, *, generator: Optional[Generator] = None, dtype=None):
    """Normal samples with scalar ``mean``/``std`` and the given ``size``, or elementwise tensor mean/std."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        mean_a = mean._data if isinstance(mean, Tensor) else mean
        std_a = std._data if isinstance(std, Tensor) else std
        shape = xp.broadcast_shapes(xp.shape(mean_a), xp.shape(std_a))
        ref = mean_a if isinstance(mean, Tensor) else std_a
        data = np_rng(generator).standard_normal(shape).astype(ref.dtype) * std_a + mean_a
        return Tensor._wrap(xp.asarray(data, dtype=ref.dtype))
    np_dtype = _float_dtype(dtype)
    data = np_rng(generator).normal(mean, std, size=tuple(size)).astype(np_dtype)
    return Tensor._wrap(data)


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
