"""Configs in TF Addons' shape: the layer keys of tf.keras 2 (`name`,
`trainable`, and `dtype` as a policy name, which Keras 3 reads back as
well) plus each class's own keys, so saved TFA configs and code that
compares them keep working."""

import keras


def base_config(layer):
    return {"name": layer.name, "trainable": layer.trainable, "dtype": layer.dtype_policy.name}


def initializer_config(value):
    """An initializer as TF Addons' NASCell kept it: a name stays a name."""
    return value if isinstance(value, str) else keras.initializers.serialize(value)
