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


@keras.saving.register_keras_serializable(package="zoo")
class LayerNormSimpleRNNCell(SimpleRNNCell):
    """SimpleRNNCell with layer normalisation (Ba et al. 2016) of the summed
    inputs, scale only, and the bias after it:

        h_t = act(LN(x_t W + h_{t-1} U) + b)      LN(a) = g * (a - mean) / std

    The bias plays LN's centring role. `layernorm` is a Keras
    LayerNormalization (center=False), as in TF Addons.

    Example:

    >>> import keras, numpy as np
    >>> cell = LayerNormSimpleRNNCell(8)
    >>> tuple(keras.layers.RNN(cell)(np.zeros((2, 5, 3), "float32")).shape)
    (2, 8)
    """

    def __init__(
        self,
        units: int,
        layernorm_epsilon: float = 1e-5,
        gamma_initializer="ones",
        gamma_regularizer=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.layernorm = keras.layers.LayerNormalization(
            epsilon=layernorm_epsilon,
            center=False,
            gamma_initializer=gamma_initializer,
            gamma_regularizer=gamma_regularizer,
            gamma_constraint=gamma_constraint,
            dtype=self.dtype_policy,
            name="layernorm",
        )

    def build_extra_weights(self):
        self.layernorm.build((None, self.units))

    def add_input_bias(self, projected):
        return projected  # added after the normalisation, in step

    def step(self, projected, states, training=False):
        h_prev = self.drop_recurrent(states[0], training)
        h = self.layernorm(projected + ops.matmul(h_prev, self.recurrent_kernel))
        if self.use_bias:
            h = h + self.bias
        h = self.activation(h)
        return h, [h]

    def get_config(self):
        norm = self.layernorm.get_config()
        return {
            **super().get_config(),
            "layernorm_epsilon": norm["epsilon"],
            "gamma_initializer": norm["gamma_initializer"],
            "gamma_regularizer": norm["gamma_regularizer"],
            "gamma_constraint": norm["gamma_constraint"],
        }
