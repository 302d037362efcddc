"""The module rewrite table: PyTorch-ecosystem package -> tensorlib package."""

from __future__ import annotations

# Longest prefix first, so ``lightning.pytorch`` wins over ``lightning``.
MODULE_TABLE: tuple[tuple[str, str], ...] = (
    ("lightning.pytorch", "tensorlib.lightning"),
    ("pytorch_lightning", "tensorlib.lightning"),
    ("lightning", "tensorlib.lightning"),
    ("torchvision", "tensorlib.vision"),
    ("torchtext", "tensorlib.text"),
    ("torchmetrics", "tensorlib.metrics"),
    ("torch", "tensorlib"),
)


def map_module(name: str) -> str | None:
    """The tensorlib twin of dotted module path ``name`` (``torch.nn`` -> ``tensorlib.nn``), or None.

    Only whole components match: ``torchaudio`` is not ``torch``.
    """
    for source, target in MODULE_TABLE:
        if name == source or name.startswith(source + "."):
            return target + name[len(source):]
    return None


def is_unmapped_torch_package(name: str) -> bool:
    """True for a PyTorch-ecosystem package with no tensorlib twin (``torchaudio``, ``torch_geometric``, ...)."""
    top = name.split(".")[0]
    return map_module(top) is None and top.startswith("torch")
