"""Truncated backpropagation through time for language models.

`Streaming` wraps a `zoo.models.CharLM` for training on
`training.data.text_data.stream_batches`: it starts each batch from the
states the previous batch ended in (row r of a batch continues row r of
the one before), so the model learns to use context beyond one window,
while gradients stop at each window's start. The carried states are
non-trainable variables, updated in `call` as BatchNormalization updates
its moving statistics, so the same code trains on TensorFlow and JAX.
They restart from zero wherever a batch marks its rows `fresh`.

The wrapper exists only while training: its weights file holds the carried
states too, but the package holds the language model alone.
"""

import keras
from keras import ops

from zoo.layers.cell_base import zero_states


class Streaming(keras.Model):
    """`lm` (a CharLM) reading batch_size streams, its states carried across
    batches. Inputs: (token ids (B, T), fresh (B,)); output: the logits."""

    def __init__(self, lm, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.lm = lm
        self.carried = [
            [
                self.add_weight(
                    shape=tuple(state.shape),
                    initializer="zeros",
                    trainable=False,
                    name=f"carried_{i}_{j}",
                )
                for j, state in enumerate(zero_states(rnn.cell, batch_size))
            ]
            for i, rnn in enumerate(lm.recurrent)
        ]
        self.built = True  # every weight exists: the built lm's and the states

    def call(self, inputs, training=False):
        token_ids, fresh = inputs
        keep = ops.expand_dims(1.0 - ops.cast(fresh, "float32"), -1)
        states = [
            [ops.cast(variable * keep, self.lm.compute_dtype) for variable in layer]
            for layer in self.carried
        ]
        logits, final = self.lm.forward(token_ids, states, training=training)
        for layer, ends in zip(self.carried, final, strict=True):
            for variable, end in zip(layer, ends, strict=True):
                variable.assign(ops.cast(ops.stop_gradient(end), variable.dtype))
        return logits
