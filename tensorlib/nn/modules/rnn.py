"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (multi-layer, bidirectional, packed input) and their cells.

Each (layer, direction) runs as one fused kernel over the whole sequence (``tensorlib.kernels.rnn``). Parameters,
gate order (LSTM i,f,g,o; GRU r,z,n), shapes, names and initialisation follow PyTorch, so state_dicts are
interchangeable.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import List, Optional, Tuple

from ...autograd.grad_mode import no_grad
from ...creation import empty
from ...functional import cat, stack
from ...tensor import Tensor
from .. import functional as F
from ..functional.rnn import num_gates, packed_to_padded, padded_to_packed, recurrent_sequence
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from .module import Module, shape_error

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _shape(t: Tensor) -> tuple:
    return tuple(t.shape)


def _check_dtypes(layer: Module, input: Tensor, weight: Tensor, states) -> None:
    """PyTorch refuses mixed dtypes instead of silently casting; so do we."""
    if not input.dtype.is_floating_point:
        raise TypeError(f"{type(layer).__name__} expects a floating point input, got {input.dtype}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"{type(layer).__name__}: input dtype {input.dtype} does not match the parameters' "
                           f"dtype {weight.dtype}; convert one of them (e.g. model.double() or input.float())")
    for state in states:
        if state is not None and state.dtype != input.dtype:
            raise RuntimeError(f"input and hidden tensors are not the same dtype, found input tensor with "
                               f"{input.dtype} and hidden tensor with {state.dtype}")


def _check_size(name: str, value, allow_zero: bool = False) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be greater than zero, got {value}")


