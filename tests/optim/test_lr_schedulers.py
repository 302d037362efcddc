"""Learning-rate schedulers against closed-form formulas, plus state_dict round trips and warnings."""

import math
import warnings
from bisect import bisect_right

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.optim as optim
from tensorlib.nn import Parameter
from tensorlib.optim import lr_scheduler as sched

BASE_LR = 0.1


def _optimizer(kind="SGD", lr=BASE_LR):
    params = [Parameter(tl.zeros(2))]
    return optim.SGD(params, lr=lr, momentum=0.9) if kind == "SGD" else optim.Adam(params, lr=lr)


def _sequence(scheduler, opt, steps=40):
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        assert opt.param_groups[0]["lr"] == lrs[-1]
        opt.step()
        scheduler.step()
    return lrs


def _check(make, closed_form, steps=40, kind="SGD"):
    opt = _optimizer(kind)
    lrs = _sequence(make(opt), opt, steps)
    np.testing.assert_allclose(lrs, [closed_form(e) for e in range(steps)], rtol=1e-9, atol=1e-15)


def test_step_lr():
    _check(lambda o: sched.StepLR(o, step_size=7, gamma=0.5), lambda e: BASE_LR * 0.5 ** (e // 7))


def test_multi_step_lr():
    milestones = [3, 10, 10, 25]
    _check(lambda o: sched.MultiStepLR(o, milestones, gamma=0.3),
           lambda e: BASE_LR * 0.3 ** bisect_right(milestones, e))


def test_exponential_lr():
    _check(lambda o: sched.ExponentialLR(o, gamma=0.93), lambda e: BASE_LR * 0.93 ** e)


def test_cosine_annealing_lr_recursive_form_equals_closed_form():
    _check(lambda o: sched.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
           lambda e: 0.001 + (BASE_LR - 0.001) * (1 + math.cos(math.pi * e / 12)) / 2)


def test_cosine_annealing_warm_restarts():
    def closed(e, t0=5, mult=2, eta_min=0.01):
        t_i, t_cur = t0, e
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= mult
        return eta_min + (BASE_LR - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2

    _check(lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01), closed)


def test_cosine_annealing_warm_restarts_fractional_epochs():
    opt = _optimizer()
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler.step(5.5)
    assert scheduler.get_last_lr()[0] == pytest.approx(BASE_LR * (1 + math.cos(math.pi * 1.5 / 4)) / 2)


def test_lambda_lr():
    _check(lambda o: sched.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)), lambda e: BASE_LR / (1 + e))


def test_multiplicative_lr():
    _check(lambda o: sched.MultiplicativeLR(o, lr_lambda=lambda e: 0.95), lambda e: BASE_LR * 0.95 ** e)


def test_linear_lr():
    _check(lambda o: sched.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=15),
           lambda e: BASE_LR * (0.2 + 0.7 * min(e, 15) / 15))


def test_constant_lr():
    _check(lambda o: sched.ConstantLR(o, factor=0.25, total_iters=8), lambda e: BASE_LR * (0.25 if e < 8 else 1))


def test_polynomial_lr():
    _check(lambda o: sched.PolynomialLR(o, total_iters=30, power=2.0),
           lambda e: BASE_LR * (1 - min(e, 30) / 30) ** 2)


def _cos_anneal(start, end, pct):
    return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2


def test_one_cycle_lr_cos_with_momentum_cycling():
    total, max_lr, pct = 40, 1.0, 0.3
    initial, peak_step = max_lr / 25, pct * total - 1
    minimum = initial / 1e4

    def closed(e):
        if e <= peak_step:
            return _cos_anneal(initial, max_lr, e / peak_step)
        return _cos_anneal(max_lr, minimum, (e - peak_step) / (total - 1 - peak_step))

    def momentum(e):
        if e <= peak_step:
            return _cos_anneal(0.95, 0.85, e / peak_step)
        return _cos_anneal(0.85, 0.95, (e - peak_step) / (total - 1 - peak_step))

    opt = _optimizer("Adam")
    scheduler = sched.OneCycleLR(opt, max_lr=max_lr, total_steps=total)
    for e in range(total):
        assert scheduler.get_last_lr()[0] == pytest.approx(closed(e), rel=1e-9)
        assert opt.param_groups[0]["betas"][0] == pytest.approx(momentum(e), rel=1e-9)
        assert opt.param_groups[0]["betas"][1] == 0.999
        opt.step()
        if e < total - 1:
            scheduler.step()
    assert scheduler.get_last_lr()[0] == pytest.approx(minimum)
    with pytest.raises(ValueError, match="Tried to step"):
        scheduler.step()
        scheduler.step()


