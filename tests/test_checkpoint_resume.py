"""A training run interrupted by a one-call checkpoint (model, optimizer, scheduler, epoch, RNG state) and
resumed into fresh objects continues with bit-identical losses and parameters."""

import zipfile

import pytest

import tensorlib as tl
import tensorlib.optim as optim
from tensorlib import nn

SAMPLES, FEATURES, CLASSES, BATCH, EPOCHS, SPLIT = 48, 5, 3, 12, 6, 3
STEPS_PER_EPOCH = SAMPLES // BATCH


class TinyMLP(nn.Module):
    """Two-layer perceptron written with parameters and tensor ops only."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(tl.randn(FEATURES, 16) * 0.4)
        self.b1 = nn.Parameter(tl.zeros(16))
        self.w2 = nn.Parameter(tl.randn(16, CLASSES) * 0.4)
        self.b2 = nn.Parameter(tl.zeros(CLASSES))

    def forward(self, x):
        return tl.relu(x @ self.w1 + self.b1) @ self.w2 + self.b2


def _tiny_mlp_loss(model, x, y):
    log_probs = tl.log_softmax(model(x), dim=1)
    return -log_probs.gather(1, y.unsqueeze(1)).mean()


def _layers_model():
    return nn.Sequential(nn.Linear(FEATURES, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, CLASSES))


def _layers_loss(model, x, y):
    return nn.CrossEntropyLoss()(model(x), y)


SETUPS = {
    "sgd-momentum-steplr": (lambda params: optim.SGD(params, lr=0.2, momentum=0.9, weight_decay=1e-3),
                            lambda opt: optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5), "epoch"),
    "adam-onecycle": (lambda params: optim.Adam(params, lr=0.01, amsgrad=True),
                      lambda opt: optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05,
                                                                total_steps=EPOCHS * STEPS_PER_EPOCH), "batch"),
    "adamw-multistep": (lambda params: optim.AdamW(params, lr=0.02),
                        lambda opt: optim.lr_scheduler.MultiStepLR(opt, milestones=[4, 9, 9, 15]), "batch"),
}


def _data():
    gen = tl.Generator().manual_seed(1234)
    return tl.randn(SAMPLES, FEATURES, generator=gen), tl.randint(0, CLASSES, (SAMPLES,), generator=gen)


def _train_epoch(model, loss_fn, opt, scheduler, when, data):
    """One epoch over shuffled mini-batches with input noise (both draw from the global RNG)."""
    x, y = data
    model.train()
    losses = []
    order = tl.randperm(SAMPLES)
    for start in range(0, SAMPLES, BATCH):
        index = order[start:start + BATCH]
        inputs = x[index] + 0.05 * tl.randn(BATCH, FEATURES)
        loss = loss_fn(model, inputs, y[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if when == "batch":
            scheduler.step()
        losses.append(loss.item())
    if when == "epoch":
        scheduler.step()
    return losses


def _fresh(make_model, setup, seed):
    make_opt, make_sched, when = SETUPS[setup]
    tl.manual_seed(seed)
    model = make_model()
    opt = make_opt(model.parameters())
    return model, opt, make_sched(opt), when


def _architectures():
    yield "tiny-mlp", TinyMLP, _tiny_mlp_loss
    if all(hasattr(nn, name) for name in ("Linear", "ReLU", "Dropout", "Sequential", "CrossEntropyLoss")):
        yield "nn-layers", _layers_model, _layers_loss


@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("arch", [a[0] for a in _architectures()])
def test_resumed_training_matches_uninterrupted_run(setup, arch, tmp_path):
    _, make_model, loss_fn = next(a for a in _architectures() if a[0] == arch)
    data = _data()

    model, opt, scheduler, when = _fresh(make_model, setup, seed=7)
    reference = []
    for _ in range(EPOCHS):
        reference.extend(_train_epoch(model, loss_fn, opt, scheduler, when, data))
    reference_params = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    model, opt, scheduler, when = _fresh(make_model, setup, seed=7)
    first_half = []
    for _ in range(SPLIT):
        first_half.extend(_train_epoch(model, loss_fn, opt, scheduler, when, data))
    path = tmp_path / "checkpoint.tl"
    tl.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict(),
             "epoch": SPLIT - 1, "rng": tl.get_rng_state()}, path)
    assert zipfile.is_zipfile(path)
    tl.randn(100)  # disturb the global RNG; the checkpoint must restore it
    del model, opt, scheduler

    model, opt, scheduler, when = _fresh(make_model, setup, seed=99)  # different init, different lr state
    checkpoint = tl.load(path)
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    tl.set_rng_state(checkpoint["rng"])
    resumed = list(first_half)
    for _ in range(checkpoint["epoch"] + 1, EPOCHS):
        resumed.extend(_train_epoch(model, loss_fn, opt, scheduler, when, data))

    assert first_half == reference[:len(first_half)]
    assert resumed == reference  # bit-identical, not approximately equal
    for key, value in model.state_dict().items():
        assert (value.numpy() == reference_params[key]).all(), key
    assert len(set(reference)) > 10  # the losses really change from step to step
