"""``Transform``: the v2 base class, applying an image transform to the images of a whole sample."""

from __future__ import annotations

from typing import Any, Dict, List

from ._sample import flatten, image_positions


class Transform:
    """Base of the v2 transforms: ``t(image)``, ``t(image, target)`` or ``t({"image": ..., ...})``.

    Subclasses implement ``transform(inpt, params)`` for one image and may override ``make_params(flat_inputs)``
    (parameters shared by all images of the sample), as in torchvision; ``__call__`` finds the images in the
    sample (see ``_sample.image_positions``) and passes everything else (labels, plain values) through unchanged.
    """

    _arrays_are_images = False

    def __call__(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        positions = image_positions(leaves, self._arrays_are_images)
        if not positions:
            return sample
        params = self.make_params([leaves[position] for position in positions])
        for position in positions:
            leaves[position] = self.transform(leaves[position], params)
        return rebuild(leaves)

    def make_params(self, flat_inputs: List[Any]) -> Dict[str, Any]:
        return {}

    def transform(self, inpt: Any, params: Dict[str, Any]) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        extra = self.extra_repr()
        return f"{type(self).__name__}({extra})"

    def extra_repr(self) -> str:
        return ""


def v2_of(v1_class: type) -> type:
    """The v2 twin of a v1 image transform class: same arguments and behaviour per image, v2 sample handling."""

    def transform(self, inpt: Any, params: Dict[str, Any]) -> Any:
        return v1_class.__call__(self, inpt)  # v1 draws its random parameters per image

    return type(v1_class.__name__, (Transform, v1_class),
                {"transform": transform, "__repr__": v1_class.__repr__, "__doc__": v1_class.__doc__,
                 "__module__": "tensorlib.vision.transforms.v2", "__qualname__": v1_class.__name__})
