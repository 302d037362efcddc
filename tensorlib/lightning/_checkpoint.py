"""Full training checkpoints in tensorlib's pickle-free format, and the RNG states that make resume exact."""

from __future__ import annotations

import glob
import os
import random
from typing import Any

import numpy as np

import tensorlib as tl

LIGHTNING_COMPAT_VERSION = "2.4.0"  # the Lightning release whose checkpoint keys and semantics these follow


# ------------------------------------------------------------------------------------------ RNG states
def capture_rng(generators: list) -> dict:
    """The states of tensorlib's global generator, NumPy's and Python's global RNGs and ``generators``."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {"tensorlib": tl.random.default_generator.get_state(),
            "numpy": [kind, keys.astype(np.int64), int(pos), int(has_gauss), float(cached)],
            "python": [version, list(internal), gauss_next],
            "generators": [generator.get_state() for generator in generators]}


def restore_rng(states: dict, generators: list) -> None:
    """Put back what :func:`capture_rng` recorded (``generators`` in the same order)."""
    tl.random.default_generator.set_state(states["tensorlib"])
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    version, internal, gauss_next = states["python"]
    random.setstate((version, tuple(internal), gauss_next))
    saved = states.get("generators", [])
    if len(saved) != len(generators):
        raise RuntimeError(f"the checkpoint holds {len(saved)} DataLoader generator state(s) but the train "
                           f"DataLoader now has {len(generators)}: resume with the same DataLoader set-up")
    for generator, state in zip(generators, saved):
        generator.set_state(state)


# ------------------------------------------------------------------------------------------ files
def find_last_checkpoint(trainer: Any) -> str:
    """The ``last`` checkpoint for ``fit(ckpt_path="last")``; ``FileNotFoundError`` lists where it looked."""
    from .callbacks import ModelCheckpoint
    from .callbacks.model_checkpoint import resolve_checkpoint_dir

    folders = []
    for callback in trainer.callbacks:
        if isinstance(callback, ModelCheckpoint):
            folders.append(callback.dirpath or resolve_checkpoint_dir(trainer))
    folders.append(resolve_checkpoint_dir(trainer))
    for logger in trainer.loggers:  # a new logger version each run: also look in the earlier versions
        root = getattr(logger, "root_dir", None)
        if root:
            folders.extend(sorted(glob.glob(os.path.join(root, "*", "checkpoints")), key=os.path.getmtime,
                                  reverse=True))
    folders = list(dict.fromkeys(os.path.abspath(folder) for folder in folders))
    candidates = [path for folder in folders for path in glob.glob(os.path.join(folder, "last*.ckpt"))]
    if not candidates:
        raise FileNotFoundError('fit(ckpt_path="last"): no last*.ckpt found; looked in ' + ", ".join(folders)
                                + ' (save one with ModelCheckpoint(save_last=True))')
    return max(candidates, key=os.path.getmtime)


def read_checkpoint(path: Any) -> dict:
    """A checkpoint dict from ``path``; clear errors for a missing file or a file that is not a checkpoint."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Checkpoint file not found: {path}")
    checkpoint = tl.load(path)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        keys = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise KeyError(f"{path} is not a tensorlib.lightning checkpoint: it has no 'state_dict' (found {keys})")
    return checkpoint


def class_path(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def load_weights(module: Any, checkpoint: dict, path: Any, strict: bool = True) -> None:
    """``module.load_state_dict`` with an error naming the file, both classes and the mismatched keys."""
    try:
        module.load_state_dict(checkpoint["state_dict"], strict=strict)
    except RuntimeError as exc:
        saved_from = checkpoint.get("model_class", "an unknown class")
        raise RuntimeError(f"{os.fspath(path)}: the checkpoint's weights (saved from {saved_from}) do not fit "
                           f"{class_path(module)}: {exc}") from None


def load_module(cls: type, path: Any, strict: bool = True, overrides: dict | None = None) -> Any:
    """``cls.load_from_checkpoint``: build ``cls(**hparams, **overrides)`` and load the weights."""
    checkpoint = read_checkpoint(path)
    hparams = dict(checkpoint.get("hyper_parameters") or {})
    hparams.update(overrides or {})
    try:
        module = cls(**hparams)
    except TypeError as exc:
        stored = sorted(checkpoint.get("hyper_parameters") or {})
        raise TypeError(f"{cls.__name__}.load_from_checkpoint({os.fspath(path)!r}): {cls.__name__}(**hparams) "
                        f"failed ({exc}). The checkpoint stores the hyperparameters {stored}; call "
                        "self.save_hyperparameters() in __init__, or pass the missing arguments as keyword "
                        "arguments to load_from_checkpoint") from None
    if overrides and hasattr(module, "_hparams"):
        module._hparams.update({k: v for k, v in overrides.items() if k in module._hparams})
    module.on_load_checkpoint(checkpoint)
    load_weights(module, checkpoint, path, strict)
    return module
