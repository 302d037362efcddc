"""The autograd engine: graph shapes, accumulation, hooks, freeing, version checks, grad modes."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.autograd import gradcheck


def test_diamond_graph_sums_both_paths():
    x = tl.tensor(3.0, requires_grad=True)
    a = x * 2
    b = x * x
    (a + b).backward()
    assert x.grad.item() == pytest.approx(2 + 2 * 3)


def test_tensor_used_twice_in_one_op():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    y = tl.tensor([1.0, 2.0], requires_grad=True)
    (y + y).sum().backward()  # Add hands back the same array for both inputs: must not alias
    assert y.grad.tolist() == [2.0, 2.0]


def test_gradients_accumulate_over_backward_calls():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    held = None
    for _ in range(2):
        (x * 3).sum().backward()
        held = x.grad if held is None else held
    assert x.grad.tolist() == [6.0, 6.0]
    assert held.tolist() == [6.0, 6.0]  # accumulation is in place, as PyTorch


def test_broadcast_gradient_is_reduced():
    x = tl.ones(3, 1, requires_grad=True)
    y = tl.ones(1, 4, requires_grad=True)
    (x + y).sum().backward()
    assert x.grad.tolist() == [[4.0]] * 3
    assert y.grad.tolist() == [[3.0] * 4]
    s = tl.tensor(2.0, requires_grad=True)
    (s * tl.ones(2, 3)).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 6.0


def test_second_backward_raises_with_explanation_and_retain_graph_allows_it():
    x = tl.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 4.0
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_backward_on_non_scalar_needs_gradient():
    x = tl.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(tl.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]


def test_no_grad_builds_no_graph_and_works_as_decorator():
    x = tl.ones(2, requires_grad=True)
    with tl.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @tl.no_grad()
    def double(t):
        return t * 2

    assert double(x).grad_fn is None
    with tl.no_grad():
        with tl.enable_grad():
            assert (x * 2).requires_grad
    with tl.set_grad_enabled(False):
        assert not tl.is_grad_enabled()
    assert tl.is_grad_enabled()
    with tl.inference_mode():
        assert (x * 2).grad_fn is None


def test_hundred_thousand_op_chain_has_no_recursion_limit():
    x = tl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_buffers_are_freed_after_backward():
    x = tl.randn(100, requires_grad=True)
    y = x.exp()
    saved = weakref.ref(y.grad_fn.y)
    z = y.sum()
    del y
    gc.collect()
    assert saved() is not None  # kept while the graph may still need it
    z.backward()
    gc.collect()
    assert saved() is None


def test_retain_grad_and_hooks():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    handle = x.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert seen == [[6.0, 12.0]]
    assert x.grad.tolist() == [180.0, 360.0]
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert x.is_leaf is not False and y.grad_fn is not None and not y.is_leaf


def test_inplace_modification_of_saved_tensor_raises_naming_the_op():
    w = tl.ones(3, requires_grad=True)
    c = tl.ones(3)
    z = (c * w).sum()
    c.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*MulBackward0.*add_"):
        z.backward()


def test_inplace_on_output_saved_by_exp_raises():
    x = tl.ones(3, requires_grad=True)
    y = x.exp()
    with tl.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="ExpBackward0 needs its output"):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises_but_works_under_no_grad():
    w = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with tl.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0, 2.0]


def test_inplace_on_non_leaf_is_differentiable():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(y)
    y.sum().backward()
    assert x.grad.tolist() == [8.0, 16.0]  # d/dx (2x)^2
    z = x * 1
    z[0] = x[1] * 5
    z.sum().backward()
    assert x.grad.tolist() == [8.0, 16.0 + 1 + 5]


def test_detach_and_data():
    x = tl.ones(2, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.numpy() is x.numpy()
    assert x.data.numpy() is x.numpy() and not x.data.requires_grad


def test_autograd_grad_returns_without_accumulating():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = tl.tensor([3.0], requires_grad=True)
    out = (x * x).sum() * y
    gx, gy = tl.autograd.grad(out, [x, y])
    assert gx.tolist() == [6.0, 12.0] and gy.tolist() == [5.0]
    assert x.grad is None and y.grad is None
    unused = tl.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        tl.autograd.grad((x * 2).sum(), [unused])
    assert tl.autograd.grad((x * 2).sum(), [unused], allow_unused=True) == (None,)


def test_custom_function_with_ctx():
    class Cube(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = tl.tensor([1.0, 2.0], dtype=tl.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    assert gradcheck(Cube.apply, (x,))


def test_gradcheck_catches_a_wrong_gradient_and_requires_float64():
    class Wrong(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    x = tl.randn(3, dtype=tl.float64, requires_grad=True)
    with pytest.raises(tl.autograd.GradcheckError):
        gradcheck(Wrong.apply, (x,))
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * 2, (tl.randn(3, requires_grad=True),))


def test_gradcheck_perturbs_non_contiguous_inputs_in_place():
    # a transposed leaf: a flat reshape of its data would be a copy, and the finite differences all zero
    x = tl.tensor(np.arange(6.0).reshape(2, 3), dtype=tl.float64).t().detach().requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t * t * tl.arange(2.0, dtype=tl.float64)).sum(1), (x,))
    with pytest.raises(tl.autograd.GradcheckError):
        gradcheck(lambda t: (t * t.detach()).sum(1), (x,))  # half the true gradient: must still be caught


def test_grad_fn_names_and_repr():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert repr(y) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_requires_grad_only_for_floats():
    with pytest.raises(RuntimeError, match="floating point"):
        tl.tensor([1, 2], requires_grad=True)


def test_backward_through_integer_path_is_cut():
    x = tl.tensor([1.5, 2.5], requires_grad=True)
    idx = x.argmax()
    (x[idx] * 2).backward()
    assert np.allclose(x.grad.numpy(), [0, 2])


def test_gradcheck_refuses_outputs_disconnected_from_inputs():
    x = tl.randn(3, dtype=tl.float64, requires_grad=True)
    with pytest.raises(tl.autograd.GradcheckError, match="nothing to check"):
        gradcheck(lambda t: t.detach() * 2, (x,))


def test_leaf_gradients_never_alias_each_other():
    a = tl.ones(3, requires_grad=True)
    b = tl.ones(3, requires_grad=True)
    (a + b).sum().backward()  # Add hands the same array to both inputs
    with tl.no_grad():
        a.grad.mul_(10)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    kept = []
    c = tl.ones(2, requires_grad=True)
    c.register_hook(lambda g: kept.append(g))
    (c * 3).sum().backward()
    with tl.no_grad():
        c.grad.zero_()
    assert kept[0].tolist() == [3.0, 3.0]


def test_second_contribution_is_added_in_place_only_into_an_unshared_array():
    from tensorlib.autograd.engine import _accumulate

    grads = {"node": np.ones((4, 3), np.float32)}
    first = id(grads["node"])
    _accumulate(grads, "node", np.full((4, 3), 2.0, np.float32), {})
    assert id(grads["node"]) == first and grads["node"].tolist() == [[3.0] * 3] * 4  # no new array
    kept = grads["node"]  # someone else holds it now: a new array, the held one untouched
    _accumulate(grads, "node", np.ones((4, 3), np.float32), {})
    assert grads["node"] is not kept and kept.tolist() == [[3.0] * 3] * 4 and grads["node"][0, 0] == 4.0
    base = np.ones((3, 4), np.float32)
    grads = {"node": base.T}  # a view whose owner is referenced elsewhere
    _accumulate(grads, "node", np.ones((4, 3), np.float32), {})
    assert base.tolist() == [[1.0] * 4] * 3 and grads["node"][0, 0] == 2.0
    shared = bytearray(np.ones(3, np.float32).tobytes())
    grads = {"node": np.frombuffer(shared, np.float32)[:]}  # memory a non-array object owns
    _accumulate(grads, "node", np.ones(3, np.float32), {})
    assert np.frombuffer(shared, np.float32).tolist() == [1.0] * 3 and grads["node"].tolist() == [2.0] * 3
    grads = {"node": np.ones(3, np.float32)}  # the result would be wider than the stored array
    _accumulate(grads, "node", np.ones((2, 3), np.float32), {})
    assert grads["node"].shape == (2, 3)


def test_a_gradient_a_custom_backward_keeps_is_never_accumulated_into():
    kept = []

    class Keep(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            out = grad * 2
            kept.append(out)
            return out

    x = tl.ones(64, 128, requires_grad=True)  # 32 KB per gradient; the large case below takes the halves
    big = tl.ones(1024, 1024, requires_grad=True)
    for leaf in (x, big):
        for keep_first in (True, False):  # either contribution may arrive first
            leaf.grad = None
            y = leaf * 1  # its node gets two contributions
            total = Keep.apply(y) + y * 3 if keep_first else y * 3 + Keep.apply(y)
            total.sum().backward()
            assert float(kept[-1].max()) == float(kept[-1].min()) == 2.0
            assert float(leaf.grad.min()) == float(leaf.grad.max()) == 5.0


def test_in_place_accumulation_gives_the_bits_of_the_sum_for_any_thread_count():
    rng = np.random.default_rng(0)
    parts = [rng.standard_normal((512, 1024)).astype(np.float32) for _ in range(3)]  # 2 MB each: the halves
    results = []
    for threads in (1, 2):
        previous = tl.get_num_threads()
        tl.set_num_threads(threads)
        try:
            x = tl.zeros(512, 1024, requires_grad=True)
            y = x * 1
            sum((y * tl.from_numpy(p)).sum() for p in parts).backward()
        finally:
            tl.set_num_threads(previous)
        results.append(x.grad.numpy())
    assert np.array_equal(results[0], results[1])
    assert np.array_equal(results[0], (parts[0] + parts[1]) + parts[2])
