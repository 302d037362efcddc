"""Models and example inputs shared by the export tests (tests/jit, tests/onnx): every vision model at a small
input size, the MNIST MLP and the text example's bag / packed (bi)LSTM / GRU classifiers."""

from __future__ import annotations

import sys
from pathlib import Path

import tensorlib as tl
from tensorlib import nn
from tensorlib.vision import models

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import train_text_classifier as text_example  # noqa: E402


class MLP(nn.Module):
    """examples/train_mnist.py's 784-128-64-10 network."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(-1, 28 * 28)
        return self.fc3(tl.relu(self.fc2(tl.relu(self.fc1(x)))))


class SequenceTagger(nn.Module):
    """A unidirectional GRU over a padded time-major batch with ``lengths=``; returns a dict of outputs."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(5, 6, num_layers=2)
        self.head = nn.Linear(6, 3)

    def forward(self, x, lengths):
        out, h = self.rnn(x, lengths=lengths)
        return {"tags": self.head(out), "state": h}


def _image(batch: int, channels: int = 3, size: int = 32):
    return (tl.randn(batch, channels, size, size),)


def _tokens(batch: int):
    lengths = [max(1, 5 - (i % 5)) for i in range(batch)]
    padded = tl.zeros(batch, 5, dtype=tl.int64)
    for row, length in enumerate(lengths):
        padded[row, :length] = tl.randint(2, 50, (length,))
    return padded, tl.tensor(lengths)


def _bag(batch: int):
    sizes = [1 + (i % 3) for i in range(batch)]
    offsets = [sum(sizes[:i]) for i in range(batch)]
    return tl.randint(0, 50, (sum(sizes),)), tl.tensor(offsets)


def _vision_case(name: str):
    kwargs = {"num_classes": 10}
    if name.startswith("vgg"):
        kwargs["input_size"] = 32
    if name == "lenet5":
        return lambda: models.get_model(name, **kwargs), lambda b: _image(b, 1, 28)
    if name.startswith("vit"):
        if name == "vit_b_16":
            kwargs["image_size"] = 32  # 2x2 patches of 16: the full depth and width on a small input
        return lambda: _random_head(models.get_model(name, **kwargs)), lambda b: _image(b, 3, 32)
    size = 16 if name.startswith("resnet") and name[6:].isdigit() and int(name[6:]) in (20, 32, 56) else 32
    return lambda: models.get_model(name, **kwargs), lambda b: _image(b, 3, size)


def _random_head(model):
    """torchvision zero-initialises the ViT head (every output would be 0): give it weights to compare."""
    nn.init.normal_(model.heads.head.weight, std=0.1)
    return model


def cases() -> dict:
    """name -> (build model, make example inputs for a batch size)."""
    found = {name: _vision_case(name) for name in models.list_models()}
    found["mlp"] = (MLP, lambda b: (tl.randn(b, 1, 28, 28),))
    found["text_bag"] = (lambda: text_example.TextClassificationModel(50, 8, 4), _bag)
    for cell in ("lstm", "gru"):
        found[f"text_{cell}_bidirectional_packed"] = (
            lambda cell=cell: text_example.RNNClassifier(50, 8, 6, 4, cell=cell, padding_idx=0), _tokens)
    found["text_lstm_packed"] = (
        lambda: _unidirectional_lstm(), _tokens)
    found["gru_lengths_dict_output"] = (SequenceTagger, lambda b: (tl.randn(4, b, 5), tl.tensor(
        [4 - (i % 3) for i in range(b)])))
    return found


def _unidirectional_lstm():
    model = text_example.RNNClassifier(50, 8, 6, 4, cell="lstm", padding_idx=0)
    model.rnn = nn.LSTM(8, 6, batch_first=True)
    model.fc = nn.Linear(6, 4)
    model.bidirectional = False
    return model


def build(name: str):
    """``(model in eval mode, example-input maker)`` for one case, seeded."""
    tl.manual_seed(0)
    make_model, make_inputs = cases()[name]
    return make_model().eval(), make_inputs


def flatten(obj) -> list:
    if isinstance(obj, (tuple, list)):
        return [x for o in obj for x in flatten(o)]
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in flatten(v)]
    return [obj.numpy() if isinstance(obj, tl.Tensor) else obj]


# deep or wide variants of architectures already covered by a smaller sibling: run with the slow tests
HEAVY = {"resnet34", "resnet50", "resnet56", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vit_b_16"}


def case_params():
    """pytest params over every case, the heavy ones marked slow."""
    import pytest

    return [pytest.param(name, marks=pytest.mark.slow) if name in HEAVY else name for name in sorted(cases())]
