"""Recurrent cells and layers, written with keras.ops (backend-agnostic).

Every cell works inside keras.layers.RNN, StackedRNNCells and
keras.layers.Bidirectional; `zoo.layers.RNN` also hands standard LSTM/GRU
to the backend's fused kernel (cuDNN on a GPU), and `zoo.layers.LSTM` /
`GRU` / `SimpleRNN` are drop-ins for the Keras layers that also take every
variant flag and load Keras weight files as they are.
"""

from zoo.layers.attention import BahdanauAttention, LuongAttention
from zoo.layers.gru import GRUCell
from zoo.layers.lstm import CIFGLSTMCell, LayerNormLSTMCell, LSTMCell, PeepholeLSTMCell
from zoo.layers.pooling import AttentionPooling
from zoo.layers.rnn import GRU, LSTM, RNN, SimpleRNN
from zoo.layers.simple_rnn import SimpleRNNCell

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


__all__ = [
    "AttentionPooling",
    "BahdanauAttention",
    "CELLS",
    "CIFGLSTMCell",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "LayerNormLSTMCell",
    "LuongAttention",
    "PeepholeLSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "make_cell",
]
