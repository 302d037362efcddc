"""Helpers shared by the model builders: the guard for models without weights, and channel rounding."""

from __future__ import annotations

from typing import Any, Optional


def check_no_weights(name: str, weights: Any = None, pretrained: Any = False) -> None:
    """Accept only ``weights=None`` / ``pretrained=False`` for models without published pretrained weights.

    Raises ``ValueError`` saying how to load a checkpoint of one's own instead.
    """
    if weights is None and pretrained is False:
        return
    given = f"weights={weights!r}" if weights is not None else f"pretrained={pretrained!r}"
    raise ValueError(
        f"{name}({given}): there are no pretrained weights for {name} (torchvision publishes none); build it "
        f"with weights=None and load a checkpoint of your own: `model = {name}(); "
        f"model.load_state_dict(tl.load(path))` (tensorlib, safetensors and PyTorch .pt files load).")


def make_divisible(v: float, divisor: int, min_value: Optional[int] = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor`` without going below 90% of ``v``
    (torchvision's ``_make_divisible``, from the original TensorFlow MobileNet code)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
