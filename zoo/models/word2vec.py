"""Word2Vec: skip-gram with negative sampling (Mikolov et al. 2013).

Two embedding tables: a word's vector as a centre ("input" vectors, the
ones used afterwards) and as a context ("output" vectors). For a centre c
and candidates (the true context, then noise words), the logits are the
dot products v_c . u_k, trained towards 1 for the first and 0 for the
rest with a sigmoid cross-entropy (training.data.skipgrams makes the
examples). Words are zoo_runtime.words tokens, the text classifiers' own,
so a classifier can start from these vectors.
"""

from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.words import WordVocabulary
from zoo_runtime.word_vectors import WordQuestions, WordTable


@keras.saving.register_keras_serializable(package="zoo")
class Word2Vec(WordQuestions, keras.Model):
    """Skip-gram word vectors with negative sampling.

    Args:
        vocabulary: the words, index = id (`zoo.words.WordVocabulary`
            tokens: PAD and OOV first; they get vectors but are never
            answers).
        embedding_dim: the vectors' width.
        contexts: keep the context table, which only training uses; a
            shipped model holds the centre vectors alone.
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

    def __init__(
        self, vocabulary: list[str], embedding_dim: int = 100, contexts: bool = True, **kwargs
    ):
        super().__init__(**kwargs)
        self._vocab = WordVocabulary(vocabulary)
        self.embedding_dim = embedding_dim
        size = len(self._vocab.tokens)
        scale = 0.5 / embedding_dim  # word2vec.c: inputs uniform in +-0.5/dim, outputs 0
        uniform = keras.initializers.RandomUniform(-scale, scale)
        self.centre = keras.layers.Embedding(size, embedding_dim, uniform, name="centre")
        self.context = (
            keras.layers.Embedding(size, embedding_dim, "zeros", name="context")
            if contexts
            else None
        )

    @property
    def vocabulary(self):
        return list(self._vocab.tokens)

    def build(self, input_shape=None):
        self.centre.build((None,))
        if self.context is not None:
            self.context.build((None, None))
        self.built = True

    def call(self, inputs):
        if self.context is None:
            raise ValueError(
                "this Word2Vec holds no context table (contexts=False): it cannot train"
            )
        centre, candidates = inputs
        return ops.einsum("bd,bkd->bk", self.centre(centre), self.context(candidates))

    # ---- the vectors ---------------------------------------------------------
    @property
    def vectors(self):
        """(V, embedding_dim) float32: each word's centre vector."""
        return ops.convert_to_numpy(self.centre.embeddings)

    def without_contexts(self):
        """A copy holding the centre vectors alone: what a package ships."""
        found = Word2Vec(self.vocabulary, self.embedding_dim, contexts=False, name=self.name)
        found.build()
        found.centre.embeddings.assign(self.centre.embeddings)
        return found

    def table(self):
        """The vectors as zoo_runtime.word_vectors.WordTable, which answers
        every question (the apps' runtime answers with the same code)."""
        return WordTable(self.vocabulary, self.vectors)

    def write_projector(self, folder):
        """vectors.tsv and metadata.tsv in `folder` for TensorBoard's
        embedding projector (projector.tensorflow.org's "Load"): one row
        per word, PAD and OOV left out. Tokens hold no tab or newline (the
        tokenisation splits on them), so each is one metadata line; a
        single column takes no header. Returns the two paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        vectors, metadata = folder / "vectors.tsv", folder / "metadata.tsv"
        np.savetxt(vectors, self.vectors[2:], fmt="%.6g", delimiter="\t")
        metadata.write_text("".join(f"{word}\n" for word in self.vocabulary[2:]), "utf-8")
        return vectors, metadata

    def get_config(self):
        config = {
            "vocabulary": self.vocabulary,
            "embedding_dim": self.embedding_dim,
            "contexts": self.context is not None,
        }
        return {**super().get_config(), **config}
