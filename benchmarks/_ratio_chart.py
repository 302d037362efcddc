"""A PNG chart of tensorlib / PyTorch time ratios, one row per workload (the training benchmarks' ``--plot``)."""

from __future__ import annotations


class RatioChart:
    """A titled canvas with a label column and a ratio axis from 0 to ``high`` (ticks every 0.5x); the caller
    draws each row's bars on ``draw`` at ``x(ratio)`` and ``y(row)``, then ``save``s it."""

    LABEL_WIDTH, BAR_WIDTH = 330, 560

    def __init__(self, title: str, rows: int, high: float, row_height: int = 30, top: int = 40,
                 right_margin: int = 120, mark_one: bool = False) -> None:
        from PIL import Image, ImageDraw, ImageFont

        try:
            self.font = ImageFont.load_default(size=14)
        except TypeError:  # Pillow < 10.1
            self.font = ImageFont.load_default()
        self.row_height, self.top, self.scale = row_height, top, self.BAR_WIDTH / high
        bottom = top + row_height * rows
        self.image = Image.new("RGB", (self.LABEL_WIDTH + self.BAR_WIDTH + right_margin, bottom + 40), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.draw.text((10, 10), title, fill="black", font=self.font)
        for tick in [t / 2 for t in range(int(high * 2) + 1)]:
            x = self.x(tick)
            grid = (150, 150, 150) if mark_one and tick == 1 else (225, 225, 225)  # PyTorch's own time
            self.draw.line([(x, top - 5), (x, bottom)], fill=grid)
            self.draw.text((x - 10, bottom + 5), f"{tick:g}x", fill="black", font=self.font)

    def x(self, ratio: float) -> float:
        return self.LABEL_WIDTH + ratio * self.scale

    def y(self, row: int) -> int:
        return self.top + row * self.row_height

    def text(self, x: float, row: int, text: str) -> None:
        """``text`` at ``x``, vertically centred in ``row``."""
        self.draw.text((x, self.y(row) + (self.row_height - 16) // 2), text, fill="black", font=self.font)

    def save(self, path: str) -> None:
        from tensorlib._atomic import atomic_write

        with atomic_write(path) as stream:
            self.image.save(stream, format="PNG")
