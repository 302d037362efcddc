"""Each optimizer's first steps on a quadratic against the update rule written out with NumPy (float64)."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.optim as optim
from tensorlib.nn import Parameter

CURVATURE = np.array([1.0, 3.0, 0.5, 2.0])
START = np.array([1.0, -2.0, 0.5, 3.0])


def _run_ours(name, options, steps):
    """Minimise 0.5 * sum(curvature * x**2) for ``steps`` steps with tensorlib autograd + the optimizer."""
    x = Parameter(tl.tensor(START.astype(np.float32)))
    curvature = tl.tensor(CURVATURE.astype(np.float32))
    opt = getattr(optim, name)([x], **options)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = (curvature * x * x).sum() * 0.5
        loss.backward()
        opt.step()
        assert x.dtype == tl.float32 and x.is_leaf
        history.append(x.detach().numpy().copy())
    return history


def _run_reference(update, steps):
    """Apply ``update(x, grad, t, state) -> x`` with the exact gradient ``curvature * x`` in float64."""
    x, state, history = START.copy(), {}, []
    for t in range(1, steps + 1):
        x = update(x, CURVATURE * x, t, state)
        history.append(x.copy())
    return history


def sgd_rule(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    def update(x, g, t, s):
        g = (-g if maximize else g) + weight_decay * x
        if momentum:
            s["b"] = g.copy() if t == 1 else momentum * s["b"] + (1 - dampening) * g
            g = g + momentum * s["b"] if nesterov else s["b"]
        return x - lr * g
    return update


def adam_rule(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
              decoupled=False):
    b1, b2 = betas

    def update(x, g, t, s):
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        v = s["v"]
        if amsgrad:
            s["vmax"] = v = np.maximum(s.get("vmax", 0), v)
        m_hat, v_hat = s["m"] / (1 - b1 ** t), v / (1 - b2 ** t)
        return x - lr * m_hat / (np.sqrt(v_hat) + eps)
    return update


def rmsprop_rule(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    def update(x, g, t, s):
        g = (-g if maximize else g) + weight_decay * x
        s["v"] = alpha * s.get("v", 0) + (1 - alpha) * g * g
        v = s["v"]
        if centered:
            s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
            v = v - s["ga"] ** 2
        step = g / (np.sqrt(v) + eps)
        if momentum:
            s["b"] = momentum * s.get("b", 0) + step
            step = s["b"]
        return x - lr * step
    return update


def adagrad_rule(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                 maximize=False):
    def update(x, g, t, s):
        g = (-g if maximize else g) + weight_decay * x
        s["sum"] = s.get("sum", initial_accumulator_value) + g * g
        return x - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)
    return update


def adadelta_rule(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    def update(x, g, t, s):
        g = (-g if maximize else g) + weight_decay * x
        s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
        delta = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["v"] + eps) * g
        s["u"] = rho * s.get("u", 0) + (1 - rho) * delta * delta
        return x - lr * delta
    return update


def adamax_rule(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas

    def update(x, g, t, s):
        g = (-g if maximize else g) + weight_decay * x
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
        return x - lr / (1 - b1 ** t) * s["m"] / s["u"]
    return update


def nadam_rule(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3, decoupled=False,
               maximize=False):
    b1, b2 = betas

    def update(x, g, t, s):
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        s["prod"] = s.get("prod", 1.0) * mu
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        denom = np.sqrt(s["v"] / (1 - b2 ** t)) + eps
        return (x - lr * (1 - mu) / (1 - s["prod"]) * g / denom
                - lr * mu_next / (1 - s["prod"] * mu_next) * s["m"] / denom)
    return update


def radam_rule(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, maximize=False):
    b1, b2 = betas

    def update(x, g, t, s):
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1 ** t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t <= 5:
            return x - lr * m_hat
        adaptive = np.sqrt(1 - b2 ** t) / (np.sqrt(s["v"]) + eps)
        rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return x - lr * m_hat * adaptive * rect
    return update


CASES = [
    ("SGD", {"lr": 0.1}, sgd_rule(lr=0.1), 3),
    ("SGD", {}, sgd_rule(), 2),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, sgd_rule(lr=0.1, momentum=0.9), 3),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1},
     sgd_rule(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1), 3),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True}, sgd_rule(lr=0.1, momentum=0.8, nesterov=True), 3),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}, sgd_rule(lr=0.01, momentum=0.5, maximize=True), 3),
    ("Adam", {"lr": 0.1}, adam_rule(lr=0.1), 3),
    ("Adam", {"lr": 0.1, "betas": (0.8, 0.9), "weight_decay": 0.2},
     adam_rule(0.1, (0.8, 0.9), weight_decay=0.2), 3),
    ("Adam", {"lr": 0.1, "amsgrad": True}, adam_rule(lr=0.1, amsgrad=True), 3),
    ("Adam", {"lr": 0.1, "maximize": True, "eps": 1e-2}, adam_rule(lr=0.1, maximize=True, eps=1e-2), 3),
    ("AdamW", {"lr": 0.1}, adam_rule(lr=0.1, weight_decay=1e-2, decoupled=True), 3),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.5, "amsgrad": True},
     adam_rule(lr=0.1, weight_decay=0.5, amsgrad=True, decoupled=True), 3),
    ("RMSprop", {}, rmsprop_rule(), 3),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1},
     rmsprop_rule(lr=0.01, momentum=0.9, weight_decay=0.1), 3),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True}, rmsprop_rule(lr=0.01, alpha=0.9, centered=True), 3),
    ("RMSprop", {"centered": True, "momentum": 0.5, "maximize": True},
     rmsprop_rule(centered=True, momentum=0.5, maximize=True), 3),
    ("Adagrad", {}, adagrad_rule(), 3),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.5, "weight_decay": 0.1, "initial_accumulator_value": 0.3},
     adagrad_rule(lr=0.1, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.3), 3),
    ("Adadelta", {}, adadelta_rule(), 3),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1, "maximize": True},
     adadelta_rule(lr=0.5, rho=0.5, weight_decay=0.1, maximize=True), 3),
    ("Adamax", {}, adamax_rule(), 3),
    ("Adamax", {"lr": 0.1, "betas": (0.5, 0.9), "weight_decay": 0.1},
     adamax_rule(0.1, (0.5, 0.9), weight_decay=0.1), 3),
    ("NAdam", {}, nadam_rule(), 3),
    ("NAdam", {"lr": 0.1, "momentum_decay": 0.1, "weight_decay": 0.1},
     nadam_rule(lr=0.1, momentum_decay=0.1, weight_decay=0.1), 3),
    ("NAdam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
     nadam_rule(lr=0.1, weight_decay=0.1, decoupled=True, maximize=True), 3),
    ("RAdam", {}, radam_rule(), 3),
    ("RAdam", {"lr": 0.1, "betas": (0.9, 0.9), "weight_decay": 0.1},  # 8 steps reach the rectified branch
     radam_rule(lr=0.1, betas=(0.9, 0.9), weight_decay=0.1), 8),
    ("RAdam", {"lr": 0.1, "betas": (0.9, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True},
     radam_rule(lr=0.1, betas=(0.9, 0.9), weight_decay=0.1, decoupled=True), 8),
]


@pytest.mark.parametrize("name,options,rule,steps", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_steps_match_hand_derived_rule(name, options, rule, steps):
    ours = _run_ours(name, options, steps)
    expected = _run_reference(rule, steps)
    for step, (got, want) in enumerate(zip(ours, expected), 1):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6, err_msg=f"{name} {options} step {step}")
    assert not np.allclose(ours[-1], START)


def test_parameter_without_grad_is_left_alone():
    a, b = Parameter(tl.ones(3)), Parameter(tl.ones(3))
    opt = optim.Adam([a, b], lr=0.5)
    (a * 2.0).sum().backward()
    opt.step()
    assert b.grad is None and np.array_equal(b.detach().numpy(), np.ones(3, np.float32))
    assert b not in opt.state and a in opt.state
    assert not np.allclose(a.detach().numpy(), 1.0)


def test_param_groups_use_their_own_learning_rates():
    a, b = Parameter(tl.ones(2)), Parameter(tl.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.01}], lr=0.1, momentum=0.0)
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [0.99, 0.99], rtol=1e-6)
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.0


def test_state_layout_matches_pytorch_names():
    x = Parameter(tl.ones(3))
    expectations = {
        "SGD": ({"momentum": 0.9}, ["momentum_buffer"]),
        "Adam": ({"amsgrad": True}, ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
        "RMSprop": ({"momentum": 0.9, "centered": True}, ["step", "square_avg", "momentum_buffer", "grad_avg"]),
        "Adagrad": ({}, ["step", "sum"]),
        "Adadelta": ({}, ["step", "square_avg", "acc_delta"]),
        "Adamax": ({}, ["step", "exp_avg", "exp_inf"]),
        "NAdam": ({}, ["step", "mu_product", "exp_avg", "exp_avg_sq"]),
        "RAdam": ({}, ["step", "exp_avg", "exp_avg_sq"]),
    }
    for name, (options, keys) in expectations.items():
        opt = getattr(optim, name)([x], **options)
        x.grad = tl.ones(3)
        opt.step()
        assert list(opt.state[x]) == keys, name
        for key in keys:
            assert opt.state[x][key].dtype == tl.float32
        if "step" in keys:
            assert opt.state[x]["step"].shape == () and opt.state[x]["step"].item() == 1.0


def test_sgd_without_momentum_keeps_no_state():
    x = Parameter(tl.ones(3))
    opt = optim.SGD([x], lr=0.1)
    x.grad = tl.ones(3)
    opt.step()
    assert opt.state_dict()["state"] == {}


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD(p, lr=-1.0), "Invalid learning rate"),
    (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value"),
    (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (lambda p: optim.AdamW(p, eps=-1.0), "Invalid epsilon value"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value"),
    (lambda p: optim.Adagrad(p, lr_decay=-0.1), "Invalid lr_decay value"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value"),
    (lambda p: optim.NAdam(p, momentum_decay=-1.0), "Invalid momentum_decay value"),
    (lambda p: optim.RAdam(p, weight_decay=-1.0), "Invalid weight_decay value"),
])
def test_invalid_hyperparameters_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(tl.ones(2))])


def test_float64_parameters_stay_float64():
    x = Parameter(tl.ones(3, dtype=tl.float64))
    opt = optim.Adam([x], lr=0.1)
    x.grad = tl.ones(3, dtype=tl.float64)
    opt.step()
    assert x.dtype == tl.float64 and opt.state[x]["exp_avg"].dtype == tl.float64
    assert opt.state[x]["step"].dtype == tl.float32