def test_one_cycle_lr_linear_three_phase_sgd_momentum():
    total, max_lr, pct = 40, 0.5, 0.25
    initial = max_lr / 25
    ends = [pct * total - 1, 2 * pct * total - 2, total - 1]

    def linear(start, end, p):
        return start + (end - start) * p

    def closed(e):
        if e <= ends[0]:
            return linear(initial, max_lr, e / ends[0])
        if e <= ends[1]:
            return linear(max_lr, initial, (e - ends[0]) / (ends[1] - ends[0]))
        return linear(initial, initial / 1e4, (e - ends[1]) / (ends[2] - ends[1]))

    opt = _optimizer("SGD")
    scheduler = sched.OneCycleLR(opt, max_lr=max_lr, epochs=4, steps_per_epoch=10, pct_start=pct,
                                 anneal_strategy="linear", three_phase=True)
    lrs = _sequence(scheduler, opt, total - 1)
    np.testing.assert_allclose(lrs, [closed(e) for e in range(total - 1)], rtol=1e-9)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)


def _triangle(e, half):
    cycle = math.floor(1 + e / (2 * half))
    return cycle, max(0.0, 1 - abs(e / half - 2 * cycle + 1))


def test_cyclic_lr_modes_and_momentum():
    base, top, half = 0.01, 0.1, 4
    _check(lambda o: sched.CyclicLR(o, base, top, step_size_up=half),
           lambda e: base + (top - base) * _triangle(e, half)[1])
    _check(lambda o: sched.CyclicLR(o, base, top, step_size_up=half, mode="triangular2"),
           lambda e: base + (top - base) * _triangle(e, half)[1] / 2 ** (_triangle(e, half)[0] - 1))
    _check(lambda o: sched.CyclicLR(o, base, top, step_size_up=half, mode="exp_range", gamma=0.97),
           lambda e: base + (top - base) * _triangle(e, half)[1] * 0.97 ** e, kind="Adam")
    opt = _optimizer("SGD")
    scheduler = sched.CyclicLR(opt, base, top, step_size_up=half, base_momentum=0.8, max_momentum=0.9)
    for e in range(12):
        assert opt.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 * _triangle(e, half)[1])
        opt.step()
        scheduler.step()


def test_cyclic_lr_requires_momentum_when_cycling():
    opt = optim.Adagrad([Parameter(tl.zeros(2))])
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.CyclicLR(opt, 0.01, 0.1)


def test_reduce_lr_on_plateau_patience_cooldown_and_min_lr():
    opt = _optimizer()
    scheduler = sched.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.02)
    metrics = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    expected = [0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02]
    got = []
    for metric in metrics:
        scheduler.step(metric)
        got.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(got, expected)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode sideways is unknown"):
        sched.ReduceLROnPlateau(opt, mode="sideways")


def test_reduce_lr_on_plateau_max_mode_absolute_threshold():
    opt = _optimizer()
    scheduler = sched.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    for metric in (1.0, 1.05, 1.2):  # 1.05 is not better than 1.0 + 0.1 -> reduce once
        scheduler.step(metric)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
    assert scheduler.best == 1.2


def test_sequential_lr_warmup_then_exponential():
    opt = _optimizer()
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=4)
    decay = sched.ExponentialLR(opt, gamma=0.9)
    scheduler = sched.SequentialLR(opt, [warmup, decay], milestones=[5])
    lrs = _sequence(scheduler, opt, 15)
    expected = [BASE_LR * (0.1 + 0.9 * min(e, 4) / 4) if e < 5 else BASE_LR * 0.9 ** (e - 5) for e in range(15)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-9)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        sched.SequentialLR(opt, [warmup, decay], milestones=[5, 6])


def test_chained_scheduler_multiplies_effects():
    opt = _optimizer()
    scheduler = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.5, total_iters=3),
                                        sched.ExponentialLR(opt, gamma=0.9)])
    lrs = _sequence(scheduler, opt, 10)
    np.testing.assert_allclose(lrs, [BASE_LR * (0.5 if e < 3 else 1) * 0.9 ** e for e in range(10)], rtol=1e-9)


