"""Tokenising and detokenising inside a TensorFlow graph, so SavedModel
signatures take and return strings: characters -> ids through a lookup
table over code points (unknown characters -> 0, the OOV id), ids ->
characters by gathering from the vocabulary."""

import numpy as np
import tensorflow as tf


class GraphVocabulary(tf.Module):
    """A zoo character vocabulary (token list, id 0 = OOV) as graph ops."""

    def __init__(self, tokens):
        super().__init__()
        points = np.array([ord(t) for t in tokens[1:]], np.int64)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(points, np.arange(1, len(tokens), dtype=np.int64)),
            default_value=0,
        )
        self.tokens = tf.constant(tokens)

    def encode(self, texts):
        """(B,) strings -> ragged int32 ids (B, None)."""
        points = tf.strings.unicode_decode(texts, "UTF-8", errors="replace")
        return tf.ragged.map_flat_values(
            lambda p: tf.cast(self.table.lookup(tf.cast(p, tf.int64)), tf.int32), points
        )

    def decode(self, ids, keep):
        """ids (B, L) where `keep` (B, L) is true -> (B,) strings."""
        picked = tf.ragged.boolean_mask(ids, keep)
        return tf.strings.reduce_join(tf.gather(self.tokens, picked), axis=1)
