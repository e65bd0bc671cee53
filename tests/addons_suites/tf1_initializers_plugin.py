"""pytest plugin: `tf.compat.v1.keras.initializers.glorot_uniform` as
tf.keras 2 drew it (TF1's seeded random_uniform op) instead of Keras 3's
GlorotUniform, which draws other numbers from the same seed. TFA's
attention tests hard-code figures that depend on those draws; with this
plugin they must reproduce, which shows that zoo.addons computes exactly
what TFA did and that only the initializer differs under Keras 3."""

import tensorflow as tf

# Read from tf.keras 2's compat.v1 initializers: uniform in +-sqrt(6 / (fan_in + fan_out)).


def glorot_uniform(seed=None):
    def draw(shape, dtype=None, **kwargs):
        fan_in, fan_out = shape[-2], shape[-1]
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        return tf.random.uniform(shape, -limit, limit, dtype=dtype or tf.float32, seed=seed)

    return draw


tf.compat.v1.keras.initializers.glorot_uniform = glorot_uniform
