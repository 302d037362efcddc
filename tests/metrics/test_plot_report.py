"""ConfusionMatrix.plot() writes a readable PNG; the per-class text report."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
import tensorlib.metrics as tm


def _filled_matrix():
    metric = tm.ConfusionMatrix(task="multiclass", num_classes=3)
    metric.update(tl.tensor([0, 0, 1, 2, 2, 2, 1]), tl.tensor([0, 1, 1, 2, 2, 0, 1]))
    return metric


def test_plot_writes_a_png_with_a_cell_per_class(tmp_path):
    metric = _filled_matrix()
    path = tmp_path / "confusion.png"
    figure, ax = metric.plot(labels=["cat", "dog", "bird"], path=path)
    assert ax is None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = np.asarray(Image.open(path).convert("RGB")).astype(int)
    green = (image[..., 1] > 200) & (image[..., 0] < 200)  # shaded diagonal cells
    red = (image[..., 0] > 200) & (image[..., 1] < 220) & (image[..., 2] < 220)  # off-diagonal errors
    assert green.sum() > 500 and red.sum() > 200
    figure.savefig(tmp_path / "again.png")
    assert Image.open(tmp_path / "again.png").size == figure.image.size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "confusion.png"]  # no temp files left


def test_plot_of_normalised_values_and_multilabel_panels(tmp_path):
    normalised = tm.MulticlassConfusionMatrix(3, normalize="true")
    normalised.update(tl.tensor([0, 1, 2, 2]), tl.tensor([0, 1, 1, 2]))
    normalised.plot(path=tmp_path / "norm.png")
    multilabel = tm.MultilabelConfusionMatrix(3)
    multilabel.update(tl.tensor([[1, 0, 1], [0, 1, 1]]), tl.tensor([[1, 1, 0], [0, 1, 1]]))
    figure, _ = multilabel.plot()
    single, _ = tm.BinaryConfusionMatrix().plot(val=tl.tensor([[3, 1], [0, 2]]))
    assert figure.image.width > 2.5 * single.image.width
    with pytest.raises(ValueError, match="2 labels for a 3x3"):
        _filled_matrix().plot(labels=["a", "b"])
    with pytest.raises(ValueError, match="matplotlib"):
        _filled_matrix().plot(ax=object())


def test_classification_report_lists_every_class_and_the_matrix():
    preds, target = tl.tensor([0, 0, 1, 2, 2, 2, 1]), tl.tensor([0, 1, 1, 2, 2, 0, 1])
    collection = tm.MetricCollection({"precision": tm.MulticlassPrecision(3, average=None),
                                      "recall": tm.MulticlassRecall(3, average=None),
                                      "f1": tm.MulticlassF1Score(3, average=None),
                                      "confusion": tm.MulticlassConfusionMatrix(3)})
    collection.update(preds, target)
    report = tm.format_classification_report(collection.compute(), ["cat", "dog", "bird"])
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1", "support"]
    cat = lines[1].split()
    assert cat[0] == "cat" and float(cat[3]) == pytest.approx(0.5, abs=1e-3) and cat[4] == "2"
    assert lines[4].startswith("macro avg") and lines[4].split()[-1] == "7"
    assert "confusion matrix (rows: true class, columns: predicted)" in report
    assert report.splitlines()[-1].split() == ["bird", "0", "0", "2"]
