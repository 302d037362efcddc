"""``tensorlib.onnx.export``: write a model as an ONNX file from the same trace as ``tensorlib.jit``.

Needs the optional ``onnx`` package (``pip install tensorlib[onnx]``; ``onnxruntime`` runs the result).
"""

from ._export import UnsupportedOperatorError
from ._exporter import export

__all__ = ["export", "UnsupportedOperatorError"]
