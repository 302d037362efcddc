"""Per-batch seeding of the three global RNGs (tensorlib's, Python's ``random``, NumPy's legacy one).

The DataLoader draws one ``base_seed`` per epoch from its generator (or the global one). Before loading
batch ``k`` - in the main process or in whichever worker gets it - the three RNGs are seeded from
``(base_seed, k)`` through a NumPy ``SeedSequence``. Random transforms therefore give the same batches
for any ``num_workers``, differ between batches and between epochs, and repeat under ``tl.manual_seed``.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np

import tensorlib as tl

_MASK32 = 0xFFFFFFFF


def _words(value: int) -> list:
    value %= 2**64
    return [value & _MASK32, value >> 32]


def draw_base_seed(generator) -> int:
    """One int64 draw in ``[0, 2**63)`` from ``generator`` (the global generator when None)."""
    if generator is None:
        generator = tl.random.default_generator
    return int(generator.np_rng.integers(0, 2**63 - 1))


def batch_seed(base_seed: int, batch_index: int) -> int:
    """A 63-bit seed for batch ``batch_index`` of the epoch whose base seed is ``base_seed``."""
    state = np.random.SeedSequence(_words(base_seed) + _words(batch_index)).generate_state(2, np.uint64)
    return int(state[0]) >> 1


def seed_all(seed: int) -> None:
    """Seed tensorlib's global generator, Python's ``random`` and NumPy's global RNG from ``seed``."""
    seed %= 2**64
    tl.manual_seed(seed)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence(_words(seed)).generate_state(4))


@contextmanager
def seeded_rngs(seed: int) -> Iterator[None]:
    """Run the body with the three global RNGs seeded from ``seed``, then restore their previous states.

    Used for in-process loading (``num_workers=0``) so the dataset's randomness matches the workers' and
    the training loop's own RNG stream is not disturbed by data loading.
    """
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    # swap tensorlib's stream object aside instead of serialising its state (cheaper per batch)
    generator = tl.random.default_generator
    tensorlib_stream = (generator.np_rng, generator.initial_seed())
    seed_all(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        generator.np_rng, generator._initial_seed = tensorlib_stream
