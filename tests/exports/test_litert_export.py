"""LiteRT export on tiny models: every cell's loop becomes builtin ops only
(a WHILE, no Flex or custom op), the batch-1 graphs give Keras' numbers
row by row through their signature, and the version is published under
litert-only/ with the others' numbering."""

import json

import numpy as np
import pytest
import tensorflow as tf

from exports import layout, litert_export
from exports.exporter import export
from exports.litert_export import NotBuiltin, one_at_a_time, op_names, to_litert, with_signature
from tests.zoo.helpers import randomize
from zoo.models import CharLM, TextClassifier
from zoo.words import WordVocabulary
from zoo_runtime.chars import CharVocabulary

CHARS = CharVocabulary.from_text("abcdefgh ROME:\n").tokens
REVIEWS = ["a good film", "not good at all, a bad bad film", "bad"]


def tiny_char_lm(cell, layers=1, seed=0):
    model = CharLM(CHARS, cell=cell, units=6, embedding_dim=4, num_layers=layers)
    model.build()
    randomize(model, np.random.default_rng(seed))
    return model


def numpy_steps(model, ids, states):
    """Keras' forward pass, one example at a time, as numpy."""
    logits, final = model.forward(ids, states)
    return np.asarray(logits), [np.asarray(s) for layer in final for s in layer]


@pytest.mark.parametrize("cell", ["lstm", "gru", "peephole", "cifg", "rnn"])
def test_a_char_lm_step_runs_in_litert_as_in_keras(tmp_path, cell):
    model = tiny_char_lm(cell, layers=2)
    directory = export(model, tmp_path, formats=("litert",), name=f"tiny-{cell}")
    assert directory == tmp_path / f"tiny-{cell}" / "litert-only" / "1"
    contract = json.loads((directory / "zoo.json").read_text())
    entry = contract["litert"]["model.tflite"]
    assert contract["verified"]["model.tflite"] <= 1e-4
    assert "WHILE" in entry["ops"] and entry["batch"] == 1
    assert all(op.isupper() and not op.startswith("FLEX") for op in entry["ops"])

    graph = litert_export.load(directory / "model.tflite")
    rng = np.random.default_rng(1)
    ids = rng.integers(1, len(CHARS), (3, 7)).astype(np.int32)
    names = contract["state_names"]
    sizes = [s for rnn in model.recurrent for s in rnn.cell.state_size]
    states = [rng.normal(0, 0.5, (3, n)).astype(np.float32) for n in sizes]
    got = graph.run({"token_ids": ids, **dict(zip(names, states, strict=True))})
    grouped = [states[:2], states[2:]] if len(states) == 4 else [states[:1], states[1:]]
    logits, final = numpy_steps(model, ids, grouped)
    np.testing.assert_allclose(got["logits"], logits, atol=1e-4)
    for name, want in zip(names, final, strict=True):
        np.testing.assert_allclose(got[f"next_{name}"], want, atol=1e-4)


def test_a_bidirectional_masked_classifier_runs_in_litert(tmp_path):
    vocabulary = WordVocabulary.from_texts(REVIEWS * 3, 20, 1).tokens
    model = TextClassifier(
        vocabulary,
        cell="gru",
        units=5,
        embedding_dim=4,
        attention_units=3,
        max_tokens=9,
        head_tokens=4,
    )
    model.build()
    randomize(model, np.random.default_rng(2))
    directory = export(model, tmp_path, formats=("onnx", "litert"), name="tiny-sentiment")
    assert directory.parent.name == "onnx-only"  # it holds ONNX graphs too
    graph = litert_export.load(directory / "model.tflite")
    ids, _ = model.encode_texts(REVIEWS)  # right-padded: the masked steps are real
    got = graph.run({"token_ids": ids})
    logits, weights = model.forward(ids)
    np.testing.assert_allclose(got["probability"], model.probabilities(logits), atol=1e-5)
    np.testing.assert_allclose(got["weights"], weights, atol=1e-5)
    assert np.all(got["weights"][ids == 0] == 0)


def test_versions_count_across_the_three_homes(tmp_path):
    model = tiny_char_lm("gru")
    first = export(model, tmp_path, formats=("onnx",), name="m")
    second = export(model, tmp_path, formats=("litert",), name="m")
    third = export(model, tmp_path, formats=("savedmodel",), name="m")
    assert [first.parent.name, second.parent.name, third.name] == ["onnx-only", "litert-only", "3"]
    assert (first.name, second.name) == ("1", "2")
    assert layout.versions(tmp_path / "m") == [1, 2, 3]


def test_a_graph_that_needs_a_select_tf_op_is_refused():
    def lgamma(x):
        return {"y": tf.math.igamma(x, x)}  # no LiteRT builtin computes it

    with pytest.raises(NotBuiltin, match="conversion failed|non-builtin"):
        to_litert(lgamma, [tf.TensorSpec((None, 3), tf.float32, "x")])


def test_the_op_list_and_the_signature_name_the_inputs_and_outputs():
    def affine(x, scale):
        return {"z": x * scale + 1.0, "a": tf.nn.relu(x)}

    signature = [
        tf.TensorSpec((None, 3), tf.float32, "x"),
        tf.TensorSpec((None, 1), tf.float32, "scale"),
    ]
    flatbuffer = to_litert(affine, signature)
    assert {"MUL", "ADD", "RELU"} <= set(op_names(flatbuffer))
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]], np.float32)
    scale = np.array([[2.0], [-1.0]], np.float32)
    got = litert_export.load(flatbuffer).run({"scale": scale, "x": x})
    np.testing.assert_allclose(got["z"], x * scale + 1.0)
    np.testing.assert_allclose(got["a"], np.maximum(x, 0))
    with pytest.raises(NotBuiltin, match="2 inputs and 2 outputs"):
        with_signature(flatbuffer, ["x"], ["z", "a"])


def test_the_runner_names_missing_inputs_and_refuses_an_empty_batch():
    def double(x):
        return {"y": x * 2.0}

    graph = litert_export.load(to_litert(double, [tf.TensorSpec((None, 2), tf.float32, "x")]))
    with pytest.raises(ValueError, match=r"missing \['x'\], unknown \['z'\]"):
        graph.run({"z": np.zeros((1, 2))})
    with pytest.raises(ValueError, match="empty"):
        graph.run({"x": np.zeros((0, 2))})


def test_a_fixed_batch_other_than_one_is_refused():
    with pytest.raises(ValueError, match="batch 1"):
        one_at_a_time([tf.TensorSpec((4, 3), tf.float32, "x")])
    assert one_at_a_time([tf.TensorSpec((None, None), tf.int32, "t")])[0].shape == (1, None)


def test_each_runtime_takes_the_newest_version_it_can_run(tmp_path):
    from serving import OnnxModel
    from serving.onnx_model import ArtifactError

    model = tiny_char_lm("lstm")
    onnx_version = export(model, tmp_path, formats=("onnx",), name="m")
    litert_version = export(model, tmp_path, formats=("litert",), name="m")
    assert OnnxModel(tmp_path / "m").path == onnx_version  # version 2 has no ONNX file
    litert = OnnxModel(tmp_path / "m", runtime="litert")
    assert litert.path == litert_version
    prompt = "ROME"
    assert litert.generate(prompt, 12, temperature=0) == model.generate(prompt, 12, temperature=0)
    with pytest.raises(ArtifactError, match="no litert graphs"):
        OnnxModel(onnx_version, runtime="litert")
    with pytest.raises(ValueError, match="runtime must be one of"):
        OnnxModel(tmp_path / "m", runtime="tflite")
