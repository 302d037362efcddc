"""tensorlib.summary / nn.summary.summary: rows per layer in call order, output shapes, parameter counts,
totals, trainable split, multiple inputs, and that the model's mode and hooks are restored."""

import pytest

import tensorlib as tl
import tensorlib.nn as nn
from tensorlib.nn.summary import summary


def _model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.5),
                         nn.Sequential(nn.Linear(32, 10), nn.LogSoftmax(dim=1)))


def test_summary_table_rows_and_totals():
    lines = []
    text = summary(_model(), (1, 28, 28), print_fn=lines.append)
    assert lines == [text]
    rows = text.splitlines()
    assert rows[1].split() == ["Layer", "Type", "Output", "Shape", "Param", "#"]
    body = [r.split(None, 2) for r in rows[3:9]]
    assert [b[0] for b in body] == ["0", "1", "2", "3", "4.0", "4.1"]
    assert [b[1] for b in body] == ["Flatten", "Linear", "ReLU", "Dropout", "Linear", "LogSoftmax"]
    assert "[1, 784]" in rows[3] and rows[4].rstrip().endswith("25,120") and "[1, 32]" in rows[4]
    assert "[1, 10]" in rows[7] and rows[7].rstrip().endswith("330")
    total = 784 * 32 + 32 + 32 * 10 + 10
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total:,}" in text and "Non-trainable params: 0" in text


def test_summary_counts_frozen_params_and_restores_state():
    model = _model()
    model[1].weight.requires_grad_(False)
    model.train()
    text = summary(model, (784,), batch_size=4, print_fn=None)
    assert "[4, 32]" in text
    assert f"Non-trainable params: {784 * 32:,}" in text
    assert model.training and model[3].training
    assert all(not m._forward_hooks for m in model.modules())


def test_summary_multiple_inputs_and_dtypes():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 3)
            self.fc = nn.Linear(3, 2)

        def forward(self, idx, x):
            return self.fc(self.emb(idx) + x)

    text = summary(Pair(), [(5,), (5, 3)], dtypes=[tl.int64, tl.float32], print_fn=None)
    assert "Embedding" in text and "[1, 5, 3]" in text and "[1, 5, 2]" in text
    with pytest.raises(ValueError, match="dtypes"):
        summary(Pair(), [(5,), (5, 3)], dtypes=[tl.int64], print_fn=None)


def test_top_level_alias():
    assert tl.summary is summary
