"""Comparisons and logical ops (bool results, no gradient), nan/inf tests, isclose/allclose/equal."""

from __future__ import annotations

from .._backend import xp
from ..tensor import Tensor
from ._utils import prepare, to_tensor

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "less", "less_equal", "greater", "greater_equal", "not_equal",
           "equal", "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isposinf",
           "isneginf", "isfinite", "isclose", "allclose", "isin"]


def _raw(value):
    return value._data if isinstance(value, Tensor) else value


def _compare(np_fn, input, other):
    a, b = prepare(input, other)
    return Tensor._wrap(np_fn(_raw(a), _raw(b)))


def eq(input, other):
    return _compare(xp.equal, input, other)


def ne(input, other):
    return _compare(xp.not_equal, input, other)


def lt(input, other):
    return _compare(xp.less, input, other)


def le(input, other):
    return _compare(xp.less_equal, input, other)


def gt(input, other):
    return _compare(xp.greater, input, other)


def ge(input, other):
    return _compare(xp.greater_equal, input, other)


less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool(xp.array_equal(input._data, other._data))


def logical_and(input, other):
    return Tensor._wrap(xp.logical_and(_raw(to_tensor(input)), _raw(to_tensor(other))))


def logical_or(input, other):
    return Tensor._wrap(xp.logical_or(_raw(to_tensor(input)), _raw(to_tensor(other))))


def logical_xor(input, other):
    return Tensor._wrap(xp.logical_xor(_raw(to_tensor(input)), _raw(to_tensor(other))))


def logical_not(input):
    return Tensor._wrap(xp.logical_not(input._data))


def isnan(input):
    return Tensor._wrap(xp.isnan(input._data))


def isinf(input):
    return Tensor._wrap(xp.isinf(input._data))


def isposinf(input):
    return Tensor._wrap(xp.isposinf(input._data))


def isneginf(input):
    return Tensor._wrap(xp.isneginf(input._data))


def isfinite(input):
    return Tensor._wrap(xp.isfinite(input._data))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    a, b = prepare(input, other)
    return Tensor._wrap(xp.isclose(_raw(a), _raw(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each element of ``elements`` occurs in ``test_elements`` (either may be a scalar): a bool
    tensor of ``elements``' shape."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: at least one of elements and "
                        "test_elements must be a Tensor")
    data = _raw(elements) if isinstance(elements, Tensor) else xp.asarray(elements)
    tests = _raw(test_elements) if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._wrap(xp.isin(data, tests, assume_unique=assume_unique, invert=invert))
