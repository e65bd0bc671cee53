"""The echo state network cell (Jaeger 2001, "The 'echo state' approach to
analysing and training recurrent neural networks"): a fixed random
reservoir, of which only a readout on top is trained.

    h_t = (1 - a) h_{t-1} + a f(x_t W + h_{t-1} U + b)      a: leaking rate

U is drawn sparse (each weight kept with probability `connectivity`) and
scaled to spectral radius `spectral_radius` < 1, the echo state property's
usual sufficient condition; with `use_norm2` it is scaled by its Frobenius
norm instead, an upper bound of the spectral radius that needs no
eigenvalues. No weight is trainable. Weights in TF Addons' order.
"""

import keras
import numpy as np
from keras import ops

from zoo.layers.cell_base import check_flag, check_units, get_activation, zero_states


def _fraction(name, value, low_open=True):
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (0 < value <= 1 if low_open else 0 <= value <= 1)
    if not ok:
        raise ValueError(f"`{name}` must be a number in (0, 1], got {name}={value!r}")
    return value


@keras.saving.register_keras_serializable(package="zoo")
class ESNCell(keras.layers.Layer):
    """Echo state network cell (Jaeger 2001).

    Args:
        units: reservoir size.
        connectivity: probability that a reservoir connection exists.
        leaky: leaking rate a in (0, 1]; 1 is no leaky integration.
        spectral_radius: the reservoir's spectral radius after scaling.
        use_norm2: scale by the Frobenius norm (an upper bound) instead of
            the largest eigenvalue's modulus.
        use_bias, activation, kernel_initializer, recurrent_initializer,
        bias_initializer: as in keras.layers.SimpleRNNCell (the recurrent
            initializer draws U before masking and scaling).

    Example:

    >>> import keras, numpy as np
    >>> tuple(keras.layers.RNN(ESNCell(8))(np.zeros((2, 5, 3), "float32")).shape)
    (2, 8)
    """

    def __init__(
        self,
        units: int,
        connectivity: float = 0.1,
        leaky: float = 1,
        spectral_radius: float = 0.9,
        use_norm2: bool = False,
        use_bias: bool = True,
        activation="tanh",
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        bias_initializer="zeros",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.connectivity = _fraction("connectivity", connectivity)
        self.leaky = _fraction("leaky", leaky)
        if not isinstance(spectral_radius, int | float) or spectral_radius <= 0:
            raise ValueError(f"`spectral_radius` must be > 0, got {spectral_radius!r}")
        self.spectral_radius = spectral_radius
        self.use_norm2 = check_flag("use_norm2", use_norm2)
        self.use_bias = check_flag("use_bias", use_bias)
        self.activation = get_activation("activation", activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = self.units
        self.output_size = self.units

    def reservoir(self, shape, dtype=None):
        """U: drawn, masked to `connectivity`, scaled to the spectral radius."""
        weights = self.recurrent_initializer(shape, dtype=dtype)
        keep = ops.less_equal(
            keras.random.uniform(shape, seed=self.seed_generator), self.connectivity
        )
        weights = ops.convert_to_numpy(weights * ops.cast(keep, weights.dtype)).astype("float64")
        if self.use_norm2:
            size = np.sqrt(np.sum(np.square(weights)))
        else:
            size = np.max(np.abs(np.linalg.eigvals(weights))) if weights.size else 0.0
        scale = self.spectral_radius / size if size > 0 else 0.0
        return ops.convert_to_tensor(weights * scale, dtype=dtype)

    def build(self, input_shape):
        weight = lambda name, shape, init: self.add_weight(  # noqa: E731
            name=name, shape=shape, initializer=init, trainable=False
        )
        self.recurrent_kernel = weight("recurrent_kernel", (self.units, self.units), self.reservoir)
        self.kernel = weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        self.bias = weight("bias", (self.units,), self.bias_initializer) if self.use_bias else None

    def call(self, inputs, states):
        h_prev = states[0] if isinstance(states, list | tuple) else states
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        h = (1 - self.leaky) * h_prev + self.leaky * self.activation(z)
        return h, h

    def get_initial_state(self, batch_size=None, dtype=None, inputs=None):
        return zero_states(self, batch_size, dtype, inputs)

    def get_config(self):
        ser = keras.initializers.serialize
        return {
            **super().get_config(),
            "units": self.units,
            "connectivity": self.connectivity,
            "leaky": self.leaky,
            "spectral_radius": self.spectral_radius,
            "use_norm2": self.use_norm2,
            "use_bias": self.use_bias,
            "activation": keras.activations.serialize(self.activation),
            "kernel_initializer": ser(self.kernel_initializer),
            "recurrent_initializer": ser(self.recurrent_initializer),
            "bias_initializer": ser(self.bias_initializer),
            "seed": self.seed,
        }
