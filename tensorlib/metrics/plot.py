"""Rendering a confusion matrix to an image with Pillow (the role of torchmetrics' matplotlib ``plot``).

``plot_confusion_matrix(matrix, labels, path)`` writes a PNG: class labels on both axes, the value in every cell,
cells shaded by their share of the row (diagonal green, errors red). ``ConfusionMatrix.plot()`` calls it and
returns ``(figure, None)`` like torchmetrics' ``(fig, ax)``; ``figure.savefig(path)`` writes the image.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tensorlib._atomic import atomic_write

from . import _host


class MetricFigure:
    """A rendered plot: ``.image`` is the PIL image; ``savefig(path)`` writes it (PNG unless the name says else)."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image

    def savefig(self, path: str | os.PathLike, format: str | None = None) -> None:
        path = os.fspath(path)
        if format is None:
            format = Image.registered_extensions().get(os.path.splitext(path)[1].lower(), "PNG")
        with atomic_write(path) as stream:
            self.image.save(stream, format=format)


def _font() -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=13)  # Pillow >= 10.1: a scalable font
    except TypeError:
        return ImageFont.load_default()


def _text(value: float, integer: bool) -> str:
    return str(int(value)) if integer else f"{value:.2f}"


def render_confusion_matrix(matrix, labels: Sequence[str] | None = None, add_text: bool = True,
                            title: str | None = None, cell: int = 40) -> Image.Image:
    """A ``(C, C)`` matrix (rows true, columns predicted) or a ``(L, 2, 2)`` stack drawn side by side."""
    values = np.asarray(_host.to_array(matrix))
    if values.ndim == 3:
        names = list(labels) if labels is not None else [str(i) for i in range(values.shape[0])]
        if len(names) != values.shape[0]:
            raise ValueError(f"plot: got {len(names)} labels for {values.shape[0]} confusion matrices")
        panels = [render_confusion_matrix(m, ["0", "1"], add_text, title=f"label {n}", cell=cell)
                  for m, n in zip(values, names)]
        canvas = Image.new("RGB", (sum(p.width for p in panels), max(p.height for p in panels)), "white")
        left = 0
        for panel in panels:
            canvas.paste(panel, (left, 0))
            left += panel.width
        return canvas
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"plot: expected a (C, C) confusion matrix, got shape {tuple(values.shape)}")
    classes = values.shape[0]
    names = [str(name) for name in labels] if labels is not None else [str(i) for i in range(classes)]
    if len(names) != classes:
        raise ValueError(f"plot: got {len(names)} labels for a {classes}x{classes} confusion matrix")
    integer = np.issubdtype(values.dtype, np.integer)
    font = _font()
    cell = max(cell, max(int(font.getlength(_text(v, integer))) for v in values.reshape(-1)) + 8)
    label_width = max(int(font.getlength(name)) for name in names) + 12
    header = 36
    width = label_width + classes * cell + 12
    height = header + label_width + classes * cell + 12
    image = Image.new("RGB", (max(width, 220), height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((6, 4), title or "confusion matrix", fill="black", font=font)
    draw.text((6, 18), "rows: true, columns: predicted", fill="dimgray", font=font)
    row_totals = np.maximum(values.sum(axis=1, keepdims=True), 1e-12)
    shares = np.clip(values / row_totals, 0.0, 1.0)
    origin_x, origin_y = label_width, header + label_width
    for row in range(classes):
        draw.text((6, origin_y + row * cell + cell // 2 - 5), names[row], fill="black", font=font)
        for col in range(classes):
            shade = int(255 * (1.0 - 0.75 * shares[row, col]))
            color = (shade, 255, shade) if row == col else (255, shade, shade)
            left, top = origin_x + col * cell, origin_y + row * cell
            box = (left, top, left + cell, top + cell)
            draw.rectangle(box, fill=color, outline="gray")
            if add_text:
                text = _text(values[row, col], integer)
                draw.text((box[0] + (cell - font.getlength(text)) / 2, box[1] + cell // 2 - 5), text, fill="black",
                          font=font)
    for col in range(classes):
        name_image = Image.new("RGB", (label_width, cell), "white")
        ImageDraw.Draw(name_image).text((4, cell // 2 - 5), names[col], fill="black", font=font)
        image.paste(name_image.rotate(90, expand=True), (origin_x + col * cell, header))
    return image


def plot_confusion_matrix(matrix, labels: Sequence[str] | None = None, path: str | os.PathLike | None = None,
                          add_text: bool = True, title: str | None = None) -> MetricFigure:
    """Render ``matrix`` and, when ``path`` is given, write it there atomically."""
    figure = MetricFigure(render_confusion_matrix(matrix, labels, add_text, title))
    if path is not None:
        figure.savefig(path)
    return figure
