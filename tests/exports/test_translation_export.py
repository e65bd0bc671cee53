"""The shipped translator's export: one subword tokenisation in Keras, in
the SavedModel's graph and in OnnxModel's numpy code; the same
translations on every path; the same refusals of bad input, and no crash
on characters the model never saw."""

import json

import numpy as np
import pytest
import tensorflow as tf

import zoo
from serving import OnnxModel
from zoo_runtime.subwords import Subwords

NAME = "translate-spa-eng"
# Accents, ¿¡, numbers, unseen words and characters, separator runs, quotes.
TRICKY = [
    "¿Dónde está la estación?",
    "¡Tengo 3 gatos y 12 perros!",
    "El ornitorrinco desayunaba en Zaragoza.",
    "Tom   no\tquería\x01hacerlo…",
    "Ella dijo: «sí», y él: “no”.",
    "☃ ǅ 😀 ß",
    "1.000.000 de años, 3,5 km—ÁÉÍÓÚ ñ Ñ ü",
]


@pytest.fixture(scope="module")
def exported(exported_models):
    directory = exported_models[1][NAME]
    return zoo.load(NAME), directory, tf.saved_model.load(str(directory))


def strings(tensor):
    return [t.decode() for t in tensor.numpy()]


def test_ids_are_identical_in_keras_the_savedmodel_and_onnxmodel(exported):
    model, directory, loaded = exported
    contract = json.loads((directory / "zoo.json").read_text())
    numpy_side = Subwords(contract["tokenisation"], contract["source_vocabulary"])
    graph = loaded.signatures["tokenize"](text=tf.constant(TRICKY))
    pieces = [[p.decode() for p in row if p] for row in graph["tokens"].numpy().tolist()]
    for text, row, ids in zip(TRICKY, pieces, graph["token_ids"].numpy(), strict=True):
        want = model.source.encode(text)
        assert model.source.pieces(text) == row
        np.testing.assert_array_equal(ids[: len(want)], want)
        np.testing.assert_array_equal(numpy_side.encode(text), want)
    assert 0 in model.source.encode("☃ ǅ 😀 ß")  # characters never seen: OOV
    assert 0 not in model.source.encode("El ornitorrinco desayunaba en Zaragoza.")  # pieces


def test_every_path_translates_alike(exported):
    model, directory, loaded = exported
    served = loaded.signatures["serving_default"](text=tf.constant(TRICKY))
    greedy = model.translate(TRICKY)
    assert strings(served["output"]) == greedy
    tokens, logp, _ = model.decode(model.encode_texts(TRICKY))
    np.testing.assert_allclose(served["log_prob"].numpy(), logp, atol=1e-3)
    # Per token: over the output's tokens and the END after them.
    chosen = [len(model.output_ids(row)) + (model.end in list(row)) for row in tokens]
    per_token = logp / np.array(chosen)
    assert model.translate(TRICKY, return_log_prob=True) == (greedy, pytest.approx(per_token))
    np.testing.assert_allclose(served["log_prob_per_token"].numpy(), per_token, atol=1e-3)
    runtime = OnnxModel(directory)
    outputs, scores = runtime.translate(TRICKY, return_log_prob=True)
    assert outputs == greedy
    np.testing.assert_allclose(scores, per_token, atol=1e-3)
    beams, beam_scores = model.translate(TRICKY, beam_width=5, return_log_prob=True)
    outputs, scores = runtime.translate(TRICKY, beam_width=5, return_log_prob=True)
    assert outputs == beams
    np.testing.assert_allclose(scores, beam_scores, atol=1e-3)
    assert max(beam_scores) <= 0 and min(beam_scores) < -0.01


def test_bad_input_is_refused_alike_on_every_path(exported):
    model, directory, loaded = exported
    serve, runtime = loaded.signatures["serving_default"], OnnxModel(directory)
    long = "hola " * 65  # 65 words, over the 64 tokens the model reads
    for translate in (model.translate, runtime.translate):
        with pytest.raises(ValueError, match="input 1 is empty or only whitespace"):
            translate(["Hola.", " \t "])
        with pytest.raises(ValueError, match="input 0 is empty"):
            translate([""])
        with pytest.raises(TypeError, match="input 1 is a int"):
            translate(["Hola.", 3])
        with pytest.raises(ValueError, match=r"input 1 has \d+ tokens; .* reads at most 64"):
            translate(["Hola.", long])
    for texts, message in (
        ([" \t "], "empty or whitespace-only"),
        ([""], "empty or whitespace"),
        (["Hola.", long], "over 64 tokens"),
    ):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            serve(text=tf.constant(texts))
    most = json.loads((directory / "zoo.json").read_text())["limits"]["max_text_chars"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="input text bytes"):
        serve(text=tf.constant(["a" * (4 * most + 1)]))  # refused before it is decoded
    with pytest.raises(ValueError, match=f"reads at most {most}"):
        runtime.translate(["a" * (most + 1)])
