"""In-graph sampling: the SavedModel's twin of zoo_runtime.search.sample
(tested equal bit for bit), batch-independent by construction."""

import tensorflow as tf


def gumbel(seeds, t, vocab):
    """Gumbel noise (B, vocab) for step t: argmax(logits / T + noise)
    samples softmax(logits / T). Row b's noise is splitmix64 of (seeds[b],
    t, token) alone, so no row depends on the others in its batch."""
    golden = tf.constant(0x9E3779B97F4A7C15, tf.uint64)
    base = splitmix(tf.cast(seeds, tf.uint64))[:, None]
    steps = tf.cast(t, tf.int64) * tf.cast(vocab, tf.int64)
    counter = tf.cast(steps + tf.range(1, tf.cast(vocab, tf.int64) + 1, dtype=tf.int64), tf.uint64)
    bits = splitmix(base + counter[None, :] * golden)
    top = tf.bitwise.right_shift(bits, tf.constant(11, tf.uint64))  # 53 bits
    uniform = (tf.cast(top, tf.float64) + 0.5) / float(1 << 53)  # in (0, 1)
    # In float64, then rounded: SIMD and scalar log differ in the last bit,
    # and which one an element gets depends on its place in the batch.
    return tf.cast(-tf.math.log(-tf.math.log(uniform)), tf.float32)


def splitmix(x):
    """splitmix64's finaliser (Steele et al. 2014), in wrapping uint64."""
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(shift, tf.uint64)))
        x = x * tf.constant(factor, tf.uint64)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(31, tf.uint64)))
