"""The recurrent kernels behind ``nn.RNN``/``LSTM``/``GRU`` and the packed-sequence layout conversions.

PyTorch's modules call private ``_VF`` functions here; these are tensorlib's equivalents, not public API.
"""


__all__: list = []
