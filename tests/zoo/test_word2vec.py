"""zoo.models.word2vec.Word2Vec on a tiny corpus with a planted structure:
eight words, each the pair (group, role) of two groups and four roles,
seen only beside its group's and its role's marker words. Trained with
training.data.skipgrams' examples, `nearest` must find the words sharing
a group or a role, and `analogy` must move a word to the other group and
keep its role."""

import functools

import keras
import numpy as np
import pytest

from training.data import skipgrams
from zoo.models.word2vec import Word2Vec
from zoo.words import OOV, PAD

GROUPS, ROLES = ("a", "b"), ("w", "x", "y", "z")
WORDS = [f"{g}{r}" for g in GROUPS for r in ROLES]
MARKERS = [f"group{g}" for g in GROUPS] + [f"role{r}" for r in ROLES]


@functools.cache
def trained():
    vocabulary = [PAD, OOV, *WORDS, *MARKERS]
    ids = {w: i for i, w in enumerate(vocabulary)}
    rng = np.random.default_rng(0)
    sentences = []
    for _ in range(600):
        g, r = GROUPS[rng.integers(2)], ROLES[rng.integers(4)]
        sentences.append([ids[f"group{g}"], ids[f"{g}{r}"], ids[f"role{r}"]])
    counts = np.bincount(np.concatenate(sentences), minlength=len(vocabulary))
    keras.utils.set_random_seed(0)
    model = Word2Vec(vocabulary, embedding_dim=16)
    model.build()
    model.compile(keras.optimizers.Adam(0.05), keras.losses.BinaryCrossentropy(from_logits=True))
    for epoch in range(8):
        centres, candidates = skipgrams.examples(sentences, counts, 2, 4, 1.0, 0, epoch)
        labels = np.zeros(candidates.shape, "float32")
        labels[:, 0] = 1.0
        model.fit((centres, candidates), labels, batch_size=64, verbose=0)
    return model


def test_nearest_are_the_words_sharing_a_group_or_a_role():
    model = trained()
    for word in WORDS:
        ranked = [w for w, _ in model.nearest(word, 13) if w in WORDS]  # markers aside
        sharing = {w for w in WORDS if w != word and (w[0] == word[0] or w[1] == word[1])}
        assert set(ranked[:4]) == sharing, (word, ranked)  # the 3 sharing nothing after


def test_analogy_recovers_the_planted_offset():
    model = trained()
    for r, s in (("w", "x"), ("y", "z"), ("x", "w")):
        (answer, _), *_ = model.analogy(f"a{r}", f"b{r}", f"a{s}")
        assert answer == f"b{s}"
    assert model.similarity("aw", "ax") > model.similarity("aw", "bw") - 1  # defined, in [-1, 1]
    assert -1.0 <= model.similarity("aw", "bz") <= 1.0


def test_unknown_words_and_bad_k_are_clear_errors():
    model = trained()
    with pytest.raises(KeyError, match="'zebra' is not in this model's vocabulary of 14 words"):
        model.nearest("zebra")
    with pytest.raises(KeyError, match="not in this model's vocabulary"):
        model.similarity(PAD, "aw")
    with pytest.raises(ValueError, match=r"k must be an int in \[1, 1000\]"):
        model.nearest("aw", 0)
    with pytest.raises(TypeError, match="a word is a str"):
        model.vector(3)
    with pytest.raises(KeyError, match=r"'aw bx' is 2 tokens \['aw', 'bx'\], not one word"):
        model.vector("aw bx")
    with pytest.raises(KeyError, match="the longest read is 100"):
        model.vector("a" * 10_000_000)  # refused before it is tokenised
    np.testing.assert_array_equal(model.vector(" AW "), model.vector("aw"))  # the contract's case
    assert PAD not in [w for w, _ in model.nearest("aw", 13)]  # never an answer


def test_projector_files_hold_every_word_and_its_vector(tmp_path):
    model = trained()
    vectors, metadata = model.write_projector(tmp_path / "projector")
    words = metadata.read_text("utf-8").splitlines()
    assert words == model.vocabulary[2:]
    np.testing.assert_allclose(np.loadtxt(vectors, delimiter="\t"), model.vectors[2:], rtol=1e-5)


def test_a_classifier_starts_from_the_vectors_of_the_words_it_shares():
    from zoo.models import TextClassifier

    keras.utils.set_random_seed(1)
    words = [PAD, OOV, "aw", "bx", "unseen"]
    model = TextClassifier(words, units=4, embedding_dim=16, embeddings=trained())
    model.build()
    rows = keras.ops.convert_to_numpy(model.embedding.embeddings)
    np.testing.assert_array_equal(
        rows[2:4], trained().vectors[[trained().vocabulary.index(w) for w in ("aw", "bx")]]
    )
    assert model.warm_words == 2 and np.all(np.abs(rows[4]) <= 0.05)  # Keras' uniform start
    again = TextClassifier.from_config(model.get_config())  # the weights carry the vectors
    assert "embeddings" not in model.get_config() and again.embedding_dim == 16
    # fit may build the model itself, inside a graph: the rows start the same.
    keras.utils.set_random_seed(1)
    lazy = TextClassifier(words, units=4, embedding_dim=16, embeddings=trained())
    lazy.fit(["aw bx", "unseen aw"], ["positive", "negative"], epochs=1, verbose=0)
    moved = keras.ops.convert_to_numpy(lazy.embedding.embeddings)[2:4] - rows[2:4]
    assert np.abs(moved).max() < 0.01  # one small Adam step from the vectors


def test_warm_start_refuses_vectors_of_another_width_or_kind():
    from zoo.models import TextClassifier

    with pytest.raises(ValueError, match="16 wide and embedding_dim is 8"):
        TextClassifier([PAD, OOV, "aw"], units=4, embedding_dim=8, embeddings=trained())
    with pytest.raises(ValueError, match="must be word vectors"):
        TextClassifier([PAD, OOV, "aw"], units=4, embedding_dim=16, embeddings=keras.Sequential())
