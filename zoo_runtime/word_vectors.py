"""Word vectors' questions, in numpy: a word's vector, the cosine of two
words, the nearest words and analogies (3CosAdd, Mikolov et al. 2013).
The one implementation zoo.models.Word2Vec and the apps' runtime
(serving.tasks.word_vectors, from the ONNX graph's table) share.

Words are read by the text classifiers' tokenisation contract
(zoo_runtime.words), so "King" is "king"; ids 0 and 1 (PAD, OOV) have rows
but are never answers."""

import functools

import numpy as np

from zoo_runtime import limits
from zoo_runtime.words import OOV_ID, tokenize

SPECIALS = 2  # PAD and OOV lead the vocabulary


class WordTable:
    """`vocabulary` (index = id) and their vectors (V, D)."""

    def __init__(self, vocabulary, vectors):
        self.vocabulary = list(vocabulary)
        self.vectors = np.asarray(vectors, np.float32)
        if self.vectors.shape[0] != len(self.vocabulary):
            raise ValueError(f"{len(self.vocabulary)} words and {self.vectors.shape[0]} vectors")
        self._ids = {w: i for i, w in enumerate(self.vocabulary) if i >= SPECIALS}

    @functools.cached_property
    def units(self):
        """The vectors scaled to length 1: made on the first question that
        needs them, not for a lookup (`vector`)."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.maximum(norms, 1e-12)

    def id(self, word):
        """A word's id; a text that is not one token, or a word the
        vocabulary lacks, is a KeyError that says so."""
        if not isinstance(word, str):
            raise TypeError(f"a word is a str, got {type(word).__name__}")
        if len(word) > limits.MAX_WORD_CHARS:
            raise KeyError(
                f"a word of {len(word):,} characters: the longest read is {limits.MAX_WORD_CHARS}"
            )
        tokens = tokenize(word)
        if len(tokens) != 1:
            raise KeyError(f"{word!r} is {len(tokens)} tokens {tokens}, not one word")
        found = self._ids.get(tokens[0], OOV_ID)
        if found < SPECIALS:
            words = len(self.vocabulary) - SPECIALS
            raise KeyError(f"{word!r} is not in this model's vocabulary of {words:,} words")
        return found

    def vector(self, word):
        return self.vectors[self.id(word)]

    def similarity(self, a, b):
        """The cosine of the angle between two words' vectors."""
        return float(self.units[self.id(a)] @ self.units[self.id(b)])

    def nearest(self, word, k=10):
        """The k words (and cosines) closest to `word`, itself excluded."""
        found = self.id(word)
        return self.closest(self.units[found], k, {found})

    def analogy(self, a, b, c, k=1):
        """Words d with a : b :: c : d, by 3CosAdd: the k closest to
        b - a + c (unit vectors), none of the three."""
        ids = [self.id(w) for w in (a, b, c)]
        target = self.units[ids[1]] - self.units[ids[0]] + self.units[ids[2]]
        return self.closest(target, k, set(ids))

    def closest(self, target, k, exclude=()):
        """The k words (and cosines) closest to the vector `target`, the
        ids in `exclude` and the specials left out."""
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= limits.MAX_NEAREST:
            raise ValueError(f"k must be an int in [1, {limits.MAX_NEAREST}], got {k!r}")
        target = np.asarray(target, np.float32)
        scores = self.units @ (target / max(float(np.linalg.norm(target)), 1e-12))
        scores[:SPECIALS] = -np.inf
        scores[list(exclude)] = -np.inf
        best = np.argsort(-scores, kind="stable")[:k]
        return [(self.vocabulary[i], float(scores[i])) for i in best if np.isfinite(scores[i])]


class WordQuestions:
    """The questions a word-vectors model answers, for any class whose
    `table()` gives its WordTable (zoo's Word2Vec, the apps' OnnxModel)."""

    def vector(self, word):
        """A word's vector ("King" reads as "king"); KeyError if unknown."""
        return self.table().vector(word)

    def similarity(self, a, b):
        """The cosine of the angle between two words' vectors."""
        return self.table().similarity(a, b)

    def nearest(self, word, k=10):
        """The k words (and cosines) closest to `word`, itself excluded."""
        return self.table().nearest(word, k)

    def analogy(self, a, b, c, k=1):
        """Words d with a : b :: c : d, by 3CosAdd (Mikolov et al. 2013):
        the k closest to b - a + c, none of the three."""
        return self.table().analogy(a, b, c, k)
