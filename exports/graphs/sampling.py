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


# ---- n-gram blocking of one growing text per row (zoo_runtime.search.NgramBlock)
# The rows' tokens so far (B, W), their count (B,), and for each position j
# below the last, how many tokens the text ending at j shares as a suffix
# with the whole text: appending x sets it to (token j == x) * (the old
# figure at j - 1, + 1), so a step costs O(W) with no (B, W, V) one-hot, and
# n may differ from row to row.


def ngram_rows(batch, width):
    """No row has written anything: (tokens, suffix matches, counts)."""
    zeros = tf.zeros((batch, width), tf.int32)
    return zeros, zeros, tf.zeros((batch,), tf.int32)


def ngram_banned(rows, n, vocab):
    """(B, vocab) bool: the tokens that would complete an n-gram (n (B,);
    0 for no blocking) that the row has already written."""
    tokens, matches, count = rows
    position = tf.range(tf.shape(tokens)[1])[None]
    # Token p repeats an n-gram if the n - 1 tokens before it are the text's last n - 1.
    before = _shifted(matches)
    hit = (position < count[:, None]) & (before >= n[:, None] - 1) & (n[:, None] > 0)
    batch = tf.shape(tokens)[0]
    row = tf.broadcast_to(tf.range(batch)[:, None], tf.shape(tokens))
    index = tf.reshape(tf.stack([row, tokens], -1), (-1, 2))
    hits = tf.reshape(tf.cast(hit, tf.int32), (-1,))
    return tf.tensor_scatter_nd_max(tf.zeros(tf.stack([batch, vocab]), tf.int32), index, hits) > 0


def ngram_add(rows, token, active):
    """`rows` with `token` (B,) appended where `active` (B,) is True."""
    tokens, matches, count = rows
    position = tf.range(tf.shape(tokens)[1])[None]
    same = tf.equal(tokens, token[:, None]) & (position < count[:, None])
    grown = tf.where(same, _shifted(matches) + 1, 0)
    appended = tf.where(tf.equal(position, count[:, None]), token[:, None], tokens)
    on = active[:, None]
    return (
        tf.where(on, appended, tokens),
        tf.where(on, grown, matches),
        count + tf.cast(active, tf.int32),
    )


def _shifted(matches):
    """matches[j - 1] at j, 0 at j = 0 (the empty text before the first token)."""
    return tf.pad(matches[:, :-1], [[0, 0], [1, 0]])
