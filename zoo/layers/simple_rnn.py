"""Vanilla (Elman) recurrent cell, for comparison: h' = tanh(x W + h U + b)."""

import keras
from keras import ops

from zoo.layers.cell_base import ZooCell


@keras.saving.register_keras_serializable(package="zoo")
class SimpleRNNCell(ZooCell):
    """Fully connected recurrent cell, h_t = tanh(x_t W + h_{t-1} U + b),
    with keras.layers.SimpleRNNCell's weights and arguments.

    Example:

    >>> import keras, numpy as np
    >>> tuple(keras.layers.RNN(SimpleRNNCell(8))(np.zeros((2, 5, 3), "float32")).shape)
    (2, 8)
    """

    gate_blocks = ("h",)

    def step(self, projected, states, training=False):
        h_prev = self.drop_recurrent(states[0], training)
        h = self.activation(projected + ops.matmul(h_prev, self.recurrent_kernel))
        return h, [h]
