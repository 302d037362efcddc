"""``tensorlib.text.datasets``: torchtext.datasets's module path for the text datasets of ``tensorlib.datasets``.

Unlike torchtext's datapipes these are map-style (``len()``, indexing); iterating them yields the same
``(label, text)`` items, so ``to_map_style_dataset`` is a no-op on them.
"""

from tensorlib.datasets.text import AG_NEWS, IMDB

__all__ = ["AG_NEWS", "IMDB"]
