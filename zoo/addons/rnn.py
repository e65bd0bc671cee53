"""`tensorflow_addons.rnn` over zoo's cells: TF Addons' names, arguments,
defaults, weights and configs. The maths is zoo.layers'; these classes only
translate arguments (tfa.rnn.LayerNormLSTMCell is zoo's LSTMCell with
layer_norm and normalize_carry, a PeepholeLSTMCell draws its peepholes with
the kernel initializer, as TFA did)."""

import keras

from zoo import layers
from zoo.addons._config import base_config, initializer_config

# tf.keras 2 LSTMCell keys, the config TFA's LSTM cells inherited.
_LSTM_KEYS = (
    "units",
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
)


def _tfa_config(layer, config, keys):
    return {**base_config(layer), **{key: config[key] for key in keys}}


def _lstm_config(cell, config, extra=()):
    """tf.keras 2's LSTMCell config (with its legacy `implementation`)."""
    return {**_tfa_config(cell, config, _LSTM_KEYS + extra), "implementation": cell.implementation}


@keras.saving.register_keras_serializable(package="Addons")
class NASCell(layers.NASCell):
    """tfa.rnn.NASCell: zoo.layers.NASCell, whose config keeps initializer
    names as given (as TFA's did)."""

    def __init__(
        self,
        units,
        projection=None,
        use_bias=False,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        projection_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        initializers = dict(
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            projection_initializer=projection_initializer,
            bias_initializer=bias_initializer,
        )
        super().__init__(units, projection, use_bias, **initializers, **kwargs)
        self._given = {name: initializer_config(value) for name, value in initializers.items()}

    def get_config(self):
        own = {"units": self.units, "projection": self.projection, "use_bias": self.use_bias}
        return {**base_config(self), **own, **self._given}


@keras.saving.register_keras_serializable(package="Addons")
class ESNCell(layers.ESNCell):
    """tfa.rnn.ESNCell: zoo.layers.ESNCell with TFA's config keys."""

    KEYS = (
        "units",
        "connectivity",
        "leaky",
        "spectral_radius",
        "use_norm2",
        "use_bias",
        "activation",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
    )

    def get_config(self):
        return _tfa_config(self, super().get_config(), self.KEYS)


@keras.saving.register_keras_serializable(package="Addons")
class LayerNormSimpleRNNCell(layers.LayerNormSimpleRNNCell):
    """tfa.rnn.LayerNormSimpleRNNCell: zoo.layers.LayerNormSimpleRNNCell;
    its config leaves out `name`, as TFA's did."""

    def get_config(self):
        config = {**super().get_config(), **base_config(self)}
        del config["name"]
        return config


@keras.saving.register_keras_serializable(package="Addons")
class LayerNormLSTMCell(layers.LSTMCell):
    """tfa.rnn.LayerNormLSTMCell: layer normalisation of x W, h U and of the
    cell state, which (unlike zoo.layers.LayerNormLSTMCell) is carried to
    the next step normalised."""

    KEYS = ("norm_gamma_initializer", "norm_beta_initializer", "norm_epsilon")

    def __init__(self, units, **kwargs):
        super().__init__(units, layer_norm=True, normalize_carry=True, **kwargs)

    def get_config(self):
        return _lstm_config(self, super().get_config(), self.KEYS)


@keras.saving.register_keras_serializable(package="Addons")
class PeepholeLSTMCell(layers.LSTMCell):
    """tfa.rnn.PeepholeLSTMCell: diagonal peepholes (Gers & Schmidhuber
    2000), drawn with the kernel initializer as TFA did."""

    def __init__(self, units, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(
            units,
            peepholes=True,
            kernel_initializer=kernel_initializer,
            peephole_initializer=kernel_initializer,
            **kwargs,
        )

    def get_config(self):
        return _lstm_config(self, super().get_config())


__all__ = ["ESNCell", "LayerNormLSTMCell", "LayerNormSimpleRNNCell", "NASCell", "PeepholeLSTMCell"]
