"""Optimizer base behaviour: parameter groups, zero_grad, step/closure, hooks, state_dict layout and
round trips through tensorlib.save/load."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.optim as optim
from tensorlib.nn import Parameter

ALL_OPTIMIZERS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1, "amsgrad": True}),
                  ("AdamW", {"lr": 0.1}), ("RMSprop", {"momentum": 0.5, "centered": True}), ("Adagrad", {}),
                  ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {})]


def _params():
    return [Parameter(tl.tensor([[1.0, -2.0], [0.5, 3.0]])), Parameter(tl.tensor([0.25, -1.0])),
            Parameter(tl.tensor([2.0]))]


def _loss(params):
    w, b, c = params
    return (w * w).sum() + (b * b * b).sum() + (c * w.sum()).sum()


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(params).backward()
        opt.step()


def test_defaults_fill_every_group_and_groups_keep_overrides():
    a, b, c = _params()
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5, "nesterov": True, "momentum": 0.9}],
                    lr=0.1, momentum=0.2)
    first, second = opt.param_groups
    assert first["lr"] == 0.1 and first["momentum"] == 0.2 and first["dampening"] == 0
    assert second["lr"] == 0.5 and second["nesterov"] is True and second["weight_decay"] == 0
    assert set(first) == set(second) == {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov",
                                         "maximize", "foreach", "differentiable", "fused"}
    assert first["params"][0] is a and first["params"][1] is b and second["params"][0] is c


def test_add_param_group_adds_and_rejects_duplicates():
    a, b, c = _params()
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["params"][0] is b
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [c, a]})
    with pytest.raises(ValueError, match="duplicate"):
        opt.add_param_group({"params": [c, c]})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {c}})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([c])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        opt.add_param_group({"params": [1.0]})
    assert len(opt.param_groups) == 2


def test_constructor_errors():
    a = Parameter(tl.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2.0], lr=0.1)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        optim.Adam([a], differentiable=True)


def test_named_parameters_are_accepted_and_names_recorded():
    a, b, _ = _params()
    opt = optim.SGD([("weight", a), ("bias", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_zero_grad_sets_none_or_zeros_in_place():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    _loss(params).backward()
    grad = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad and np.array_equal(grad.numpy(), np.zeros((2, 2), np.float32))
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_returns_closure_loss_and_evaluates_it_with_grad_enabled():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        calls.append(tl.is_grad_enabled())
        opt.zero_grad()
        loss = _loss(params)
        loss.backward()
        return loss

    expected = _loss(params).item()
    with tl.no_grad():
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == expected and _loss(params).item() != expected
    assert all(p.is_leaf and p.grad_fn is None for p in params)
    assert opt.step() is None


def test_step_bumps_versions_so_stale_graphs_fail():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    _loss(params).backward()
    stale = _loss(params)
    before = params[0]._version.value
    opt.step()
    assert params[0]._version.value == before + 1
    with pytest.raises(RuntimeError, match="optimizer.step"):
        stale.backward()


def test_step_hooks_run_around_step():
    params = _params()
    opt = optim.Adam(params, lr=0.1)
    events = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: events.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: events.append("post"))
    opt.step()
    pre.remove()
    opt.step()
    assert events == ["pre", "post", "post"]


def test_repr_lists_groups():
    opt = optim.SGD(_params(), lr=0.25)
    assert "SGD (" in repr(opt) and "Parameter Group 0" in repr(opt) and "lr: 0.25" in repr(opt)


def test_state_dict_layout_uses_indices_in_order_of_appearance():
    a, b, c = _params()
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.01}], lr=0.1)
    _train(opt, [a, b, c], 2)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 1, 2]
    assert sd["param_groups"][1]["lr"] == 0.01
    assert sd["state"][2]["exp_avg"].shape == (1,)
    assert sd["state"][0]["step"].item() == 2.0


@pytest.mark.parametrize("name,options", ALL_OPTIMIZERS, ids=[n for n, _ in ALL_OPTIMIZERS])
def test_state_dict_round_trip_through_save_load_continues_identically(name, options, tmp_path):
    params = _params()
    opt = getattr(optim, name)([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], **options)
    _train(opt, params, 3)
    path = tmp_path / "opt.tl"
    tl.save(opt.state_dict(), path)
    loaded = tl.load(path)
    assert loaded["param_groups"] == opt.state_dict()["param_groups"]

    copies = [Parameter(tl.tensor(p.detach().numpy().copy())) for p in params]
    fresh = getattr(optim, name)([{"params": copies[:2]}, {"params": copies[2:]}], lr=123.0)
    fresh.load_state_dict(loaded)
    assert fresh.param_groups[1]["lr"] == 0.05 and fresh.param_groups[0]["params"][0] is copies[0]
    for key, value in opt.state[params[0]].items():
        restored = fresh.state[copies[0]][key]
        assert restored.shape == value.shape and restored.dtype == value.dtype
        assert restored is not value
    _train(opt, params, 3)
    _train(fresh, copies, 3)
    for p, q in zip(params, copies):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_load_state_dict_rejects_mismatched_groups():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD(params[:2], lr=0.1).load_state_dict(sd)


def test_load_state_dict_casts_to_parameter_dtype_but_keeps_step_float32():
    x = Parameter(tl.ones(3))
    opt = optim.Adam([x], lr=0.1)
    x.grad = tl.ones(3)
    opt.step()
    y = Parameter(tl.ones(3, dtype=tl.float64))
    other = optim.Adam([y], lr=0.1)
    other.load_state_dict(opt.state_dict())
    assert other.state[y]["exp_avg"].dtype == tl.float64 and other.state[y]["step"].dtype == tl.float32


def test_legacy_numeric_step_is_converted_to_tensor():
    x = Parameter(tl.ones(2))
    opt = optim.Adam([x], lr=0.1)
    x.grad = tl.ones(2)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0] = dict(sd["state"][0], step=1)
    fresh = optim.Adam([Parameter(tl.ones(2))], lr=0.1)
    fresh.load_state_dict(sd)
    step = next(iter(fresh.state.values()))["step"]
    assert isinstance(step, tl.Tensor) and step.dtype == tl.float32 and step.item() == 1.0


def test_adagrad_initialises_state_for_added_groups():
    a, b, _ = _params()
    opt = optim.Adagrad([a], initial_accumulator_value=0.5)
    opt.add_param_group({"params": [b]})
    assert np.array_equal(opt.state[b]["sum"].numpy(), np.full(2, 0.5, np.float32))
    b.grad = tl.ones(2)
    opt.step()
    assert opt.state[b]["step"].item() == 1.0 and opt.state[a]["step"].item() == 0.0


def test_adamw_forces_decoupled_weight_decay_on_load():
    x = Parameter(tl.ones(2))
    adam = optim.Adam([x], lr=0.1)
    adamw = optim.AdamW([Parameter(tl.ones(2))], lr=0.1)
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
