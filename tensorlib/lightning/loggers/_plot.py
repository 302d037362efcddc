"""A PNG of the logged curves, one small panel per metric, drawn with Pillow (no matplotlib needed)."""

from __future__ import annotations

import io
import math
from typing import Any

from ..._atomic import atomic_write

_PANEL_W, _PANEL_H, _COLUMNS = 360, 230, 2
_MARGIN_L, _MARGIN_R, _MARGIN_T, _MARGIN_B = 58, 14, 26, 30
_COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189)]


def curves(history: list) -> dict:
    """``{key: [(step, value), ...]}`` from a logger's ``(step, metrics)`` rows; 'epoch' and non-finite values
    are left out."""
    series: dict = {}
    for step, metrics in history:
        for key, value in metrics.items():
            if key == "epoch" or not isinstance(value, (int, float)) or not math.isfinite(value):
                continue
            series.setdefault(key, []).append((step if step is not None else len(series.get(key, [])),
                                               float(value)))
    return series


def _label(value: float) -> str:
    return f"{value:.4g}"


def _draw_panel(draw: Any, font: Any, left: int, top: int, title: str, points: list, colour: tuple) -> None:
    x0, y0 = left + _MARGIN_L, top + _MARGIN_T
    x1, y1 = left + _PANEL_W - _MARGIN_R, top + _PANEL_H - _MARGIN_B
    draw.text((left + _MARGIN_L, top + 6), title, fill=(0, 0, 0), font=font)
    draw.rectangle([x0, y0, x1, y1], outline=(90, 90, 90))
    steps = [p[0] for p in points]
    values = [p[1] for p in points]
    s_lo, s_hi = min(steps), max(steps)
    v_lo, v_hi = min(values), max(values)
    if v_hi == v_lo:
        v_lo, v_hi = v_lo - 0.5, v_hi + 0.5
    if s_hi == s_lo:
        s_lo, s_hi = s_lo - 1, s_hi + 1
    for fraction in (0.25, 0.5, 0.75):  # light grid
        y = y1 - fraction * (y1 - y0)
        draw.line([x0, y, x1, y], fill=(225, 225, 225))
    xy = [(x0 + (s - s_lo) / (s_hi - s_lo) * (x1 - x0), y1 - (v - v_lo) / (v_hi - v_lo) * (y1 - y0))
          for s, v in points]
    if len(xy) > 1:
        draw.line(xy, fill=colour, width=2)
    if len(xy) <= 40:
        for x, y in xy:
            draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=colour)
    draw.text((left + 4, y0 - 5), _label(v_hi), fill=(60, 60, 60), font=font)
    draw.text((left + 4, y1 - 7), _label(v_lo), fill=(60, 60, 60), font=font)
    draw.text((x0, y1 + 6), f"step {int(s_lo) if s_lo >= 0 else 0}", fill=(60, 60, 60), font=font)
    right = f"{int(s_hi)}"
    draw.text((x1 - 7 * len(right), y1 + 6), right, fill=(60, 60, 60), font=font)


def plot_metrics(history: list, path: str) -> str | None:
    """Write the curves of ``history`` to ``path`` (PNG, atomically); None (nothing written) when empty."""
    from PIL import Image, ImageDraw, ImageFont

    series = curves(history)
    if not series:
        return None
    rows = math.ceil(len(series) / _COLUMNS)
    columns = min(_COLUMNS, len(series))
    image = Image.new("RGB", (columns * _PANEL_W, rows * _PANEL_H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for index, (key, points) in enumerate(sorted(series.items())):
        row, column = divmod(index, _COLUMNS)
        _draw_panel(draw, font, column * _PANEL_W, row * _PANEL_H, key, points, _COLOURS[index % len(_COLOURS)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())
    return path
