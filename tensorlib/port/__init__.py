"""``tensorlib.port``: port a PyTorch script by rewriting its imports, and list what tensorlib lacks.

``python -m tensorlib.port script.py`` prints the rewritten script; see ``__main__`` for the options.
"""

from ._resolve import Unsupported, find_unsupported
from ._rewrite import rewrite_source
from ._table import MODULE_TABLE, map_module

__all__ = ["MODULE_TABLE", "Unsupported", "find_unsupported", "map_module", "rewrite_source"]
