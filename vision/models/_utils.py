"""Helpers shared by the model builders: the ``weights``/``pretrained`` guard and channel rounding."""

from __future__ import annotations

from typing import Any, Optional


def check_no_weights(name: str, weights: Any = None, pretrained: Any = False) -> None:
    """Accept only ``weights=None`` / ``pretrained=False``: tensorlib never downloads pretrained weights.

    Raises ``ValueError`` explaining how to load weights exported from torchvision instead.
    """
    if weights is None and pretrained is False:
        return
    given = f"weights={weights!r}" if weights is not None else f"pretrained={pretrained!r}"
    raise ValueError(
        f"{name}({given}): tensorlib does not download pretrained weights; build the model with "
        f"weights=None and load converted weights yourself. In PyTorch run "
        f"`safetensors.torch.save_file(torchvision.models.{name}(weights='DEFAULT').state_dict(), "
        f"'{name}.safetensors')`, then here `model = {name}(); "
        f"model.load_state_dict(tl.load('{name}.safetensors'))` (the state_dict keys and shapes match "
        f"torchvision's).")


def make_divisible(v: float, divisor: int, min_value: Optional[int] = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor`` without going below 90% of ``v``
    (torchvision's ``_make_divisible``, from the original TensorFlow MobileNet code)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
