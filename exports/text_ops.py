"""Tokenising and detokenising inside a TensorFlow graph, so SavedModel
signatures take and return strings: characters -> ids through a lookup
table over code points (unknown characters -> 0, the OOV id), ids ->
characters by gathering from the vocabulary."""

import numpy as np
import tensorflow as tf

from zoo import words


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


class GraphWords(tf.Module):
    """zoo.words' tokenisation and a word vocabulary (id 0 PAD, 1 OOV) as
    graph ops, step for step as the Python code does them."""

    def __init__(self, tokens, max_tokens, head_tokens):
        super().__init__()
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(tokens[2:]), np.arange(2, len(tokens), dtype=np.int64)
            ),
            default_value=1,
        )
        self.max_tokens, self.head_tokens = max_tokens, head_tokens

    def tokenize(self, texts):
        """(B,) valid UTF-8 strings -> ragged (B, None) tokens, truncated."""
        texts = tf.strings.lower(texts)  # ASCII only, as zoo.words
        for pattern, rewrite in words.REWRITES:
            texts = tf.strings.regex_replace(texts, pattern, rewrite)
        spaced = tf.strings.regex_replace(texts, f"({words.TOKEN})", " \\1 ")
        tokens = tf.strings.split(tf.strings.regex_replace(spaced, words.SEPARATORS, " "))
        count = tokens.row_lengths()
        position = tf.ragged.range(count)
        row_count = tf.gather(count, position.value_rowids())
        tail = self.max_tokens - self.head_tokens
        keep = (position.flat_values < self.head_tokens) | (
            position.flat_values >= row_count - tail
        )
        return tf.ragged.boolean_mask(tokens, position.with_flat_values(keep))

    def ids(self, tokens):
        """Ragged tokens -> (B, T) int32 ids padded with 0."""
        found = tf.ragged.map_flat_values(self.table.lookup, tokens)
        return tf.cast(found, tf.int32).to_tensor(0)
