"""``tensorlib.vision``: torchvision-style ``transforms``, ``utils``, ``datasets`` and ``models``.

Sub-packages load on first access, so ``import tensorlib.vision`` stays cheap and works even before
optional parts (such as ``models``) are present.
"""

import importlib

_SUBMODULES = ("transforms", "utils", "datasets", "models", "io")

__all__ = list(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
