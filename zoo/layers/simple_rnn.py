"""Vanilla (Elman) recurrent cell, for comparison: h' = tanh(x W + h U + b)."""

import keras
from keras import ops

from zoo.layers.cell_base import ZooCell


@keras.saving.register_keras_serializable(package="zoo")
class SimpleRNNCell(ZooCell):
    """Fully connected recurrent cell; weights as keras.layers.SimpleRNNCell."""

    gate_blocks = ("h",)

    def step(self, projected, states, training=False):
        h_prev = self.drop_recurrent(states[0], training)
        h = self.activation(projected + ops.matmul(h_prev, self.recurrent_kernel))
        return h, [h]
