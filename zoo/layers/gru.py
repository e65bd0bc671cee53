"""GRU cell in Keras' convention (Cho et al. 2014), both reset placements.

    z  = sigmoid(x W_z + h U_z + b_z)
    r  = sigmoid(x W_r + h U_r + b_r)
    reset_after=True  (Keras default, cuDNN, ONNX linear_before_reset=1):
        hh = tanh(x W_h + b_h + r * (h U_h + b'_h))      bias shape (2, 3*units)
    reset_after=False (the original paper):
        hh = tanh(x W_h + (r * h) U_h + b_h)             bias shape (3*units,)
    h' = z * h + (1 - z) * hh

Gate blocks z, r, h along the last axis, as keras.layers.GRU.
"""

import keras
from keras import ops

from zoo.layers.cell_base import ZooCell, check_flag, check_implementation


@keras.saving.register_keras_serializable(package="zoo")
class GRUCell(ZooCell):
    """Gated recurrent unit, with keras.layers.GRUCell's weight layout.

    Args:
        units: size of the hidden state.
        reset_after: apply the reset gate after the recurrent matmul (Keras'
            default and cuDNN's, ONNX's linear_before_reset=1). With False
            the candidate needs r before its recurrent matmul, so each step
            does two recurrent matmuls (z|r, then h) instead of one.
        implementation: Keras' legacy argument; accepted, no effect.
        **kwargs: activation, recurrent_activation, use_bias, initializers,
            regularizers, constraints, dropout and recurrent_dropout, as
            keras.layers.GRUCell takes them.

    Example:

    >>> import keras, numpy as np
    >>> tuple(keras.layers.RNN(GRUCell(8))(np.zeros((2, 5, 3), "float32")).shape)
    (2, 8)
    """

    gate_blocks = ("z", "r", "h")

    def __init__(self, units: int, reset_after: bool = True, implementation: int = 2, **kwargs):
        super().__init__(units, **kwargs)
        self.implementation = check_implementation(implementation)
        self.reset_after = check_flag("reset_after", reset_after)

    def bias_shape(self):
        return (2, self.gate_width) if self.reset_after else (self.gate_width,)

    def add_input_bias(self, projected):
        if not self.use_bias:
            return projected
        return projected + (self.bias[0] if self.reset_after else self.bias)

    def step(self, projected, states, training=False):
        h_prev = states[0]
        h_in = self.drop_recurrent(h_prev, training)
        x_z, x_r, x_h = ops.split(projected, 3, axis=-1)
        if self.reset_after:
            hu = ops.matmul(h_in, self.recurrent_kernel)
            if self.use_bias:
                hu = hu + self.bias[1]
            h_z, h_r, h_h = ops.split(hu, 3, axis=-1)
            z = self.recurrent_activation(x_z + h_z)
            r = self.recurrent_activation(x_r + h_r)
            candidate = self.activation(x_h + r * h_h)
        else:
            units = self.units
            h_zr = ops.matmul(h_in, self.recurrent_kernel[:, : 2 * units])
            z = self.recurrent_activation(x_z + h_zr[:, :units])
            r = self.recurrent_activation(x_r + h_zr[:, units:])
            candidate = self.activation(
                x_h + ops.matmul(r * h_in, self.recurrent_kernel[:, 2 * units :])
            )
        h = z * h_prev + (1.0 - z) * candidate
        return h, [h]

    def fused_kernel(self):
        standard = self.reset_after and self.use_bias and self.uses_standard_activations()
        return "gru" if standard else None

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
