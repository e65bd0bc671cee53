"""Tokenising and detokenising inside a TensorFlow graph, so SavedModel
signatures take and return strings: characters -> ids through a lookup
table over code points (unknown characters -> 0, the OOV id), ids ->
characters by gathering from the vocabulary."""

import numpy as np
import tensorflow as tf

from zoo_runtime import subwords, words


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


class GraphSubwords(tf.Module):
    """zoo.subwords' tokenisation and a subword vocabulary (id 0 = OOV) as
    graph ops, step for step as the Python code does them."""

    def __init__(self, tokens):
        super().__init__()
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(tokens), np.arange(len(tokens), dtype=np.int64)
            ),
            default_value=-1,
        )
        self.tokens = tf.constant(tokens)

    def pretokenize(self, texts):
        """(B,) valid UTF-8 strings -> ragged (B, None) SPACE-marked pre-tokens."""
        texts = tf.strings.regex_replace(texts, f"[{subwords.SEPARATORS}]+", " ")
        texts = tf.strings.join([" ", texts])
        for pattern, rewrite in subwords.REWRITES:
            texts = tf.strings.regex_replace(texts, pattern, rewrite)
        found = tf.strings.split(texts, subwords.MARK)
        return tf.ragged.boolean_mask(found, tf.not_equal(found, ""))

    def encode(self, texts):
        """(B,) strings -> ragged int32 ids (B, None)."""
        pretokens = self.pretokenize(texts)
        pieces = self._greedy(pretokens.flat_values)  # (pre-tokens, None)
        return pretokens.with_flat_values(pieces).merge_dims(1, 2)

    def _greedy(self, pretokens):
        """The longest known piece from each position, as zoo.subwords'
        greedy_pieces: one loop turn per character of the longest pre-token."""
        length = tf.strings.length(pretokens, unit="UTF8_CHAR")
        turns = tf.maximum(tf.reduce_max(tf.concat([length, [0]], 0)), 1)
        found = tf.TensorArray(tf.int32, size=turns, element_shape=tf.TensorShape([None]))

        def turn(t, position, found):
            best_size, best_id = tf.ones_like(position), tf.zeros_like(position)  # OOV
            for size in range(1, subwords.MAX_PIECE + 1):
                piece = tf.strings.substr(
                    pretokens, position, tf.fill(tf.shape(pretokens), size), unit="UTF8_CHAR"
                )
                known = tf.cast(self.table.lookup(piece), tf.int32)
                fits = (known >= 0) & (position + size <= length)
                best_size = tf.where(fits, size, best_size)
                best_id = tf.where(fits, known, best_id)
            active = position < length
            found = found.write(t, tf.where(active, best_id, -1))
            return t + 1, position + tf.where(active, best_size, 0), found

        _, _, found = tf.while_loop(
            lambda t, *_: t < turns, turn, (0, tf.zeros_like(length), found)
        )
        ids = tf.transpose(found.stack())  # (pre-tokens, turns)
        return tf.ragged.boolean_mask(ids, ids >= 0)

    def decode(self, ids, keep):
        """ids (B, L) where `keep` (B, L) is true -> (B,) detokenised strings."""
        picked = tf.gather(self.tokens, tf.ragged.boolean_mask(ids, keep))
        joined = tf.strings.reduce_join(picked, axis=1)
        spaced = tf.strings.regex_replace(joined, subwords.SPACE, " ")
        return tf.strings.regex_replace(spaced, "^ +| +$", "")
