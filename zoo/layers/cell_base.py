"""What every zoo recurrent cell shares: argument checks, the kernel /
recurrent_kernel / bias weights, variational dropout, and the split of one
step into the input projection (`x @ kernel + bias`) and the recurrent
update (`step`), which exporters and subclasses build on.
"""

import keras
from keras import ops

from zoo.compat import DropoutRNNCell

# Keras' RNN layer pre-creates dropout masks (once per sequence, outside the
# time loop) only for cells that inherit this mixin; it is not exported
# publicly, and keras is pinned to 3.15.x.


def check_units(units):
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(f"`units` must be a positive integer, got units={units!r}")
    return units


def check_rate(name, rate):
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate < 1.0:
        raise ValueError(f"`{name}` must be in [0, 1), got {name}={rate!r}")
    return float(rate)


def get_activation(name, identifier):
    try:
        return keras.activations.get(identifier)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"`{name}` is not a known activation: {name}={identifier!r}. "
            "Use a name from keras.activations (e.g. 'tanh', 'sigmoid') "
            "or a callable."
        ) from err


def check_implementation(implementation):
    """Keras' legacy `implementation` argument (0, 1 or 2) picked how Keras
    split the gate matmuls, not what they compute; zoo cells always do one
    matmul per step, so it is accepted (old configs carry it) and ignored."""
    if implementation not in (0, 1, 2) or isinstance(implementation, bool):
        raise ValueError(f"`implementation` must be 0, 1 or 2, got {implementation!r}")
    return implementation


def check_flag(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False, got {name}={value!r}")
    return value


def zero_states(cell, batch_size=None, dtype=None, inputs=None):
    """A cell's zero states. Keras 3 asks for `batch_size` only; Keras 2's
    `get_initial_state(inputs=, batch_size=, dtype=)` form is accepted too,
    so code written for tf.keras 2 (TF Addons' among it) runs unchanged."""
    keras2_form = dtype is not None or inputs is not None
    if batch_size is None and inputs is not None:
        batch_size = ops.shape(inputs)[0]
    dtype = dtype or cell.compute_dtype
    sizes = cell.state_size if isinstance(cell.state_size, list | tuple) else [cell.state_size]
    states = [ops.zeros((batch_size, size), dtype=dtype) for size in sizes]
    # Asked in Keras 2's form, answered in its structure: one state is a tensor.
    return states[0] if keras2_form and len(states) == 1 else states


class ZooCell(DropoutRNNCell, keras.layers.Layer):
    """Base of the zoo cells: `kernel` (input_dim, G*units),
    `recurrent_kernel` (units, G*units) and `bias`, with G gate blocks.

    Subclasses set `gate_blocks` (the block names in Keras order) and
    implement `step(projected, states, training)`.
    """

    gate_blocks = ()

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.activation = get_activation("activation", activation)
        self.recurrent_activation = get_activation("recurrent_activation", recurrent_activation)
        self.use_bias = check_flag("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.dropout = check_rate("dropout", dropout)
        self.recurrent_dropout = check_rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [self.units]
        self.output_size = self.units

    # ---- weights -------------------------------------------------------
    @property
    def gate_width(self):
        return len(self.gate_blocks) * self.units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(input_dim, self.gate_width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.gate_width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                name="bias",
                initializer=self.make_bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.build_extra_weights()
        self.built = True

    def bias_shape(self):
        return (self.gate_width,)

    def make_bias_initializer(self):
        return self.bias_initializer

    def build_extra_weights(self):
        """Hook for peepholes, layer-norm scales and the like."""

    def add_vector(self, name, size, initializer):
        return self.add_weight(shape=(size,), name=name, initializer=initializer)

    # ---- computation ---------------------------------------------------
    def project_inputs(self, inputs, training=False):
        """`inputs @ kernel (+ input bias)` for one step. The input dropout
        mask is made once per sequence by the RNN layer (Gal & Ghahramani)."""
        if training and self.dropout > 0:
            inputs = inputs * self.get_dropout_mask(inputs)
        projected = self.normalize_input_projection(ops.matmul(inputs, self.kernel))
        return self.add_input_bias(projected)

    def normalize_input_projection(self, xw):
        """Hook for layer normalisation of x W (before the bias)."""
        return xw

    def add_input_bias(self, projected):
        return projected + self.bias if self.use_bias else projected

    def drop_recurrent(self, h, training):
        if training and self.recurrent_dropout > 0:
            return h * self.get_recurrent_dropout_mask(h)
        return h

    def call(self, inputs, states, training=False):
        if not isinstance(states, list | tuple):  # one state passed bare (Keras 2 style)
            states = [states]
        return self.step(self.project_inputs(inputs, training), states, training)

    def step(self, projected, states, training=False):
        raise NotImplementedError

    def fused_kernel(self):
        """'lstm' or 'gru' when this configuration is exactly what the cuDNN
        kernels compute (so `zoo.layers.RNN` may hand it to them), else None."""
        return None

    def get_initial_state(self, batch_size=None, dtype=None, inputs=None):
        return zero_states(self, batch_size, dtype, inputs)

    # ---- serialisation -------------------------------------------------
    def get_config(self):
        ser = keras.saving.serialize_keras_object
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": ser(self.kernel_initializer),
            "recurrent_initializer": ser(self.recurrent_initializer),
            "bias_initializer": ser(self.bias_initializer),
            "kernel_regularizer": ser(self.kernel_regularizer),
            "recurrent_regularizer": ser(self.recurrent_regularizer),
            "bias_regularizer": ser(self.bias_regularizer),
            "kernel_constraint": ser(self.kernel_constraint),
            "recurrent_constraint": ser(self.recurrent_constraint),
            "bias_constraint": ser(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}

    def uses_standard_activations(self):
        return (
            self.activation is keras.activations.tanh
            and self.recurrent_activation is keras.activations.sigmoid
        )
