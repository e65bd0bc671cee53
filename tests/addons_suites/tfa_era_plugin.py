"""pytest plugin: two things as they were when TFA's tests were written,
for re-running the tests that depend on them (tests/addons_suites/README.md):

- `tf.compat.v1.keras.initializers.glorot_uniform` draws as tf.keras 2 did
  (TF1's seeded random_uniform op); Keras 3's GlorotUniform draws other
  numbers from the same seed, and TFA's attention tests hard-code figures
  computed from those draws;
- `np.Inf`, the alias NumPy 2 removed (`np.inf` stays).

With them the tests must pass, which shows that zoo.addons computes what
TFA did and only the environment moved."""

import numpy as np
import tensorflow as tf


def glorot_uniform(seed=None):
    """tf.keras 2's compat.v1 draw: uniform in +-sqrt(6 / (fan_in + fan_out))."""

    def draw(shape, dtype=None, **kwargs):
        fan_in, fan_out = shape[-2], shape[-1]
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        return tf.random.uniform(shape, -limit, limit, dtype=dtype or tf.float32, seed=seed)

    return draw


tf.compat.v1.keras.initializers.glorot_uniform = glorot_uniform
setattr(np, "Inf", np.inf)  # noqa: B010 (the name itself is what NumPy 2 removed)
