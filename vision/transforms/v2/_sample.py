"""How a v2 transform finds the images in a sample: flatten tuples/lists/dicts, pick the image leaves."""

from __future__ import annotations

from typing import Any, Callable, List, Tuple

import numpy as np
from PIL import Image

import tensorlib as tl


def flatten(sample: Any) -> Tuple[List[Any], Callable[[List[Any]], Any]]:
    """The leaves of nested tuples/lists/dicts in ``sample`` and a function rebuilding it from new leaves."""
    if isinstance(sample, (tuple, list)):
        parts = [flatten(item) for item in sample]
        kind = type(sample)

        def rebuild_sequence(leaves: List[Any]) -> Any:
            out, start = [], 0
            for part_leaves, part_rebuild in parts:
                out.append(part_rebuild(leaves[start:start + len(part_leaves)]))
                start += len(part_leaves)
            return kind(out) if kind in (tuple, list) else kind(*out)

        return [leaf for part_leaves, _ in parts for leaf in part_leaves], rebuild_sequence
    if isinstance(sample, dict):
        keys = list(sample)
        leaves, rebuild_values = flatten([sample[key] for key in keys])
        return leaves, lambda new: dict(zip(keys, rebuild_values(new)))
    return [sample], lambda new: new[0]


def image_positions(leaves: List[Any], arrays_are_images: bool = False) -> List[int]:
    """Indices of the leaves a v2 image transform changes, by torchvision's rule.

    Every PIL image is transformed; a plain tensor only when the sample holds no PIL image, and then only the
    first one (so ``(image, label_tensor)`` transforms the image alone). NumPy arrays are images only for
    ``ToImage`` (``arrays_are_images``).
    """
    kinds = (Image.Image, np.ndarray) if arrays_are_images else (Image.Image,)
    chosen = [i for i, leaf in enumerate(leaves) if isinstance(leaf, kinds)]
    if not chosen:
        chosen = [i for i, leaf in enumerate(leaves) if isinstance(leaf, tl.Tensor)][:1]
    return chosen