def test_scheduler_sets_initial_lr_and_resuming_requires_it():
    opt = _optimizer()
    sched.StepLR(opt, step_size=3)
    assert opt.param_groups[0]["initial_lr"] == BASE_LR
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_optimizer(), step_size=3, last_epoch=4)


def test_explicit_epoch_uses_closed_form_with_deprecation_warning():
    opt = _optimizer()
    scheduler = sched.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(7)
    assert scheduler.get_last_lr() == [pytest.approx(BASE_LR * 0.25)]


def test_warnings_for_wrong_call_order_and_direct_get_lr():
    opt = _optimizer()
    scheduler = sched.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        scheduler.get_lr()


SCHEDULER_FACTORIES = {
    "StepLR": lambda o: sched.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: sched.MultiStepLR(o, [2, 5, 5, 9], gamma=0.5),
    "ExponentialLR": lambda o: sched.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: sched.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "LambdaLR": lambda o: sched.LambdaLR(o, lambda e: 0.9 ** e),
    "MultiplicativeLR": lambda o: sched.MultiplicativeLR(o, lambda e: 0.9),
    "LinearLR": lambda o: sched.LinearLR(o, start_factor=0.1, total_iters=12),
    "ConstantLR": lambda o: sched.ConstantLR(o, factor=0.5, total_iters=12),
    "PolynomialLR": lambda o: sched.PolynomialLR(o, total_iters=15, power=1.5),
    "OneCycleLR": lambda o: sched.OneCycleLR(o, max_lr=0.5, total_steps=30),
    "CyclicLR": lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.9),
    "SequentialLR": lambda o: sched.SequentialLR(o, [sched.LinearLR(o, total_iters=4),
                                                     sched.CosineAnnealingLR(o, T_max=10)], milestones=[6]),
    "ChainedScheduler": lambda o: sched.ChainedScheduler([sched.ConstantLR(o, total_iters=5),
                                                          sched.ExponentialLR(o, gamma=0.95)]),
}


@pytest.mark.parametrize("name", sorted(SCHEDULER_FACTORIES))
def test_state_dict_round_trip_through_save_load(name, tmp_path):
    make = SCHEDULER_FACTORIES[name]
    opt = _optimizer()
    scheduler = make(opt)
    _sequence(scheduler, opt, 10)
    path = tmp_path / "ckpt.tl"
    tl.save({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}, path)
    expected = _sequence(scheduler, opt, 15)

    fresh_opt = _optimizer(lr=7.0)
    fresh = make(fresh_opt)
    checkpoint = tl.load(path)
    fresh_opt.load_state_dict(checkpoint["optimizer"])
    fresh.load_state_dict(checkpoint["scheduler"])
    assert "optimizer" not in checkpoint["scheduler"]
    assert _sequence(fresh, fresh_opt, 15) == expected


def test_lambda_state_dict_stores_none_for_functions_and_dict_for_callables():
    class Halver:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor ** epoch

    opt = optim.SGD([{"params": [Parameter(tl.zeros(1))]}, {"params": [Parameter(tl.zeros(1))]}], lr=0.1)
    scheduler = sched.LambdaLR(opt, [lambda e: 1.0, Halver()])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.5}]
    state["lr_lambdas"][1] = {"factor": 0.25}
    scheduler.load_state_dict(state)
    assert scheduler.lr_lambdas[1].factor == 0.25 and callable(scheduler.lr_lambdas[0])


def test_lr_scheduler_alias_and_type_check():
    assert issubclass(sched._LRScheduler, sched.LRScheduler)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.StepLR(object(), step_size=1)


def test_reduce_lr_on_plateau_state_round_trip_keeps_infinite_best(tmp_path):
    opt = _optimizer()
    scheduler = sched.ReduceLROnPlateau(opt, mode="max", patience=1)
    path = tmp_path / "plateau.tl"
    tl.save(scheduler.state_dict(), path)
    assert tl.load(path)["best"] == -math.inf
    for metric in (1.0, 0.5, 0.5):
        scheduler.step(metric)
    tl.save(scheduler.state_dict(), path)
    fresh = sched.ReduceLROnPlateau(_optimizer(), mode="min")
    fresh.load_state_dict(tl.load(path))
    assert fresh.mode == "max" and fresh.best == 1.0 and fresh.num_bad_epochs == 0
    assert fresh._is_better(2.0, 1.0) and not fresh._is_better(0.9, 1.0)