class RNNBase(Module):
    """Shared machinery of ``RNN``/``LSTM``/``GRU``: ``mode`` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'.

    Input ``(T, N, input_size)`` (``(N, T, input_size)`` if ``batch_first``), unbatched ``(T, input_size)``
    or a ``PackedSequence``; output ``(T, N, D * out)`` with ``out = proj_size or hidden_size``, ``D = 2`` if
    bidirectional, and ``h_n (num_layers * D, N, out)`` (plus ``c_n (num_layers * D, N, hidden_size)``).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        _check_size("input_size", input_size, allow_zero=True)
        _check_size("hidden_size", hidden_size)
        _check_size("num_layers", num_layers)
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             f"element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                             f"hidden_size={hidden_size}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = num_gates(mode) * hidden_size
        real_hidden = proj_size or hidden_size
        self._flat_weights_names: List[str] = []
        self._all_weights: List[List[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = [(f"weight_ih_l{layer}{suffix}", (gate_size, layer_input)),
                          (f"weight_hh_l{layer}{suffix}", (gate_size, real_hidden))]
                if bias:
                    shapes += [(f"bias_ih_l{layer}{suffix}", (gate_size,)),
                               (f"bias_hh_l{layer}{suffix}", (gate_size,))]
                if proj_size:
                    shapes.append((f"weight_hr_l{layer}{suffix}", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name, Parameter(empty(shape, dtype=dtype, device=device)))
                names = [name for name, _ in shapes]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        with no_grad():
            for weight in self.parameters():
                weight.uniform_(-bound, bound)

    def flatten_parameters(self) -> None:
        """No-op (PyTorch compacts cuDNN weights here; the NumPy kernels need no special layout)."""

    @property
    def all_weights(self) -> List[List[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> List[Parameter]:
        return [getattr(self, name) for name in self._flat_weights_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------------------------------ forward
    def _layer_weights(self, layer: int, direction: int) -> tuple:
        suffix = "_reverse" if direction == 1 else ""
        get = self._parameters.get
        return (get(f"weight_ih_l{layer}{suffix}"), get(f"weight_hh_l{layer}{suffix}"),
                get(f"bias_ih_l{layer}{suffix}"), get(f"bias_hh_l{layer}{suffix}"),
                get(f"weight_hr_l{layer}{suffix}"))

    def _state_shapes(self, batch: int) -> Tuple[tuple, tuple]:
        layers = self.num_layers * (2 if self.bidirectional else 1)
        return (layers, batch, self.proj_size or self.hidden_size), (layers, batch, self.hidden_size)

    def _check_state(self, state: Tensor, expected: tuple, batched: bool, what: str) -> None:
        want = expected if batched else (expected[0], expected[2])
        if _shape(state) != want:
            raise shape_error(self, f"expected {what} of shape {want}, got {_shape(state)}")

    def _forward_lengths(self, input, hx, lengths):
        if not isinstance(input, Tensor) or input.dim() != 3:
            raise ValueError(f"{type(self).__name__}: lengths= needs a padded 3-D batch, got "
                             f"{type(input).__name__ if not isinstance(input, Tensor) else _shape(input)}")
        time_axis = 1 if self.batch_first else 0
        packed = pack_padded_sequence(input, lengths, batch_first=self.batch_first, enforce_sorted=False)
        output, hidden = self.forward(packed, hx)
        output, _ = pad_packed_sequence(output, batch_first=self.batch_first, total_length=input.shape[time_axis])
        return output, hidden

    def _split_hx(self, hx) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        if self.mode == "LSTM":
            if hx is None:
                return None, None
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM expects hx to be a tuple (h_0, c_0) of tensors")
            return hx[0], hx[1]
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{type(self).__name__} expects hx to be a single tensor, got a {type(hx).__name__}")
        return hx, None

    def forward(self, input, hx=None, *, lengths=None):
        """``lengths`` (a tensorlib extension): the true length of each sequence of a padded batch. The batch is
        packed (any order) and the output padded back with zeros, so padding never reaches the final states."""
        if lengths is not None:
            return self._forward_lengths(input, hx, lengths)
        packed = isinstance(input, PackedSequence)
        if packed:
            features = input.data.shape[-1] if input.data.dim() == 2 else None
            shown = _shape(input.data)
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{type(self).__name__} expects a Tensor or PackedSequence, got "
                                f"{type(input).__name__}")
            if input.dim() not in (2, 3):
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 f"instead (shape {_shape(input)})")
            features, shown = input.shape[-1], _shape(input)
            steps = input.shape[1] if input.dim() == 3 and self.batch_first else input.shape[0]
            if steps == 0:  # PyTorch's error and type
                raise RuntimeError(f"{type(self).__name__}: Expected sequence length to be larger than 0 in RNN, "
                                   f"got input of shape {shown}")
        if features != self.input_size:
            raise shape_error(self, f"expected input with {self.input_size} features (input_size), got {shown}")
        data = input.data if packed else input
        _check_dtypes(self, data, self.weight_ih_l0, self._split_hx(hx))
        h0, c0 = self._split_hx(hx)
        if packed:
            batch_sizes = tuple(input.batch_sizes.tolist())
            x = packed_to_padded(input.data, input.batch_sizes)
            batched = True
        else:
            batch_sizes = None
            batched = input.dim() == 3
            x = input.unsqueeze(1) if not batched else (input.transpose(0, 1) if self.batch_first else input)
        h_shape, c_shape = self._state_shapes(x.shape[1])
        if h0 is not None:
            self._check_state(h0, h_shape, batched, "hidden state")
            h0 = h0 if batched else h0.unsqueeze(1)
        if c0 is not None:
            self._check_state(c0, c_shape, batched, "cell state")
            c0 = c0 if batched else c0.unsqueeze(1)
        if packed and input.sorted_indices is not None:
            h0 = None if h0 is None else h0.index_select(1, input.sorted_indices)
            c0 = None if c0 is None else c0.index_select(1, input.sorted_indices)
        output, h_n, c_n = self._run(x, h0, c0, batch_sizes)
        if packed:
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = None if c_n is None else c_n.index_select(1, input.unsorted_indices)
            output = input._with_data(padded_to_packed(output, input.batch_sizes))
        elif not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def _run(self, x: Tensor, h0: Optional[Tensor], c0: Optional[Tensor], batch_sizes):
        """All layers over time-major ``x (T, N, I)``; returns ``(output, h_n, c_n or None)``."""
        directions = 2 if self.bidirectional else 1
        h_list, c_list = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, direction)
                out, h, c = recurrent_sequence(
                    layer_input, None if h0 is None else h0[index], None if c0 is None else c0[index],
                    w_ih, w_hh, b_ih, b_hh, w_hr, mode=self.mode, reverse=direction == 1,
                    batch_sizes=batch_sizes)
                outputs.append(out)
                h_list.append(h)
                c_list.append(c)
            layer_input = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout)
        c_n = stack(c_list, 0) if self.mode == "LSTM" else None
        return layer_input, stack(h_list, 0), c_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (``nonlinearity='relu'`` for ReLU)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    """LSTM with gates i, f, g, o stacked in that order; ``proj_size > 0`` projects ``h_t`` with ``weight_hr``.

    ``forward(input, (h_0, c_0))`` returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """GRU with gates r, z, n; ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) n + z h``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


# ---------------------------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One time step: ``weight_ih (G*hidden, input_size)``, ``weight_hh (G*hidden, hidden)``, biases ``(G*hidden,)``.

    Input ``(N, input_size)`` or unbatched ``(input_size,)``; state ``(N, hidden)`` / ``(hidden,)``.
    """

    mode: str

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        _check_size("input_size", input_size, allow_zero=True)
        _check_size("hidden_size", hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        with no_grad():
            for weight in self.parameters():
                weight.uniform_(-bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input: Tensor, states: Tuple[Optional[Tensor], ...]):
        """Validate; return ``(x (1, N, I), states as (N, H) or None, batched)``."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name} expects a Tensor input, got {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead "
                             f"(shape {_shape(input)})")
        if input.shape[-1] != self.input_size:
            raise shape_error(self, f"expected input with {self.input_size} features (input_size), "
                                    f"got {_shape(input)}")
        _check_dtypes(self, input, self.weight_ih, states)
        batched = input.dim() == 2
        want = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        checked = []
        for state, what in zip(states, ("hidden state", "cell state")):
            if state is not None:
                if _shape(state) != want:
                    raise shape_error(self, f"expected {what} of shape {want}, got {_shape(state)}")
                state = state if batched else state.unsqueeze(0)
            checked.append(state)
        x = input.unsqueeze(0) if batched else input.unsqueeze(0).unsqueeze(0)
        return x, checked, batched

    def _step(self, x: Tensor, h: Optional[Tensor], c: Optional[Tensor]):
        _, h_new, c_new = recurrent_sequence(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                                             mode=self.mode)
        return h_new, c_new


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, (h,), batched = self._prepare(input, (hx,))
        h_new, _ = self._step(x, h, None)
        return h_new if batched else h_new.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c))`` returns ``(h', c')``."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        states = (None, None) if hx is None else tuple(hx)
        if len(states) != 2:
            raise TypeError("LSTMCell expects hx to be a tuple (h, c) of tensors")
        x, (h, c), batched = self._prepare(input, states)
        h_new, c_new = self._step(x, h, c)
        return (h_new, c_new) if batched else (h_new.squeeze(0), c_new.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``r, z, n`` gates as in ``GRU``."""

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, (h,), batched = self._prepare(input, (hx,))
        h_new, _ = self._step(x, h, None)
        return h_new if batched else h_new.squeeze(0)
