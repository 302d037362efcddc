"""Property tests: broadcasting binary ops have correct gradients for any mutually broadcastable shapes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensorlib as tl
from tensorlib.autograd import gradcheck

OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
       "div": lambda a, b: a / b, "maximum": tl.maximum, "where": lambda a, b: tl.where(a > b, a, b * 2)}


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       op=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**16))
def test_broadcast_binary_gradients(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = rng.uniform(0.5, 2.0, a_shape) * rng.choice([-1, 1], a_shape)
    b = rng.uniform(0.5, 2.0, b_shape) * rng.choice([-1, 1], b_shape) + 0.01  # keep maximum off ties
    ta = tl.tensor(a, dtype=tl.float64, requires_grad=True)
    tb = tl.tensor(b, dtype=tl.float64, requires_grad=True)
    out = OPS[op](ta, tb)
    assert out.shape == shapes.result_shape
    assert gradcheck(OPS[op], (ta, tb))


@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_reductions_over_any_dim_match_numpy(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    x = np.random.default_rng(0).standard_normal(shape)
    t = tl.tensor(x, dtype=tl.float64)
    np.testing.assert_allclose(t.sum(dim, keepdim).numpy(), x.sum(dim, keepdims=keepdim))
    np.testing.assert_allclose(t.mean(dim, keepdim).numpy(), x.mean(dim, keepdims=keepdim))
    np.testing.assert_allclose(t.amax(dim, keepdim).numpy(), x.max(dim, keepdims=keepdim))
    np.testing.assert_allclose(t.softmax(dim).numpy().sum(dim), np.ones(np.delete(shape, dim % len(shape))))
