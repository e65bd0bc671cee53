"""Word vectors' export on a tiny model: the SavedModel and OnnxModel
answer as Word2Vec does (case, non-ASCII words, several tokens, unknown
words), and the bounds on a word's length and on k hold in the graph."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from exports.exporter import export
from serving import OnnxModel
from zoo.models import Word2Vec
from zoo.words import OOV, PAD

WORDS = [PAD, OOV, "good", "bad", "film", "café", "n't", "'s", "dull", "great"]


@functools.cache
def tiny():
    keras.utils.set_random_seed(3)
    full = Word2Vec(WORDS, 6)
    full.build()
    model = full.without_contexts()
    model.centre.embeddings.assign(np.random.default_rng(3).normal(size=(len(WORDS), 6)))
    return model


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export(tiny(), tmp_path_factory.mktemp("vectors"), name="tiny-vectors")


def test_savedmodel_and_onnx_answer_as_word2vec(exported):
    serve = tf.saved_model.load(str(exported)).signatures
    asked = ["GOOD", "Café", "n't", "good film", "zebra", ""]
    got = serve["serving_default"](word=tf.constant(asked))
    assert got["known"].numpy().tolist() == [True, True, True, False, False, False]
    np.testing.assert_allclose(
        got["vector"].numpy()[:3], [tiny().vector(w) for w in asked[:3]], atol=1e-6
    )
    near = serve["nearest"](word=tf.constant(["café", "zebra"]), k=tf.constant(3))
    want = tiny().nearest("café", 3)
    assert [w.decode() for w in near["words"].numpy()[0]] == [w for w, _ in want]
    np.testing.assert_allclose(near["cosines"].numpy()[0], [c for _, c in want], atol=1e-5)
    assert near["words"].numpy()[1].tolist() == [b""] * 3
    everyone = serve["nearest"](word=tf.constant(["good"]), k=tf.constant(50))
    assert everyone["words"].shape == (1, len(WORDS) - 3)  # every word but itself and the specials
    onnx = OnnxModel(exported)
    same(onnx.nearest("Good", 4), tiny().nearest("good", 4))
    same(onnx.analogy("bad", "dull", "good", k=2), tiny().analogy("bad", "dull", "good", k=2))
    with pytest.raises(KeyError, match="not in this model's vocabulary"):
        onnx.vector("zebra")


def same(found, want):
    assert [w for w, _ in found] == [w for w, _ in want]
    np.testing.assert_allclose([c for _, c in found], [c for _, c in want], atol=1e-6)


def test_the_graph_refuses_long_words_and_k_out_of_range(exported):
    serve = tf.saved_model.load(str(exported)).signatures
    with pytest.raises(tf.errors.InvalidArgumentError, match="word bytes"):
        serve["serving_default"](word=tf.constant(["a" * 1000]))
    for k in (0, 1001):
        with pytest.raises(tf.errors.InvalidArgumentError, match="k must lie in"):
            serve["nearest"](word=tf.constant(["good"]), k=tf.constant(k))
