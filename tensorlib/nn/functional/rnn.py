"""The recurrent kernels behind ``nn.RNN``/``LSTM``/``GRU`` and the packed-sequence layout conversions.

PyTorch's modules call private ``_VF`` functions here; these are tensorlib's equivalents, not public API.
"""

from ...functional.rnn import packed_to_padded as packed_to_padded
from ...functional.rnn import padded_to_packed as padded_to_packed
from ...functional.rnn import recurrent_sequence as recurrent_sequence
from ...kernels.rnn import num_gates as num_gates

__all__: list = []
