"""Word2Vec: skip-gram with negative sampling (Mikolov et al. 2013).

Two embedding tables: a word's vector as a centre ("input" vectors, the
ones used afterwards) and as a context ("output" vectors). For a centre c
and candidates (the true context, then noise words), the logits are the
dot products v_c . u_k, trained towards 1 for the first and 0 for the
rest with a sigmoid cross-entropy (training.data.skipgrams makes the
examples). Words are zoo_runtime.words tokens, the text classifiers' own,
so a classifier can start from these vectors.
"""

import keras
import numpy as np
from keras import ops

from zoo.words import WordVocabulary


@keras.saving.register_keras_serializable(package="zoo")
class Word2Vec(keras.Model):
    """Skip-gram word vectors with negative sampling.

    Args:
        vocabulary: the words, index = id (`zoo.words.WordVocabulary`
            tokens: PAD and OOV first; they get vectors but are never
            answers).
        embedding_dim: the vectors' width.
        **kwargs: `keras.Model` arguments.

    Inputs of `call`: (centre ids (B,), candidate ids (B, 1 + negatives))
    -> logits (B, 1 + negatives).

    Example:

    >>> model = Word2Vec(["<pad>", "<unk>", "king", "queen", "man", "woman"], 8)
    >>> model.build()
    >>> len(model.nearest("king", 2))
    2
    """

    task = "word-vectors"  # the card's task
    ASSETS = ("vocabulary",)  # saved beside config.json, not in it (zoo.registry)

    def __init__(self, vocabulary: list[str], embedding_dim: int = 100, **kwargs):
        super().__init__(**kwargs)
        self._vocab = WordVocabulary(vocabulary)
        self.embedding_dim = embedding_dim
        size = len(self._vocab.tokens)
        scale = 0.5 / embedding_dim  # word2vec.c: inputs uniform in +-0.5/dim, outputs 0
        uniform = keras.initializers.RandomUniform(-scale, scale)
        self.centre = keras.layers.Embedding(size, embedding_dim, uniform, name="centre")
        self.context = keras.layers.Embedding(size, embedding_dim, "zeros", name="context")

    @property
    def vocabulary(self):
        return list(self._vocab.tokens)

    def build(self, input_shape=None):
        self.centre.build((None,))
        self.context.build((None, None))
        self.built = True

    def call(self, inputs):
        centre, candidates = inputs
        return ops.einsum("bd,bkd->bk", self.centre(centre), self.context(candidates))

    # ---- the vectors ---------------------------------------------------------
    @property
    def vectors(self):
        """(V, embedding_dim) float32: each word's centre vector."""
        return ops.convert_to_numpy(self.centre.embeddings)

    def vector(self, word):
        return self.vectors[self._id(word)]

    def similarity(self, a, b):
        """The cosine of the angle between two words' vectors."""
        return float(_unit(self.vector(a)) @ _unit(self.vector(b)))

    def nearest(self, word, k=10):
        """The k words (and cosines) closest to `word`, itself excluded."""
        return self._closest(self.vector(word), k, exclude={word})

    def analogy(self, a, b, c, k=1):
        """Words d with a : b :: c : d, by 3CosAdd (Mikolov et al. 2013):
        the k closest to b - a + c, none of the three."""
        target = _unit(self.vector(b)) - _unit(self.vector(a)) + _unit(self.vector(c))
        return self._closest(target, k, exclude={a, b, c})

    def _closest(self, target, k, exclude):
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        vectors = self.vectors
        units = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        scores = units @ _unit(target)
        scores[:2] = -np.inf  # PAD and OOV are never answers
        for word in exclude:
            scores[self._id(word)] = -np.inf
        best = np.argsort(-scores, kind="stable")[:k]
        return [(self._vocab.tokens[i], float(scores[i])) for i in best]

    def _id(self, word):
        if not isinstance(word, str):
            raise TypeError(f"a word is a str, got {type(word).__name__}")
        found = int(self._vocab.ids([word])[0])  # 1 (OOV) for any word it lacks
        if found < 2:
            words = len(self._vocab.tokens) - 2
            raise KeyError(f"{word!r} is not in this model's vocabulary of {words:,} words")
        return found

    def get_config(self):
        config = {"vocabulary": self.vocabulary, "embedding_dim": self.embedding_dim}
        return {**super().get_config(), **config}


def _unit(x):
    return x / max(float(np.linalg.norm(x)), 1e-12)
