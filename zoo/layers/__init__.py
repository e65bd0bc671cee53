"""Recurrent cells and layers, written with keras.ops (backend-agnostic).

Every cell works inside keras.layers.RNN, StackedRNNCells and
keras.layers.Bidirectional; `zoo.layers.RNN` runs them faster (input
projection hoisted out of the time loop, cuDNN for standard LSTM/GRU).
"""

from zoo.layers.gru import GRUCell
from zoo.layers.lstm import CIFGLSTMCell, LayerNormLSTMCell, LSTMCell, PeepholeLSTMCell
from zoo.layers.rnn import RNN
from zoo.layers.simple_rnn import SimpleRNNCell

__all__ = [
    "CIFGLSTMCell",
    "GRUCell",
    "LSTMCell",
    "LayerNormLSTMCell",
    "PeepholeLSTMCell",
    "RNN",
    "SimpleRNNCell",
]
