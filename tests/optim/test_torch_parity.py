"""Optimizers and schedulers against PyTorch itself: same parameters after 20 steps fed the same gradients,
same learning-rate sequences over 40 steps, same state_dict keys."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.optim as optim
from tensorlib.nn import Parameter

pytestmark = pytest.mark.torch

OPTIMIZER_CASES = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "maximize": True, "eps": 1e-3}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5,
                 "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
]


@pytest.mark.parametrize("name,options", OPTIMIZER_CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                               enumerate(OPTIMIZER_CASES)])
def test_optimizer_trajectory_matches_torch(name, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    inits = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)]
    ours = [Parameter(tl.tensor(a.copy())) for a in inits]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in inits]
    opt = getattr(optim, name)(ours, **options)
    ref = getattr(torch.optim, name)(theirs, **options)
    for _ in range(20):
        grads = [rng.standard_normal(a.shape).astype(np.float32) for a in inits]
        for p, q, g in zip(ours, theirs, grads):
            p.grad = tl.tensor(g + p.detach().numpy())  # gradient of a quadratic plus noise
            q.grad = torch.tensor(g) + q.detach()
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs):
            assert p.dtype == tl.float32
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    ours_sd, ref_sd = opt.state_dict(), ref.state_dict()
    assert ours_sd["param_groups"][0].keys() == ref_sd["param_groups"][0].keys()
    assert ours_sd["param_groups"] == [{k: v for k, v in g.items()} for g in ref_sd["param_groups"]]
    assert sorted(ours_sd["state"]) == sorted(ref_sd["state"])
    for index, ref_state in ref_sd["state"].items():
        assert list(ours_sd["state"][index]) == list(ref_state)
        for key, value in ref_state.items():
            mine = ours_sd["state"][index][key]
            assert mine.dtype == tl.float32 and tuple(mine.shape) == tuple(value.shape)
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-5, atol=1e-6)


def _halve_every_third(epoch):
    return 0.5 ** (epoch // 3)


def _shrink(epoch):
    return 0.9


SCHEDULER_CASES = [
    ("StepLR", "SGD", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", "SGD", {"milestones": [3, 10, 10, 25], "gamma": 0.3}),
    ("ExponentialLR", "SGD", {"gamma": 0.93}),
    ("CosineAnnealingLR", "SGD", {"T_max": 12, "eta_min": 0.001}),
    ("CosineAnnealingLR", "SGD", {"T_max": 40}),
    ("CosineAnnealingWarmRestarts", "SGD", {"T_0": 5, "T_mult": 2, "eta_min": 0.01}),
    ("CosineAnnealingWarmRestarts", "SGD", {"T_0": 7}),
    ("LambdaLR", "SGD", {"lr_lambda": _halve_every_third}),
    ("MultiplicativeLR", "SGD", {"lr_lambda": _shrink}),
    ("LinearLR", "SGD", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 15}),
    ("ConstantLR", "SGD", {"factor": 0.25, "total_iters": 8}),
    ("PolynomialLR", "SGD", {"total_iters": 30, "power": 2.0}),
    ("OneCycleLR", "SGD", {"max_lr": 1.0, "total_steps": 41}),
    ("OneCycleLR", "Adam", {"max_lr": [0.5, 0.2], "epochs": 5, "steps_per_epoch": 9, "anneal_strategy": "linear",
                            "three_phase": True}),
    ("OneCycleLR", "SGD", {"max_lr": 0.3, "total_steps": 50, "cycle_momentum": False, "pct_start": 0.5}),
    ("CyclicLR", "SGD", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CyclicLR", "SGD", {"base_lr": [0.01, 0.02], "max_lr": 0.1, "step_size_up": 3, "step_size_down": 6,
                         "mode": "triangular2"}),
    ("CyclicLR", "Adam", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "mode": "exp_range", "gamma": 0.97,
                          "base_momentum": 0.7, "max_momentum": 0.95}),
]


def _two_group_optimizers(torch, optimizer_name):
    ours = getattr(optim, optimizer_name)([{"params": [Parameter(tl.zeros(2))]},
                                          {"params": [Parameter(tl.zeros(3))], "lr": 0.05}], lr=0.1,
                                         **({"momentum": 0.9} if optimizer_name == "SGD" else {}))
    theirs = getattr(torch.optim, optimizer_name)([{"params": [torch.nn.Parameter(torch.zeros(2))]},
                                                   {"params": [torch.nn.Parameter(torch.zeros(3))], "lr": 0.05}],
                                                  lr=0.1, **({"momentum": 0.9} if optimizer_name == "SGD" else {}))
    return ours, theirs


def _momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


@pytest.mark.parametrize("name,optimizer_name,options", SCHEDULER_CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULER_CASES)])
def test_scheduler_sequence_matches_torch(name, optimizer_name, options):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _two_group_optimizers(torch, optimizer_name)
    ours = getattr(optim.lr_scheduler, name)(ours_opt, **options)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **options)
    for _ in range(40):
        np.testing.assert_allclose(ours.get_last_lr(), ref.get_last_lr(), rtol=1e-6)
        np.testing.assert_allclose([g["lr"] for g in ours_opt.param_groups],
                                   [g["lr"] for g in ref_opt.param_groups], rtol=1e-6)
        np.testing.assert_allclose([_momentum_of(g) for g in ours_opt.param_groups],
                                   [_momentum_of(g) for g in ref_opt.param_groups], rtol=1e-6)
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
    assert set(ours.state_dict()) == set(ref.state_dict())
    assert set(ours_opt.param_groups[0]) == set(ref_opt.param_groups[0])


def test_reduce_lr_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.7] * 4
    for options in ({"patience": 2, "factor": 0.5}, {"mode": "max", "patience": 1, "cooldown": 2, "min_lr": 0.02},
                    {"threshold_mode": "abs", "threshold": 0.06, "patience": 0, "min_lr": [0.0, 0.01]}):
        ours_opt, ref_opt = _two_group_optimizers(torch, "SGD")
        ours = optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **options)
        ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, **options)
        for metric in metrics:
            ours.step(metric)
            ref.step(metric)
            np.testing.assert_allclose(ours.get_last_lr(), ref.get_last_lr(), rtol=1e-6)
        assert set(ours.state_dict()) == set(ref.state_dict())


@pytest.mark.parametrize("composite", ["SequentialLR", "ChainedScheduler"])
def test_composite_schedulers_match_torch(composite):
    torch = pytest.importorskip("torch")
    sequences = []
    for lib, opt_module in ((optim, optim), (torch.optim, torch.optim)):
        ours_opt, ref_opt = _two_group_optimizers(torch, "SGD")
        opt = ours_opt if lib is optim else ref_opt
        sched = opt_module.lr_scheduler
        warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = sched.CosineAnnealingLR(opt, T_max=20, eta_min=0.001)
        steps = sched.StepLR(opt, step_size=4, gamma=0.8)
        if composite == "SequentialLR":
            scheduler = sched.SequentialLR(opt, [warmup, decay, steps], milestones=[5, 25])
        else:
            scheduler = sched.ChainedScheduler([warmup, decay, steps], optimizer=opt)
        lrs = []
        for _ in range(40):
            lrs.append(list(scheduler.get_last_lr()))
            opt.step()
            scheduler.step()
        sequences.append((lrs, set(scheduler.state_dict())))
    np.testing.assert_allclose(sequences[0][0], sequences[1][0], rtol=1e-6)
    assert sequences[0][1] == sequences[1][1]
