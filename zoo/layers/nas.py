"""The NAS cell (Zoph & Le 2017, "Neural Architecture Search with
Reinforcement Learning"): the recurrent cell their controller found on Penn
Treebank. Per step, with x W and m U each split into 8 blocks (bias on m U):

    l1 = [sig(x0+m0), relu(x1+m1), sig(x2+m2), relu(x3*m3),
          tanh(x4+m4), sig(x5+m5), tanh(x6+m6), sig(x7+m7)]
    l2 = [tanh(l1_0*l1_1), tanh(l1_2+l1_3), tanh(l1_4*l1_5), sig(l1_6+l1_7)]
    c  = tanh(l2_0 + c_{t-1}) * l2_1
    m  = tanh(c * tanh(l2_2 + l2_3))        (m P with a projection P)

States are [c, m], as in TF Addons, whose weights (order and shapes) it keeps.
"""

import keras
from keras import ops

from zoo.layers.cell_base import check_flag, check_units, zero_states

BLOCKS = 8


@keras.saving.register_keras_serializable(package="zoo")
class NASCell(keras.layers.Layer):
    """Neural Architecture Search recurrent cell (Zoph & Le 2017).

    Args:
        units: size of the cell state c.
        projection: size of the output m after a linear projection, or None.
        use_bias: a bias on the recurrent projection (False, as in the paper).

    Example:

    >>> import keras, numpy as np
    >>> tuple(keras.layers.RNN(NASCell(8))(np.zeros((2, 5, 3), "float32")).shape)
    (2, 8)
    """

    def __init__(
        self,
        units: int,
        projection: int | None = None,
        use_bias: bool = False,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        projection_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.projection = None if projection is None else check_units(projection)
        self.use_bias = check_flag("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.projection_initializer = keras.initializers.get(projection_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.output_size = self.projection or self.units
        self.state_size = [self.units, self.output_size]

    def build(self, input_shape):
        width = BLOCKS * self.units
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.output_size, width),
            initializer=self.recurrent_initializer,
        )
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], width), initializer=self.kernel_initializer
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(width,), initializer=self.bias_initializer
            )
        self.projection_weights = None
        if self.projection is not None:
            self.projection_weights = self.add_weight(
                name="projection_weights",
                shape=(self.units, self.projection),
                initializer=self.projection_initializer,
            )

    def call(self, inputs, states):
        c_prev, m_prev = states[0], states[1]
        m = ops.matmul(m_prev, self.recurrent_kernel)
        if self.use_bias:
            m = m + self.bias
        x = ops.split(ops.matmul(inputs, self.kernel), BLOCKS, axis=-1)
        m = ops.split(m, BLOCKS, axis=-1)
        sig, relu, tanh = ops.sigmoid, ops.relu, ops.tanh
        l1 = [
            sig(x[0] + m[0]),
            relu(x[1] + m[1]),
            sig(x[2] + m[2]),
            relu(x[3] * m[3]),
            tanh(x[4] + m[4]),
            sig(x[5] + m[5]),
            tanh(x[6] + m[6]),
            sig(x[7] + m[7]),
        ]
        l2 = [
            tanh(l1[0] * l1[1]),
            tanh(l1[2] + l1[3]),
            tanh(l1[4] * l1[5]),
            sig(l1[6] + l1[7]),
        ]
        c = tanh(l2[0] + c_prev) * l2[1]
        out = tanh(c * tanh(l2[2] + l2[3]))
        if self.projection is not None:
            out = ops.matmul(out, self.projection_weights)
        return out, [c, out]

    def get_initial_state(self, batch_size=None, dtype=None, inputs=None):
        return zero_states(self, batch_size, dtype, inputs)

    def get_config(self):
        ser = keras.initializers.serialize
        return {
            **super().get_config(),
            "units": self.units,
            "projection": self.projection,
            "use_bias": self.use_bias,
            "kernel_initializer": ser(self.kernel_initializer),
            "recurrent_initializer": ser(self.recurrent_initializer),
            "projection_initializer": ser(self.projection_initializer),
            "bias_initializer": ser(self.bias_initializer),
        }
