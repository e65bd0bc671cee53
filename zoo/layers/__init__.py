"""Recurrent cells and layers, written with keras.ops (backend-agnostic).

Every cell works inside keras.layers.RNN, StackedRNNCells and
keras.layers.Bidirectional; `zoo.layers.RNN` also hands standard LSTM/GRU
to the backend's fused kernel (cuDNN on a GPU), and `zoo.layers.LSTM` /
`GRU` / `SimpleRNN` are drop-ins for the Keras layers that also take every
variant flag and load Keras weight files as they are.
"""

from zoo.layers.attention import BahdanauAttention, LuongAttention
from zoo.layers.esn import ESNCell
from zoo.layers.gru import GRUCell
from zoo.layers.lstm import CIFGLSTMCell, LayerNormLSTMCell, LSTMCell, PeepholeLSTMCell
from zoo.layers.nas import NASCell
from zoo.layers.pooling import AttentionPooling
from zoo.layers.rnn import GRU, LSTM, RNN, SimpleRNN
from zoo.layers.simple_rnn import LayerNormSimpleRNNCell, SimpleRNNCell

# Short cell names, as recipes and command lines spell them.
CELLS = {
    "lstm": LSTMCell,
    "peephole": PeepholeLSTMCell,
    "cifg": CIFGLSTMCell,
    "layer-norm": LayerNormLSTMCell,
    "gru": GRUCell,
    "rnn": SimpleRNNCell,
}


def make_cell(cell, units, options=None):
    """A cell by short name, e.g. make_cell("gru", 128, {"reset_after": False})."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {sorted(CELLS)}")
    return CELLS[cell](units, **(options or {}))


# Cells whose layer is a subclass of the Keras layer of the same name, so
# Keras' Bidirectional may run both directions as one fused kernel.
_KERAS_LAYERS = {"lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}


def make_layer(cell, units, options=None, **layer_args):
    """A recurrent layer by cell short name: zoo.layers.LSTM / GRU /
    SimpleRNN for "lstm" / "gru" / "rnn" (options are their flags),
    zoo.layers.RNN over make_cell(...) for the named variants. Weights sit
    under `cell` either way, so the choice does not move them in a file."""
    if cell in _KERAS_LAYERS:
        return _KERAS_LAYERS[cell](units, **(options or {}), **layer_args)
    return RNN(make_cell(cell, units, options), **layer_args)


__all__ = [
    "AttentionPooling",
    "BahdanauAttention",
    "CELLS",
    "CIFGLSTMCell",
    "ESNCell",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "LayerNormLSTMCell",
    "LayerNormSimpleRNNCell",
    "LuongAttention",
    "NASCell",
    "PeepholeLSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "make_cell",
    "make_layer",
]
