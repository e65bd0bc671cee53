"""A text classifier's export (tiny model): one tokenisation in Keras, in
the SavedModel's graph and in OnnxModel's numpy code; native GRU / LSTM
nodes in the ONNX graph; the same probabilities and weights on every path;
and the same refusals of bad input."""

import numpy as np
import pytest
import tensorflow as tf

from exports.exporter import export
from exports.onnx_export import op_types
from serving import OnnxModel
from serving.tasks.sentiment import runs_by_length
from tests.zoo.helpers import randomize
from zoo.models import TextClassifier
from zoo.words import WordVocabulary

TRAIN = ["a good film", "café naïve déjà-vu", "it's not bad", "did n't like it !", "日本語 😀"]
TRICKY = [
    "A GOOD film<br />It's NOT bad... didn’t like it?!",
    "Café NAÏVE déjà-vu 😀 日本語\tunknownword\x01x\x7fy",
    "‘quoted’ 9/10 :-) <BR/>zzz n't's",
    "x" * 40 + " " + "good " * 30,  # over max_tokens: head and tail kept
]


@pytest.fixture(scope="module", params=["gru", "lstm"])
def exported(request, tmp_path_factory):
    vocabulary = WordVocabulary.from_texts(TRAIN, 40, 1).tokens
    model = TextClassifier(
        vocabulary,
        cell=request.param,
        units=6,
        embedding_dim=5,
        attention_units=4,
        max_tokens=12,
        head_tokens=4,
    )
    model.build()
    randomize(model, np.random.default_rng(1))
    out = tmp_path_factory.mktemp("exports")
    directory = export(
        model, out, name=f"tiny-{request.param}", models_config=out / "models.config"
    )
    return model, directory


def test_ids_are_identical_in_keras_the_savedmodel_and_onnxmodel(exported):
    model, directory = exported
    keras_ids, keras_tokens = model.encode_texts(TRICKY)
    assert any(1 in row for row in keras_ids)  # unknown words are exercised
    explain = tf.saved_model.load(str(directory)).signatures["explain"]
    saved = explain(text=tf.constant(TRICKY))
    np.testing.assert_array_equal(saved["token_ids"].numpy(), keras_ids)
    saved_tokens = [[t.decode() for t in row if t] for row in saved["tokens"].numpy()]
    assert saved_tokens == keras_tokens
    onnx_ids, onnx_tokens = OnnxModel(directory).tokenizer().encode(TRICKY)
    np.testing.assert_array_equal(onnx_ids, keras_ids)
    assert onnx_tokens == keras_tokens


def test_onnx_graph_uses_native_recurrent_nodes(exported):
    import onnx

    model, directory = exported
    ops = op_types(onnx.load(str(directory / "model.onnx")))
    assert ("GRU" if model.cell_name == "gru" else "LSTM") in ops
    assert "Loop" not in ops


def test_every_path_gives_keras_numbers(exported):
    model, directory = exported
    onnx_model = OnnxModel(directory)
    want = model.predict_proba(TRICKY)
    np.testing.assert_allclose(onnx_model.predict_proba(TRICKY), want, atol=1e-5)
    assert onnx_model.classify(TRICKY) == model.classify(TRICKY)
    served = tf.saved_model.load(str(directory)).signatures["serving_default"]
    got = served(text=tf.constant(TRICKY))
    np.testing.assert_allclose(got["probability"].numpy(), want, atol=1e-5)
    assert [x.decode() for x in got["label"].numpy()] == model.classify(TRICKY)
    for text in TRICKY:
        tokens, weights = model.explain(text)
        onnx_tokens, onnx_weights = onnx_model.explain(text)
        assert onnx_tokens == tokens
        np.testing.assert_allclose(onnx_weights, weights, atol=1e-5)
        assert onnx_weights.sum() == pytest.approx(1.0, abs=1e-5)


def test_bad_input_is_refused_alike(exported):
    model, directory = exported
    onnx_model = OnnxModel(directory)
    served = tf.saved_model.load(str(directory)).signatures["serving_default"]
    for predict in (model.predict_proba, onnx_model.predict_proba):
        with pytest.raises(TypeError, match="wrap a single string"):
            predict("good")
        with pytest.raises(TypeError, match="input 1 is a int"):
            predict(["good", 7])
        with pytest.raises(ValueError, match="input 1 is empty or only whitespace"):
            predict(["good", " \t\n"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="empty or only whitespace"):
        served(text=tf.constant(["good", " \t\n"]))


def test_a_one_megabyte_review_is_truncated_alike_on_every_path(exported):
    model, directory = exported
    review = "good film , not bad " * 52_000 + "the end"  # 1.04 MB
    want = model.predict_proba([review])
    served = tf.saved_model.load(str(directory)).signatures
    np.testing.assert_allclose(
        served["serving_default"](text=tf.constant([review]))["probability"], want, atol=1e-5
    )
    tokens = [
        t.decode() for t in served["explain"](text=tf.constant([review]))["tokens"][0].numpy()
    ]
    assert tokens == model.explain(review)[0] == OnnxModel(directory).explain(review)[0]
    assert tokens[-2:] == ["the", "end"] and len(tokens) == model.max_tokens
    np.testing.assert_allclose(OnnxModel(directory).predict_proba([review]), want, atol=1e-5)


def test_a_big_batch_runs_in_length_sorted_runs_with_keras_numbers(exported):
    model, directory = exported
    rng = np.random.default_rng(5)
    words = "a good film it's not bad café 日本語 zzz".split()
    texts = [" ".join(rng.choice(words, rng.integers(1, 16))) for _ in range(37)]
    lengths = [len(t) for t in OnnxModel(directory).tokenizer().encode(texts)[1]]
    runs = runs_by_length(lengths)
    assert len(runs) == 3 and sorted(np.concatenate([r for r, _ in runs])) == list(range(37))
    assert [longest for _, longest in runs] == sorted(longest for _, longest in runs)
    got = OnnxModel(directory).predict_proba(texts)
    np.testing.assert_allclose(got, model.predict_proba(texts), atol=1e-5)
