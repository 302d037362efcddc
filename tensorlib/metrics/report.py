"""A per-class text report (precision, recall, F1, support) and a confusion-matrix table.

A tensorlib extra (torchmetrics has no report): feed it the ``average=None`` results of
``MulticlassPrecision``/``MulticlassRecall``/``MulticlassF1Score`` and a ``MulticlassConfusionMatrix``::

    metrics = MetricCollection({"precision": MulticlassPrecision(10, average=None),
                                "recall": MulticlassRecall(10, average=None),
                                "f1": MulticlassF1Score(10, average=None),
                                "confusion": MulticlassConfusionMatrix(10)})
    ...  # metrics.update(logits, labels) per batch
    print(format_classification_report(metrics.compute(), class_names))
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import _host


def format_confusion_matrix(matrix, class_names: Sequence[str] | None = None) -> str:
    """A ``(C, C)`` matrix as aligned text: rows true class, columns predicted."""
    values = np.asarray(_host.to_array(matrix))
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(values.shape[0])]
    cells = [[str(v) if np.issubdtype(values.dtype, np.integer) else f"{v:.2f}" for v in row] for row in values]
    width = max(max(len(n) for n in names), max(len(c) for row in cells for c in row)) + 2
    lines = ["confusion matrix (rows: true class, columns: predicted)",
             " " * width + "".join(name.rjust(width) for name in names)]
    lines += [name.ljust(width) + "".join(c.rjust(width) for c in row) for name, row in zip(names, cells)]
    return "\n".join(lines)


def format_classification_report(results: Mapping[str, object], class_names: Sequence[str] | None = None,
                                 digits: int = 3) -> str:
    """Per-class rows of every 1-D result in ``results`` (precision, recall, F1 columns first), a macro-average
    row, and, when a ``(C, C)`` confusion matrix is among the results, a support column and the matrix itself."""
    per_class = {key: _host.to_array(value) for key, value in results.items() if _host.to_array(value).ndim == 1}
    matrices = [_host.to_array(value) for value in results.values() if _host.to_array(value).ndim == 2]
    size = next(iter(per_class.values())).shape[0] if per_class else matrices[0].shape[0]
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(size)]
    order = ("precision", "recall", "f1", "fbeta")  # the usual report order, whatever the dict order
    columns = sorted(per_class, key=lambda k: next((i for i, word in enumerate(order) if word in k.lower()), 9))
    support = matrices[0].sum(axis=1) if matrices else None
    name_width = max(len(n) for n in names + ["macro avg"]) + 2
    col_width = max([len(c) for c in columns] + [digits + 4, 9]) + 2
    header = "".ljust(name_width) + "".join(c.rjust(col_width) for c in columns)
    header += "support".rjust(col_width) if support is not None else ""
    lines = [header]
    for i, name in enumerate(names):
        row = name.ljust(name_width) + "".join(f"{per_class[c][i]:.{digits}f}".rjust(col_width) for c in columns)
        lines.append(row + (str(int(support[i])).rjust(col_width) if support is not None else ""))
    macro = "macro avg".ljust(name_width) + "".join(f"{per_class[c].mean():.{digits}f}".rjust(col_width)
                                                     for c in columns)
    lines.append(macro + (str(int(support.sum())).rjust(col_width) if support is not None else ""))
    if matrices:
        lines += ["", format_confusion_matrix(matrices[0], names)]
    return "\n".join(lines)
