"""Per-batch seeding of the three global RNGs (tensorlib's, Python's ``random``, NumPy's legacy one).

The DataLoader draws one ``base_seed`` per epoch from its generator (or the global one). Before loading
batch ``k`` - in the main process or in whichever worker gets it - the three RNGs are seeded from
``(base_seed, k)`` (SplitMix64 mixing). Random transforms therefore give the same batches
for any ``num_workers``, differ between batches and between epochs, and repeat under ``tl.manual_seed``.

In the main process (``num_workers=0``) the training loop's own streams are put back after each batch. This
runs once per batch, so it avoids serialising states (``np.random.get_state`` alone costs ~25 us): tensorlib's
stream object and NumPy's bit generator are swapped aside and back; only Python's ``random`` is saved and
restored through its state.
"""

from __future__ import annotations

import random

import numpy as np

import tensorlib as tl

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: SplitMix64's stream increment


def _words(value: int) -> list:
    value %= 2**64
    return [value & _MASK32, value >> 32]


def draw_base_seed(generator) -> int:
    """One int64 draw in ``[0, 2**63)`` from ``generator`` (the global generator when None)."""
    if generator is None:
        generator = tl.random.default_generator
    return int(generator.np_rng.integers(0, 2**63 - 1))


def _mix64(value: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scatters nearby inputs far apart."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def batch_seeds(base_seed: int, batch_index: int) -> tuple:
    """``(seed, numpy_key)`` for batch ``batch_index`` of the epoch whose base seed is ``base_seed``: a 63-bit
    seed for tensorlib's and Python's RNGs and four 32-bit words that seed NumPy's legacy RNG.

    SplitMix64 in plain integers (~1.5 us, a fifth of a ``SeedSequence``; this runs for every batch).
    """
    state = (_mix64(base_seed & _MASK64) + _mix64(batch_index * _GOLDEN & _MASK64)) & _MASK64
    seed = _mix64((state + _GOLDEN) & _MASK64) >> 1
    low, high = _mix64((state + 2 * _GOLDEN) & _MASK64), _mix64((state + 3 * _GOLDEN) & _MASK64)
    return seed, [low & _MASK32, low >> 32, high & _MASK32, high >> 32]


def seed_all(seed: int, numpy_key=None) -> None:
    """Seed tensorlib's global generator, Python's ``random`` and NumPy's global RNG from ``seed`` (NumPy's
    from ``numpy_key`` when given, else from words derived from ``seed``)."""
    seed %= 2**64
    tl.manual_seed(seed)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence(_words(seed)).generate_state(4) if numpy_key is None else numpy_key)


# NumPy's global functions are bound to one RandomState; handing it another bit generator is a cheap swap
_LEGACY = getattr(np.random.mtrand, "_rand", None)
_CAN_SWAP_NUMPY = _LEGACY is not None and hasattr(np.random.MT19937, "_legacy_seeding")


class BatchRngs:
    """Seeds the global RNGs for one batch loaded in the main process, then gives the training loop its streams
    back: ``enter(base_seed, k)`` before the batch, ``exit()`` after it (also when it raises).

    NumPy's legacy global RNG keeps its stream across batches, except that a pending second value of a
    Box-Muller pair (from an odd number of ``np.random.randn`` draws) is discarded.
    """

    def __init__(self) -> None:
        self._generator = tl.random.default_generator
        self._numpy_batch = np.random.MT19937() if _CAN_SWAP_NUMPY else None
        self._saved = None

    def enter(self, base_seed: int, batch_index: int) -> None:
        seed, numpy_key = batch_seeds(base_seed, batch_index)
        generator = self._generator
        if _CAN_SWAP_NUMPY:
            numpy_stream = _LEGACY._bit_generator
            self._numpy_batch._legacy_seeding(numpy_key)  # what np.random.seed(numpy_key) does, on the spare
            _LEGACY.__init__(self._numpy_batch)
        else:
            numpy_stream = np.random.get_state()
            np.random.seed(numpy_key)
        self._saved = (generator._np_rng, generator._initial_seed, random.getstate(), numpy_stream)
        generator.manual_seed(seed)
        random.seed(seed)

    def exit(self) -> None:
        generator = self._generator
        generator._np_rng, generator._initial_seed, python_state, numpy_stream = self._saved
        self._saved = None
        random.setstate(python_state)
        if _CAN_SWAP_NUMPY:
            _LEGACY.__init__(numpy_stream)
        else:
            np.random.set_state(numpy_stream)
