"""Attention over an encoder's memory: Bahdanau (additive) and Luong
(multiplicative) scores, both returning the context and the weights.

    score_j = v_a^T tanh(W_a s + U_a h_j)        Bahdanau et al. 2015
    score_j = s^T h_j  |  s^T W h_j              Luong et al. 2015 (dot | general)
    weights = softmax(score) over unpadded j;  context = sum_j weights_j h_j

`keys(memory)` projects the memory once per sequence (U_a h_j, W h_j), so
a decoder pays only for the query projection at each step.

Monotonic attention (Raffel et al. 2017, "Online and Linear-Time Attention
by Enforcing Monotonic Alignments") replaces the softmax: each step j is
chosen with p_j = sigmoid(score_j) scanning left to right from where the
previous step's attention was, so the weights depend on the previous
weights (`monotonic_attention`).
"""

import keras
import numpy as np
from keras import ops

from zoo.layers.cell_base import check_units


def masked_score(dtype):
    """A score whose softmax weight is 0 next to real scores, and finite in
    `dtype`: -1e9 is -inf in float16, and a row of -inf softmaxes to NaN."""
    return max(-1e9, float(np.finfo(keras.backend.standardize_dtype(dtype)).min) / 2)


def mask_scores(scores, mask):
    """Scores at padded positions (mask False) set to a value whose softmax
    and sigmoid are exactly 0 next to real scores."""
    if mask is None:
        return scores
    low = ops.cast(masked_score(scores.dtype), scores.dtype)
    return ops.where(ops.cast(mask, "bool"), scores, low)


def attend(weights, memory):
    """The context sum_j weights_j h_j: weights (B, T), memory (B, T, d) -> (B, d).
    A batched matmul, not einsum: the same numbers in TensorFlow, but
    tf2onnx wrote the einsum with two transposes of the whole memory per
    decoder step (a third of a beam search's time in onnxruntime)."""
    context = ops.matmul(ops.expand_dims(weights, 1), memory)  # (B, 1, d)
    # A reshape, not [:, 0]: the context keeps rank 2 where the memory's
    # shape is unknown while tracing (tf2onnx's stand-in recurrent layers).
    return ops.reshape(context, (-1, ops.shape(memory)[-1]))


def bahdanau_score(projected_query, keys, v, g=None, b=None):
    """v^T tanh(keys + W s (+ b)) per memory step, with v = g v / ||v|| in
    the weight-normalised form: projected_query (B, u), keys (B, T, u)."""
    hidden = keys + ops.expand_dims(projected_query, 1)
    if g is not None:
        hidden = hidden + b
        v = g * v / ops.sqrt(ops.sum(ops.square(v)))
    return ops.einsum("btu,u->bt", ops.tanh(hidden), v)


def luong_score(query, keys, scale=None):
    """s^T k_j per memory step (times a learned scalar when given)."""
    scores = ops.einsum("btd,bd->bt", keys, query)
    return scores if scale is None else scale * scores


def hardmax(logits):
    """One-hot of the largest logit along the last axis (first on ties)."""
    best = ops.argmax(logits, axis=-1)
    return ops.one_hot(best, ops.shape(logits)[-1], dtype=logits.dtype)


def safe_cumprod(x, axis=-1, exclusive=False):
    """cumprod computed as exp(cumsum(log x)), x clipped to [tiny, 1]: no
    underflow to 0 and a gradient for every element."""
    tiny = float(np.finfo(keras.backend.standardize_dtype(x.dtype)).tiny)
    logs = ops.log(ops.clip(x, tiny, 1.0))
    sums = ops.cumsum(logs, axis=axis)
    return ops.exp(sums - logs if exclusive else sums)


MONOTONIC_MODES = ("recursive", "parallel", "hard")


