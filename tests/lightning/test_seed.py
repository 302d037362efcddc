"""seed_everything(workers=True): augmentation draws differ across workers, batches and epochs, and repeat."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.lightning as L
from tensorlib.data import DataLoader, Dataset, get_worker_info

from ._models import Classifier, quiet_trainer


class Augmenting(Dataset):
    """Each item: its index, the worker that loaded it and three 'augmentation' draws (NumPy, random, tensorlib)."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        info = get_worker_info()
        worker = -1 if info is None else info.id
        draws = [np.random.rand(), random.random(), float(tl.rand(1).item())]
        return tl.tensor([float(index), float(worker)] + draws)


def _epochs(seed: int, epochs: int = 2) -> list:
    L.seed_everything(seed, workers=True, verbose=False)
    loader = DataLoader(Augmenting(), batch_size=2, num_workers=2)
    return [tl.cat(list(loader)).numpy() for _ in range(epochs)]


def test_workers_and_epochs_draw_differently_and_reproducibly():
    first = _epochs(5)
    for epoch in first:
        assert set(epoch[:, 1]) == {0.0, 1.0}  # both worker processes loaded batches
        for column in (2, 3, 4):
            assert len(set(epoch[:, column])) == 8  # no repeated draw across items, batches or workers
    for column in (2, 3, 4):
        assert not set(first[0][:, column]) & set(first[1][:, column])  # epoch 2 is not epoch 1 again
    again = _epochs(5)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(_epochs(6)[0][:, 2:], first[0][:, 2:])


def test_seed_everything_seeds_all_generators_and_sets_the_environment(monkeypatch):
    monkeypatch.delenv("PL_GLOBAL_SEED", raising=False)
    assert L.seed_everything(11, workers=True, verbose=False) == 11
    assert os.environ["PL_GLOBAL_SEED"] == "11" and os.environ["PL_SEED_WORKERS"] == "1"
    values = (np.random.rand(), random.random(), tl.rand(1).item())
    L.seed_everything(verbose=False)  # None: reads PL_GLOBAL_SEED
    assert (np.random.rand(), random.random(), tl.rand(1).item()) == values
    with pytest.raises(ValueError, match="out of bounds"):
        L.seed_everything(-1)


class RecordingAugmentation(Classifier):
    def __init__(self):
        super().__init__()
        self.draws = []

    def training_step(self, batch, batch_idx):
        self.draws.append(batch[:, 2:].numpy().copy())
        return self(batch[:, :4]).sum()


def test_trainer_run_with_workers_repeats_and_varies_per_epoch(tmp_path):
    runs = []
    for _ in range(2):
        L.seed_everything(9, workers=True, verbose=False)
        model = RecordingAugmentation()
        loader = DataLoader(Augmenting(), batch_size=4, num_workers=2, shuffle=True)
        quiet_trainer(tmp_path, max_epochs=2).fit(model, loader)
        runs.append(np.concatenate(model.draws))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not set(runs[0][:8, 0]) & set(runs[0][8:, 0])
