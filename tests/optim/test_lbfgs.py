"""optim.LBFGS: PyTorch's algorithm, with and without the strong-Wolfe line search, iterate for iterate."""

import numpy as np
import pytest

import tensorlib as tl


def _rosenbrock(lib, p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def _quadratic_model(lib, p):
    # a least-squares fit: loss = mean((X w - y)^2) with a fixed X, y
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.normal(size=(16, 5)), dtype=p.dtype)
    y = lib.tensor(rng.normal(size=(16,)), dtype=p.dtype)
    return ((x @ p - y) ** 2).mean()


def _run(lib, objective, start, steps, dtype, **options):
    param = lib.tensor(start, dtype=dtype, requires_grad=True)
    optimizer = lib.optim.LBFGS([param], **options)

    def closure():
        optimizer.zero_grad()
        loss = objective(lib, param)
        loss.backward()
        return loss

    iterates, losses = [], []
    for _ in range(steps):
        losses.append(float(optimizer.step(closure).detach()))
        iterates.append(param.detach().numpy().copy())
    state = optimizer.state[param]
    return np.array(iterates), np.array(losses), (state["func_evals"], state["n_iter"])


CASES = [
    # without a line search Rosenbrock amplifies rounding ~100x per 20 iterations: compare two steps
    ("rosenbrock", _rosenbrock, [-1.5, 2.0], {"max_iter": 10}),
    ("rosenbrock-wolfe", _rosenbrock, [-1.5, 2.0], {"line_search_fn": "strong_wolfe"}),
    ("rosenbrock-wolfe-short-history", _rosenbrock, [0.3, -0.7],
     {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7}),
    ("lstsq-lr", _quadratic_model, [0.1, -0.2, 0.3, 0.0, 0.5], {"lr": 0.5, "max_iter": 5}),
    ("lstsq-wolfe", _quadratic_model, [0.1, -0.2, 0.3, 0.0, 0.5], {"line_search_fn": "strong_wolfe"}),
]


# torch's LBFGS itself calls float() on the loss, which warns when it requires grad
@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
@pytest.mark.parametrize("name, objective, start, options", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
def test_lbfgs_matches_torch(name, objective, start, options, dtype_name):
    torch = pytest.importorskip("torch")
    ours = _run(tl, objective, start, 4, getattr(tl, dtype_name), **options)
    theirs = _run(torch, objective, start, 4, getattr(torch, dtype_name), **options)
    if dtype_name == "float32" and name.startswith("rosenbrock"):
        pytest.skip("Rosenbrock amplifies float32 rounding differences past any fixed tolerance")
    tolerance = 1e-5 if dtype_name == "float64" else 1e-4
    np.testing.assert_allclose(ours[0], theirs[0], rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=tolerance, atol=tolerance)
    if dtype_name == "float64":
        assert ours[2] == theirs[2]  # same number of closure evaluations and iterations


def test_lbfgs_minimises_rosenbrock_without_torch():
    iterates, losses, _ = _run(tl, _rosenbrock, [-1.5, 2.0], 10, tl.float64, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(iterates[-1], [1.0, 1.0], atol=1e-5)  # torch stops at (0.999998, 0.999997) too
    assert losses[-1] < losses[0]


def test_lbfgs_trains_a_module_and_checks_arguments():
    tl.manual_seed(0)
    model = tl.nn.Linear(3, 1)
    x = tl.randn(20, 3)
    y = x @ tl.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    optimizer = tl.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = tl.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    for _ in range(3):
        optimizer.step(closure)
    assert closure().item() < 1e-8
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.3], atol=1e-4)
    assert optimizer.defaults["max_eval"] == 25 and optimizer.defaults["history_size"] == 100
    with pytest.raises(ValueError, match="parameter groups"):
        tl.optim.LBFGS([{"params": [tl.zeros(1, requires_grad=True)]}, {"params": [tl.zeros(1, requires_grad=True)]}])
    model.weight.data.zero_()  # away from the optimum, so the step gets as far as the line search
    bad = tl.optim.LBFGS(model.parameters(), line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe'"):
        bad.step(closure)
    with pytest.raises(RuntimeError, match="requires a closure"):
        bad.step()


def test_lbfgs_state_dict_round_trip_resumes_identically(tmp_path):
    def make():
        param = tl.tensor([-1.5, 2.0], dtype=tl.float64, requires_grad=True)
        optimizer = tl.optim.LBFGS([param], line_search_fn="strong_wolfe", max_iter=3, history_size=4)

        def closure():
            optimizer.zero_grad()
            loss = _rosenbrock(tl, param)
            loss.backward()
            return loss

        return param, optimizer, closure

    param, optimizer, closure = make()
    optimizer.step(closure)
    tl.save({"param": param.detach(), "optimizer": optimizer.state_dict()}, tmp_path / "ckpt.pt")
    optimizer.step(closure)
    checkpoint = tl.load(tmp_path / "ckpt.pt")
    resumed, resumed_optimizer, resumed_closure = make()
    with tl.no_grad():
        resumed.copy_(checkpoint["param"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_optimizer.step(resumed_closure)
    np.testing.assert_array_equal(resumed.detach().numpy(), param.detach().numpy())
