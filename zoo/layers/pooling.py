"""Pooling a sequence (B, T, d) to one vector (B, d) over its real
(unmasked) steps: additive attention with a learned query (Yang et al.
2016), whose weights say which steps the vector is made of, and max over
time."""

import keras
from keras import ops

from zoo.layers.attention import BahdanauAttention, masked_score
from zoo.layers.cell_base import check_units


@keras.saving.register_keras_serializable(package="zoo")
class AttentionPooling(keras.layers.Layer):
    """context = sum_t a_t h_t, a = softmax_t(v^T tanh(W q + U h_t)) over
    real steps: Bahdanau attention whose query q is a learned vector."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.attention = BahdanauAttention(units, name="attention")

    def build(self, input_shape):
        self.query = self.add_weight(
            name="query", shape=(1, self.units), initializer="glorot_uniform"
        )
        self.attention.build((None, self.units), input_shape)

    def call(self, sequence, mask=None):
        """-> (context (B, d), weights (B, T); 0 on padding, sum 1 per row)."""
        query = ops.broadcast_to(self.query, (ops.shape(sequence)[0], self.units))
        return self.attention(query, sequence, memory_mask=mask)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def masked_max(sequence, mask):
    """(max over real steps (B, d), share of the d maxima each step holds
    (B, T), which sums to 1 per row). Rows without a real step give 0."""
    real = ops.cast(mask, "bool")[:, :, None]
    low = ops.cast(masked_score(sequence.dtype), sequence.dtype)
    filled = ops.where(real, sequence, low)
    pooled = ops.max(filled, axis=1)
    # Equality, not argmax (whose float Bitcast tf2onnx cannot convert);
    # a tie splits that feature's share between the tied steps.
    winners = ops.cast(ops.equal(filled, pooled[:, None, :]) & real, sequence.dtype)
    winners = winners / ops.maximum(ops.sum(winners, axis=1, keepdims=True), 1.0)
    shares = ops.mean(winners, axis=-1)
    any_real = ops.cast(ops.any(real, axis=1), sequence.dtype)  # (B, 1)
    return pooled * any_real, shares
