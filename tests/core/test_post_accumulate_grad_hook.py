"""Tensor.register_post_accumulate_grad_hook: called with the leaf once its .grad holds this backward's sum."""

import pytest

import tensorlib as tl


def test_hook_sees_accumulated_grad_once_per_backward():
    w = tl.ones(3, requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    (w * 2 + w).sum().backward()  # two uses, one call with the summed gradient
    (w * 3).sum().backward()
    assert [s.tolist() for s in seen] == [[3.0] * 3, [6.0] * 3]


def test_handle_removes_hook_and_non_leaf_is_rejected():
    w = tl.ones(2, requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(calls.append)
    handle.remove()
    w.sum().backward()
    assert calls == []
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(calls.append)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tl.ones(2).register_post_accumulate_grad_hook(calls.append)


def test_accumulate_grad_node_exposes_variable():
    w = tl.ones(2, requires_grad=True)
    node = (w * 2).grad_fn.next_functions[0][0]
    assert node.name() == "AccumulateGrad" and node.variable is w