def monotonic_attention(p_choose_i, previous_attention, mode):
    """Expected monotonic attention (Raffel et al. 2017, eq. 9-13):

        q_j = (1 - p_{j-1}) q_{j-1} + previous_j,   attention_j = p_j q_j

    "recursive" runs that recurrence over j; "parallel" its closed form
    p_j cumprod(1 - p)_j cumsum(previous / cumprod(1 - p))_j (cumprods
    exclusive, fast, less exact for p near 1); "hard" takes p in {0, 1}
    and gives a one-hot: the first chosen step at or after the previous one.
    p_choose_i, previous_attention (B, T) -> attention (B, T)."""
    if mode == "recursive":
        ones = ops.ones_like(p_choose_i[:, :1])
        carry_over = ops.concatenate([ones, 1 - p_choose_i[:, :-1]], axis=1)  # 1 - p_{j-1}

        def step(q, x):
            q = x[0] * q + x[1]
            return q, q

        xs = ops.stack([ops.transpose(carry_over), ops.transpose(previous_attention)], axis=1)
        _, q = ops.scan(step, ops.zeros_like(p_choose_i[:, 0]), xs)
        return p_choose_i * ops.transpose(q)
    if mode == "parallel":
        kept = safe_cumprod(1 - p_choose_i, axis=1, exclusive=True)
        carried = ops.cumsum(previous_attention / ops.clip(kept, 1e-10, 1.0), axis=1)
        return p_choose_i * kept * carried
    if mode == "hard":
        p_choose_i = p_choose_i * ops.cumsum(previous_attention, axis=1)
        ones = ops.ones_like(p_choose_i[:, :1])
        before = ops.cumprod(ops.concatenate([ones, 1 - p_choose_i[:, :-1]], axis=1), axis=1)
        return p_choose_i * before
    raise ValueError(f"mode must be one of {MONOTONIC_MODES}, got mode={mode!r}")


def initial_monotonic_weights(batch, steps, dtype="float32"):
    """All attention on the first memory step: where a monotonic scan starts."""
    return ops.one_hot(ops.zeros((batch,), "int32"), steps, dtype=dtype)


class _Attention(keras.layers.Layer):
    """Subclasses set `keys(memory)` and `scores(query, keys)`; with
    `monotonic` set, weights follow monotonic_attention from `previous`."""

    monotonic = None  # None, or a MONOTONIC_MODES mode

    def call(self, query, memory, memory_mask=None, keys=None, previous=None, training=False):
        """query (B, dq), memory (B, T, dm), memory_mask (B, T) bool (True =
        real position) -> context (B, dm), weights (B, T). `previous`: the
        last step's weights (monotonic attention only; default: all on
        step 0)."""
        keys = self.keys(memory) if keys is None else keys
        scores = mask_scores(self.scores(query, keys), memory_mask)
        if self.monotonic:
            weights = self.monotonic_weights(scores, previous, training)
        else:
            weights = ops.softmax(scores, axis=-1)
        if memory_mask is not None:  # rows with no real position get all-zero weights
            weights = weights * ops.cast(memory_mask, weights.dtype)
        return attend(weights, memory), weights

    def monotonic_weights(self, scores, previous, training=False):
        scores = scores + self.score_bias
        if training and self.sigmoid_noise > 0:  # pushes scores apart (Raffel et al. 2.5)
            noise = keras.random.normal(ops.shape(scores), seed=self.seed_generator)
            scores = scores + self.sigmoid_noise * ops.cast(noise, scores.dtype)
        if self.monotonic == "hard":
            p_choose = ops.cast(scores > 0, scores.dtype)
        else:
            p_choose = ops.sigmoid(scores)
        if previous is None:
            previous = initial_monotonic_weights(
                ops.shape(scores)[0], ops.shape(scores)[1], scores.dtype
            )
        return monotonic_attention(p_choose, previous, self.monotonic)

    def init_monotonic(self, monotonic, sigmoid_noise, score_bias_init, seed):
        if monotonic not in (None, *MONOTONIC_MODES):
            raise ValueError(
                f"`monotonic` must be None or one of {MONOTONIC_MODES}, got {monotonic!r}"
            )
        self.monotonic = monotonic
        self.sigmoid_noise = float(sigmoid_noise)
        self.score_bias_init = float(score_bias_init)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed) if monotonic else None

    def build_monotonic(self):
        if self.monotonic:
            self.score_bias = self.add_weight(
                name="score_bias",
                shape=(),
                initializer=keras.initializers.Constant(self.score_bias_init),
            )

    def monotonic_config(self):
        return {
            "monotonic": self.monotonic,
            "sigmoid_noise": self.sigmoid_noise,
            "score_bias_init": self.score_bias_init,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="zoo")
