"""Helpers shared by the op modules: operand preparation (PyTorch promotion) and axis handling."""

from __future__ import annotations

from typing import Tuple

from .._backend import xp

__all__ = ["normalize_dim", "normalize_dims", "expand_reduced"]

_SCALARS = (int, float, bool)


def normalize_dim(dim: int, ndim: int) -> int:
    """Wrap a negative dim; IndexError like PyTorch when out of range."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], "
                         f"but got {dim})")
    return dim % size


def normalize_dims(dim, ndim: int):
    """``None`` -> all axes; int or sequence -> tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(normalize_dim(d, ndim) for d in dim)
    return (normalize_dim(dim, ndim),)


def expand_reduced(grad, shape, axes, keepdim: bool):
    """Broadcast the gradient of a reduction back to the input ``shape``."""
    if axes is None:
        return xp.broadcast_to(grad, shape)
    if not keepdim:
        grad = xp.expand_dims(grad, axes)
    return xp.broadcast_to(grad, shape)


def _ntuple(value, n: int, name: str = "argument") -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            return tuple(int(value[0]) for _ in range(n))
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _pair(value, name: str = "argument") -> Tuple[int, int]:
    return _ntuple(value, 2, name)


def const(like, array):
    """``array`` as a constant Tensor (no graph) of ``like``'s dtype, for Tensor-level backwards (``like`` is a
    Tensor; kernels may not import ``Tensor``, so its class is reached through the instance)."""
    return like._wrap(xp.asarray(array, dtype=like._data.dtype))


def expand_reduced_tensor(g, shape, axes, keepdim: bool):
    """The Tensor twin of ``expand_reduced``: broadcast a reduced gradient Tensor back to ``shape``."""
    if not keepdim:
        kept = tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))
        g = g.reshape(kept)
    return g.expand(*shape) if shape else g.reshape(())


def masked(g, keep):
    """The gradient ``g`` where ``keep``, else 0 (``keep`` a bool array broadcasting with ``g``), as ``g * keep``:
    NumPy's ``where`` takes ~7x as long on a random mask (MobileNetV2's ReLU6 backward: 65 ms of a 385 ms
    step). As for relu (and unlike ``where``), a non-finite gradient at a dropped position gives NaN, not 0."""
    return xp.multiply(g, keep)
