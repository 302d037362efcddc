"""torchvision's dataset ``repr``: header, indented body, then ``StandardTransform`` and the transforms."""

from __future__ import annotations

from typing import Any, Callable, Optional


def dataset_repr(dataset: Any, root: Optional[str], extra: str = "", transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None) -> str:
    """``Dataset <Name>\\n    Number of datapoints: N\\n    Root location: ...`` as torchvision's VisionDataset."""
    body = [f"Number of datapoints: {len(dataset)}"]
    if root is not None:
        body.append(f"Root location: {root}")
    body += extra.splitlines()
    if transform is not None or target_transform is not None:
        body.append(_standard_transform_repr(transform, target_transform))
    return "\n".join([f"Dataset {type(dataset).__name__}"] + [f"    {line}" for line in body])


def _standard_transform_repr(transform: Optional[Callable], target_transform: Optional[Callable]) -> str:
    # torchvision's StandardTransform.__repr__; only its first line gets the body's indent
    lines = ["StandardTransform"]
    for head, value in (("Transform: ", transform), ("Target transform: ", target_transform)):
        if value is not None:
            first, *rest = repr(value).splitlines()
            lines += [head + first] + [" " * len(head) + line for line in rest]
    return "\n".join(lines)
