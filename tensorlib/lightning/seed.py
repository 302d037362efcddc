"""``seed_everything``: one call that makes a run repeat (Lightning's ``lightning.seed_everything``)."""

from __future__ import annotations

import logging
import os
import random

import numpy as np

import tensorlib as tl

_MAX_SEED = 2**32 - 1
log = logging.getLogger("tensorlib.lightning")


def seed_everything(seed: int | None = None, workers: bool = False, verbose: bool = True) -> int:
    """Seed tensorlib's global generator, NumPy's global RNG and Python's ``random`` from ``seed``; return it.

    ``seed=None`` reads ``PL_GLOBAL_SEED`` (else 0, as Lightning). The seed is exported as ``PL_GLOBAL_SEED``
    and ``workers`` as ``PL_SEED_WORKERS`` so child processes can see them.

    ``workers=True`` is what tensorlib's DataLoader always does, so it changes no stream: every epoch draws a
    fresh ``base_seed`` from the (now seeded) generator, and the RNGs are reseeded from ``(base_seed, batch)``
    before each batch is loaded, in whichever worker loads it. Augmentations therefore differ between workers,
    batches **and epochs** (Lightning's ``pl_worker_init_function`` repeats them across epochs when
    ``persistent_workers`` is off, Lightning issue #20412) and repeat exactly for the same seed.
    """
    if seed is None:
        env = os.environ.get("PL_GLOBAL_SEED")
        try:
            seed = 0 if env is None else int(env)
        except ValueError:
            raise ValueError(f"PL_GLOBAL_SEED={env!r} is not an integer") from None
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed_everything: seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed_everything: seed {seed} is out of bounds, it must be between 0 and {_MAX_SEED}")
    if verbose:
        log.info(f"Seed set to {seed}")
    os.environ["PL_GLOBAL_SEED"] = str(seed)
    os.environ["PL_SEED_WORKERS"] = str(int(workers))
    random.seed(seed)
    np.random.seed(seed)
    tl.manual_seed(seed)
    return seed
