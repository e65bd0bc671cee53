"""Compiling inference functions for the backend in use.

Eager per-call overhead (~ms) would dominate token-by-token generation, so
the TensorFlow backend traces a graph once. Other backends run eagerly:
their jit would bake Keras variables in as constants.
"""

import keras


def compiled(fn):
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, reduce_retracing=True)
    return fn
