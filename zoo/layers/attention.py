"""Attention over an encoder's memory: Bahdanau (additive) and Luong
(multiplicative) scores, both returning the context and the weights.

    score_j = v_a^T tanh(W_a s + U_a h_j)        Bahdanau et al. 2015
    score_j = s^T h_j  |  s^T W h_j              Luong et al. 2015 (dot | general)
    weights = softmax(score) over unpadded j;  context = sum_j weights_j h_j

`keys(memory)` projects the memory once per sequence (U_a h_j, W h_j), so
a decoder pays only for the query projection at each step.
"""

import keras
import numpy as np
from keras import ops

from zoo.layers.cell_base import check_units


def masked_score(dtype):
    """A score whose softmax weight is 0 next to real scores, and finite in
    `dtype`: -1e9 is -inf in float16, and a row of -inf softmaxes to NaN."""
    return max(-1e9, float(np.finfo(keras.backend.standardize_dtype(dtype)).min) / 2)


class _Attention(keras.layers.Layer):
    def call(self, query, memory, memory_mask=None, keys=None):
        """query (B, dq), memory (B, T, dm), memory_mask (B, T) bool (True =
        real position) -> context (B, dm), weights (B, T)."""
        mask = memory_mask
        keys = self.keys(memory) if keys is None else keys
        scores = self.scores(query, keys)
        if mask is not None:
            mask = ops.cast(mask, "bool")
            scores = ops.where(mask, scores, ops.cast(masked_score(scores.dtype), scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        if mask is not None:  # rows with no real position get all-zero weights
            weights = weights * ops.cast(mask, weights.dtype)
        context = ops.einsum("bt,btd->bd", weights, memory)
        return context, weights


@keras.saving.register_keras_serializable(package="zoo")
class BahdanauAttention(_Attention):
    """Additive attention (Bahdanau et al. 2015): score_j = v_a^T tanh(W_a s
    + U_a h_j), with query projection W_a, memory projection U_a and vector v_a.

    Args:
        units: width of the projections.
        normalize: the weight-normalised form (v_a = g v / ||v||, plus a
            bias inside the tanh; Salimans & Kingma 2016), as in TensorFlow
            Addons.

    Call: `(query (B, q), memory (B, T, m), memory_mask=None, keys=None)`
    -> (context (B, m), weights (B, T)); `keys` are U_a h_j, computed once
    per source by `keys(memory)`.

    Example:

    >>> import numpy as np
    >>> attention = BahdanauAttention(16)
    >>> context, weights = attention(np.zeros((2, 8), "float32"), np.zeros((2, 5, 12), "float32"))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 12), (2, 5))
    """

    def __init__(self, units: int, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.normalize = bool(normalize)

    def build(self, query_shape, memory_shape):
        init = keras.initializers.GlorotUniform()
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_shape[-1], self.units), initializer=init
        )
        self.memory_kernel = self.add_weight(
            name="memory_kernel", shape=(memory_shape[-1], self.units), initializer=init
        )
        self.v = self.add_weight(
            name="v", shape=(self.units,), initializer=keras.initializers.RandomUniform(-0.1, 0.1)
        )
        if self.normalize:
            self.g = self.add_weight(
                name="g", shape=(), initializer=keras.initializers.Constant(self.units**-0.5)
            )
            self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def keys(self, memory):
        return ops.matmul(memory, self.memory_kernel)

    def scores(self, query, keys):
        hidden = keys + ops.expand_dims(ops.matmul(query, self.query_kernel), 1)
        v = self.v
        if self.normalize:
            hidden = hidden + self.b
            v = self.g * v / ops.sqrt(ops.sum(ops.square(v)))
        return ops.einsum("btu,u->bt", ops.tanh(hidden), v)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "normalize": self.normalize}


@keras.saving.register_keras_serializable(package="zoo")
class LuongAttention(_Attention):
    """Multiplicative attention (Luong et al. 2015).

    Args:
        score: "dot", s^T h_j (query and memory of equal size), or
            "general", s^T W h_j (bilinear).

    Call: as BahdanauAttention's.

    Example:

    >>> import numpy as np
    >>> query, memory = np.zeros((2, 12), "float32"), np.zeros((2, 5, 12), "float32")
    >>> context, weights = LuongAttention()(query, memory)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 12), (2, 5))
    """

    SCORES = ("dot", "general")

    def __init__(self, score: str = "general", **kwargs):
        super().__init__(**kwargs)
        if score not in self.SCORES:
            raise ValueError(f"`score` must be one of {self.SCORES}, got score={score!r}")
        self.score = score

    def build(self, query_shape, memory_shape):
        if self.score == "dot" and query_shape[-1] != memory_shape[-1]:
            raise ValueError(
                f"score='dot' needs query and memory of one size, got {query_shape[-1]} "
                f"and {memory_shape[-1]}; use score='general'"
            )
        if self.score == "general":
            self.kernel = self.add_weight(
                name="kernel",
                shape=(memory_shape[-1], query_shape[-1]),
                initializer="glorot_uniform",
            )

    def keys(self, memory):
        return memory if self.score == "dot" else ops.matmul(memory, self.kernel)

    def scores(self, query, keys):
        return ops.einsum("btd,bd->bt", keys, query)

    def get_config(self):
        return {**super().get_config(), "score": self.score}