class BahdanauAttention(_Attention):
    """Additive attention (Bahdanau et al. 2015): score_j = v_a^T tanh(W_a s
    + U_a h_j), with query projection W_a, memory projection U_a and vector v_a.

    Args:
        units: width of the projections.
        normalize: the weight-normalised form (v_a = g v / ||v||, plus a
            bias inside the tanh; Salimans & Kingma 2016), as in TensorFlow
            Addons.
        monotonic: None (softmax), or monotonic attention's mode
            ("parallel", "recursive" or "hard"; Raffel et al. 2017), whose
            call takes the previous step's weights as `previous`.
        sigmoid_noise: monotonic only: std of the noise added to the scores
            in training, which pushes the choice probabilities to 0 or 1.
        score_bias_init: monotonic only: start of the learned score bias
            (negative values make early steps less likely to be chosen).

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

    def __init__(
        self,
        units: int,
        normalize: bool = False,
        monotonic=None,
        sigmoid_noise=0.0,
        score_bias_init=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.normalize = bool(normalize)
        self.init_monotonic(monotonic, sigmoid_noise, score_bias_init, seed)

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
        self.build_monotonic()

    def keys(self, memory):
        return ops.matmul(memory, self.memory_kernel)

    def scores(self, query, keys):
        g, b = (self.g, self.b) if self.normalize else (None, None)
        return bahdanau_score(ops.matmul(query, self.query_kernel), keys, self.v, g, b)

    def get_config(self):
        own = {"units": self.units, "normalize": self.normalize, **self.monotonic_config()}
        return {**super().get_config(), **own}


@keras.saving.register_keras_serializable(package="zoo")
class LuongAttention(_Attention):
    """Multiplicative attention (Luong et al. 2015).

    Args:
        score: "dot", s^T h_j (query and memory of equal size), or
            "general", s^T W h_j (bilinear).
        scale: multiply the scores by a learned scalar (starting at 1), as
            TensorFlow Addons' `scale=True`.
        monotonic, sigmoid_noise, score_bias_init: as BahdanauAttention's.

    Call: as BahdanauAttention's.

    Example:

    >>> import numpy as np
    >>> query, memory = np.zeros((2, 12), "float32"), np.zeros((2, 5, 12), "float32")
    >>> context, weights = LuongAttention()(query, memory)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 12), (2, 5))
    """

    SCORES = ("dot", "general")

    def __init__(
        self,
        score: str = "general",
        scale: bool = False,
        monotonic=None,
        sigmoid_noise=0.0,
        score_bias_init=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if score not in self.SCORES:
            raise ValueError(f"`score` must be one of {self.SCORES}, got score={score!r}")
        self.score = score
        self.scale = bool(scale)
        self.init_monotonic(monotonic, sigmoid_noise, score_bias_init, seed)

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
        if self.scale:
            self.g = self.add_weight(name="g", shape=(), initializer="ones")
        self.build_monotonic()

    def keys(self, memory):
        return memory if self.score == "dot" else ops.matmul(memory, self.kernel)

    def scores(self, query, keys):
        return luong_score(query, keys, self.g if self.scale else None)

    def get_config(self):
        own = {"score": self.score, "scale": self.scale, **self.monotonic_config()}
        return {**super().get_config(), **own}
