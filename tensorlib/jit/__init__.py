"""``tensorlib.jit``: record a model as a graph (``trace``), save it to one ``.tlj`` file and run it anywhere.

``trace`` records the forward pass and checks it against eager execution; ``save``/``load`` write and read one
self-contained file (JSON graph + safetensors weights, sha256-checked, never pickled); ``runtime.py`` runs such a
file with NumPy alone (``python -m tensorlib.jit.run model.tlj input.npy``).
"""

from ._module import TracedModule, load, save
from ._trace import TracingCheckError, script, trace
from ._tracer import TracerWarning, TracingError

ScriptModule = TracedModule

__all__ = ["trace", "script", "save", "load", "TracedModule", "ScriptModule", "TracingCheckError", "TracingError",
           "TracerWarning"]
