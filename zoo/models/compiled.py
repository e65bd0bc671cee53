"""Compiling inference functions for the backend in use.

Eager per-call overhead (~ms) would dominate token-by-token generation, so
the TensorFlow backend traces a graph once. Other backends run eagerly:
their jit would bake Keras variables in as constants.
"""

import collections

import keras


def compiled(fn, input_signature=None):
    """`fn` traced once per input shape, or once for every shape that fits
    `input_signature` (tf.TensorSpecs, None for a dimension that varies)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, input_signature=input_signature, reduce_retracing=True)
    return fn


def tensor_specs(*specs):
    """[(shape, dtype), ...] as an input signature for `compiled` under
    TensorFlow (None in a shape: a dimension that varies); None elsewhere."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return [tf.TensorSpec(shape, dtype) for shape, dtype in specs]


class CompiledCache:
    """Compiled functions by key, the least recently used dropped beyond
    `size` (a decoder compiles once per beam width, penalty and length)."""

    def __init__(self, size):
        self.size = size
        self._functions = collections.OrderedDict()

    def __len__(self):
        return len(self._functions)

    def __contains__(self, key):
        return key in self._functions

    def get(self, key, fn, input_signature=None):
        """The compiled function of `key`: `fn` compiled, on first use."""
        if key not in self._functions:
            self._functions[key] = compiled(fn, input_signature)
            while len(self._functions) > self.size:
                self._functions.popitem(last=False)
        self._functions.move_to_end(key)
        return self._functions[key]
