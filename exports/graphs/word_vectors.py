"""What word vectors (zoo.models.Word2Vec) export.

ONNX `model.onnx`: token_ids (N,) int32 -> vectors (N, D). An app reads
the table once (ids 0..V-1) and answers nearest, similarity and analogy
itself (zoo_runtime.word_vectors in Python); a word is a text of exactly
one token of zoo.json's tokenisation (the text classifiers' contract).

SavedModel: `serving_default` word -> vector (N, D) and known (N,): false
where the text is not one token the vocabulary holds (its vector is then
zeros); `nearest` word, k -> words (N, k), cosines (N, k) and known: the
k words closest by cosine, the word itself, PAD and OOV left out ("" and
0 on a row whose word is unknown).
"""

import numpy as np
import tensorflow as tf

from exports import work
from exports.graphs.base import Graphs, spec
from exports.graphs.checks import checked, checked_text, strings
from exports.text_ops import GraphWords
from zoo_runtime import words
from zoo_runtime.limits import MAX_NEAREST, MAX_WORD_CHARS
from zoo_runtime.word_vectors import SPECIALS

EXAMPLES = ["good", "Film", "not one word", "zzzqqqxxx", "été"]


class WordVectorGraphs(Graphs):
    LIMITS = ("max_word_chars",)

    def __init__(self, model, limits=None):
        super().__init__(model, limits)
        self.limits["max_word_chars"] = min(self.limits["max_word_chars"], MAX_WORD_CHARS)
        # Two tokens kept (the first and last) tell "one token" from "more".
        self.words = GraphWords(model.vocabulary, 2, 1)

    def resources(self):
        return [self.words]

    @property
    def table(self):
        return self.model.centre.embeddings

    @property
    def onnx(self):
        return {"model.onnx": (self.lookup, [spec((None,), tf.int32, "token_ids")])}

    def lookup(self, token_ids):
        return {"vectors": tf.gather(self.table, token_ids)}

    @property
    def signatures(self):
        word = spec((None,), tf.string, "word")
        return {
            "serving_default": (self.vectors, [word]),
            "nearest": (self.nearest, [word, spec((), tf.int32, "k")]),
        }

    def _ids(self, word):
        """(ids, known): each word's id, 1 (OOV) where it is not one token
        the vocabulary holds."""
        word = checked_text(word, self.limits["max_word_chars"], "word")
        tokens = self.words.tokenize(word)
        first = tf.pad(self.words.ids(tokens), [[0, 0], [0, 1]])[:, 0]
        known = (tokens.row_lengths() == 1) & (first >= SPECIALS)
        return tf.where(known, first, 1), known

    def vectors(self, word):
        ids, known = self._ids(word)
        vectors = tf.gather(self.table, ids) * tf.cast(known, tf.float32)[:, None]
        return {"vector": vectors, "known": known}

    def nearest(self, word, k):
        k = checked(k, 1, MAX_NEAREST, "k")
        ids, known = self._ids(word)
        units = self.table / tf.maximum(tf.norm(self.table, axis=1, keepdims=True), 1e-12)
        scores = tf.matmul(tf.gather(units, ids), units, transpose_b=True)
        column = tf.range(tf.shape(units)[0])[None, :]
        left_out = (column < SPECIALS) | (column == ids[:, None])
        scores = tf.where(left_out, -np.inf, scores)
        cosines, found = tf.math.top_k(scores, tf.minimum(k, tf.shape(units)[0] - SPECIALS - 1))
        vocabulary = tf.constant(self.model.vocabulary)
        row = known[:, None]
        return {
            "words": tf.where(row, tf.gather(vocabulary, found), ""),
            "cosines": tf.where(row, cosines, 0.0),
            "known": known,
        }

    def work(self):
        table = int(np.prod(self.table.shape))
        return {
            "serving_default": [work.term("word", "row", self.model.embedding_dim)],
            "nearest": [work.term("word", "row", table)],
        }

    def onnx_work(self, signatures):
        return {"model.onnx": [work.term("token_ids", "element", self.model.embedding_dim)]}

    def reference(self, signature, feed):
        table = self.model.table()  # once: every word below reads it
        words = [w.decode() for w in feed["word"]]
        found = [_known(table, w) for w in words]
        known = np.array(found, bool)
        if signature == "serving_default":
            zeros = np.zeros(self.model.embedding_dim, np.float32)
            vectors = [table.vector(w) if ok else zeros for w, ok in zip(words, found, strict=True)]
            return {"vector": np.stack(vectors), "known": known}
        k = min(int(feed["k"]), len(self.model.vocabulary) - SPECIALS - 1)
        rows = [
            table.nearest(w, k) if ok else [("", 0.0)] * k
            for w, ok in zip(words, found, strict=True)
        ]
        return {
            "words": np.array([[w.encode() for w, _ in r] for r in rows], object),
            "cosines": np.array([[c for _, c in r] for r in rows], np.float32),
            "known": known,
        }

    def examples(self):
        ids = np.arange(min(6, len(self.model.vocabulary)), dtype=np.int32)
        return {
            "model.onnx": [{"token_ids": ids}],
            "serving_default": [{"word": strings(EXAMPLES)}],
            "nearest": [{"word": strings(EXAMPLES), "k": np.int32(3)}],
        }

    def contract(self):
        m = self.model
        return {
            **super().contract(),
            **words.contract(m.vocabulary, 1, 1),
            "embedding_dim": m.embedding_dim,
            "word_rule": "a word is a text of exactly one token; the vector of id i is row i "
            "of model.onnx's output for token_ids = [i]",
        }


def _known(table, word):
    try:
        table.id(word)
    except KeyError:
        return False
    return True


GRAPHS = WordVectorGraphs
