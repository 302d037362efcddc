"""The gaps real PyTorch programs hit, each checked against PyTorch when it is installed: keyword forms of the
creation and random functions, result types named like PyTorch's, ``view`` of non-contiguous layouts, error
types, fresh seeds, and the small top-level names (constants, finfo/iinfo, devices, determinism, anomaly mode)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import tensorlib as tl

# Each call is written once as text with ``T`` the module (tensorlib or torch) and ``x``/``xi`` a float/int tensor;
# both libraries must give the same shape and dtype, or the same error type.
KEYWORD_CALLS = [
    "T.zeros(size=(2, 3))", "T.zeros((2, 3))", "T.zeros(2, 3)", "T.zeros([2])", "T.ones(size=[2])",
    "T.empty(size=(2,))", "T.empty(2, 3, pin_memory=False)", "T.zeros(2, size=(2,))", "T.zeros()",
    "T.full(size=(2,), fill_value=3.0)", "T.full((2,), 3)", "T.full((2,), True)", "T.full((2,), 1.5, dtype=T.int64)",
    "T.arange(end=5)", "T.arange(start=1, end=5)", "T.arange(start=0, end=5, step=1)", "T.arange(0, 5, 1)",
    "T.arange(5.0)", "T.arange(0, 1, 0.25)", "T.arange(5, step=2)",
    "T.linspace(start=0, end=1, steps=5)", "T.logspace(start=0, end=1, steps=5, base=2)", "T.eye(n=3, m=2)",
    "T.eye(3, dtype=T.int64)", "T.tensor(data=[1, 2])", "T.as_tensor(data=[1])",
    "T.tril_indices(row=3, col=3, offset=0)", "T.triu_indices(3, 3, 1)",
    "T.zeros_like(input=x)", "T.ones_like(x, dtype=T.int64)", "T.empty_like(x)", "T.full_like(x, fill_value=2)",
    "T.rand(size=(2,))", "T.randn(size=(2,))", "T.rand(2, 3, generator=None)", "T.rand(())", "T.randn(2, 3)",
    "T.rand(2, dtype=T.float64)", "T.rand(2, dtype=T.int64)", "T.randn(2, dtype=T.int64)",
    "T.randint(10, size=(3,))", "T.randint(high=5, size=(1,))", "T.randint(low=0, high=5, size=(2,))",
    "T.randint(3, high=5, size=(2,))", "T.randint(0, 10, size=(3,))", "T.randint(10, (3,))",
    "T.randint(0, 10, (3, 2))", "T.randint(5, size=(2,), dtype=T.float32)", "T.randint(size=(2,), high=3)",
    "T.randint(low=2, size=(2,))", "T.randint(5, 5, (2,))",
    "T.randperm(n=5)", "T.randperm(4, dtype=T.float32)",
    "T.normal(mean=0.0, std=1.0, size=(2,))", "T.normal(2.0, 3.0, (2,))", "T.normal(T.zeros(3))",
    "T.normal(mean=T.zeros(3), std=2.0)", "T.normal(0.0, T.ones(3))", "T.normal(0.0, 1.0, size=(2,), dtype=T.float64)",
    "T.normal(0.0, 1.0)",
    "T.rand_like(input=x)", "T.randn_like(x, dtype=T.float64)", "T.rand_like(xi)", "T.randn_like(xi)",
    "T.randint_like(x, 5)", "T.randint_like(x, high=5)", "T.randint_like(x, low=1, high=5)", "T.randint_like(x, 1, 5)",
    "T.randint_like(xi, 5)",
    "T.bernoulli(x, p=0.5)", "T.bernoulli(input=x)", "T.multinomial(input=T.ones(3), num_samples=2)",
]


def _outcome(module, call: str):
    env = {"T": module, "x": module.zeros(2, 3), "xi": module.zeros(2, 3, dtype=module.int64)}
    try:
        result = eval(call, env)  # the table's calls are literal text written above
    except Exception as exc:  # noqa: BLE001  (the error type is the result being compared)
        return type(exc).__mro__[0:3]
    return tuple(result.shape), str(result.dtype).split(".")[-1]


@pytest.mark.parametrize("call", KEYWORD_CALLS)
def test_creation_and_random_keyword_forms_match_pytorch(call):
    torch = pytest.importorskip("torch")
    ours, theirs = _outcome(tl, call), _outcome(torch, call)
    if isinstance(theirs[0], type):  # an error: ours is of the same type (or a subclass of it)
        assert isinstance(ours[0], type) and issubclass(ours[0], theirs[0]), (ours, theirs)
    else:
        assert ours == theirs


def test_randint_keyword_forms_draw_the_same_values():
    forms = [lambda: tl.randint(0, 10, (6,)), lambda: tl.randint(10, size=(6,)), lambda: tl.randint(high=10, size=(6,)),
             lambda: tl.randint(low=0, high=10, size=(6,)), lambda: tl.randint(0, high=10, size=[6])]
    draws = []
    for form in forms:
        tl.manual_seed(3)
        draws.append(form().tolist())
    assert all(d == draws[0] for d in draws) and all(0 <= v < 10 for v in draws[0])


def test_random_draws_respect_bounds_and_shape_keywords():
    tl.manual_seed(0)
    values = tl.randint(low=3, high=5, size=(1000,))
    assert set(values.tolist()) == {3, 4}
    assert tl.randint_like(tl.zeros(500), low=-2, high=0).unique().tolist() == [-2.0, -1.0]
    assert tl.normal(mean=tl.full((2000,), 5.0), std=0.5).mean().item() == pytest.approx(5.0, abs=0.1)
    assert tl.rand(size=(2, 3), requires_grad=True).requires_grad
    with pytest.raises(NotImplementedError, match="Long"):
        tl.rand_like(tl.zeros(2, dtype=tl.int64))
