"""LiteRT export on tiny models: builtin ops only (no Flex or custom op):
LSTM layers (peephole and CIFG too) become fused
UNIDIRECTIONAL_SEQUENCE_LSTM ops, other cells a WHILE loop; the batch-1
graphs give Keras' numbers row by row through their signature, and the
version is published under litert-only/ with the others' numbering."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from exports import layout, litert_export
from exports.exporter import export
from exports.graphs import graphs_for
from exports.litert_export import NotBuiltin, one_at_a_time, op_names, to_litert, with_signature
from exports.onnx_rnn import LoopFallbackWarning
from exports.quantize import QualityError
from tests.zoo.helpers import randomize
from training.core.held_out import Judge
from zoo.layers import RNN, LSTMCell
from zoo.models import CharLM, FastStyle, TextClassifier
from zoo.words import WordVocabulary
from zoo_runtime.chars import CharVocabulary

CHARS = CharVocabulary.from_text("abcdefgh ROME:\n").tokens
REVIEWS = ["a good film", "not good at all, a bad bad film", "bad"]


def tiny_char_lm(cell, layers=1, seed=0, units=6, **options):
    model = CharLM(CHARS, cell=cell, units=units, embedding_dim=4, num_layers=layers, **options)
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
    fused = cell in ("lstm", "peephole", "cifg")
    loops = {op for op in entry["ops"] if op.startswith("UNIDIRECTIONAL") or op == "WHILE"}
    assert loops == ({"UNIDIRECTIONAL_SEQUENCE_LSTM"} if fused else {"WHILE"})
    assert entry["batch"] == 1 and entry["stateful"] == bool(fused)  # variables to reset
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


@pytest.mark.parametrize("cell", ["gru", "peephole"])
def test_a_bidirectional_masked_classifier_runs_in_litert(tmp_path, cell):
    vocabulary = WordVocabulary.from_texts(REVIEWS * 3, 20, 1).tokens
    model = TextClassifier(
        vocabulary,
        cell=cell,
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
    got = graph.run({"token_ids": ids})  # rows of several lengths, one after another
    ops = op_names((directory / "model.tflite").read_bytes())
    assert ("UNIDIRECTIONAL_SEQUENCE_LSTM" in ops) == (cell == "peephole")
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


def logits_judge(model, tolerance, photos=()):
    """-1000 x mean |logit - Keras'| of one fixed prompt through the
    step graph: 0 for Keras, below 0 for a graph that rounds."""
    ids = np.arange(1, 9, dtype=np.int32)[None] % (len(CHARS) - 1) + 1
    sizes = [s for rnn in model.recurrent for s in rnn.cell.state_size]
    zeros = [np.zeros((1, n), np.float32) for n in sizes]
    want = np.asarray(model.forward(ids, [zeros])[0])

    def score(subject):
        if isinstance(subject, Path):
            names = json.loads((subject / "zoo.json").read_text())["state_names"]
            graph = litert_export.load(subject / "model.tflite")
            got = graph.run({"token_ids": ids, **dict(zip(names, zeros, strict=True))})["logits"]
        else:
            got = want
        return {"closeness": -1000 * float(np.abs(got - want).mean())}

    return Judge("one prompt", {"closeness": (True, tolerance)}, score, tuple(photos))


@pytest.mark.parametrize("scheme", ["dynamic", "int8"])
def test_a_quantized_litert_export_holds_int8_weights_and_records_its_change(tmp_path, scheme):
    model = tiny_char_lm("lstm", units=48)  # LiteRT leaves weights under 1024 values in float
    judge = logits_judge(model, tolerance=1e9)
    directory = export(model, tmp_path, ("litert",), name="m", quantize=scheme, judge=judge)
    assert directory.parent.name == "litert-only"
    contract = json.loads((directory / "zoo.json").read_text())
    record = contract["quantization"]
    assert record["scheme"] == scheme
    assert record["method"]["model.tflite"].startswith("dynamic range")  # no photos: not calibrated
    change = record["metrics"]["closeness"]
    assert change["float32"] == 0.0 and change["int8"] == pytest.approx(
        judge.measure(directory)["closeness"], abs=1e-4
    )
    assert change["int8"] < 0  # int8 weights round: the logits moved
    float_model = to_litert(*graphs_for(model).onnx["model.onnx"], model)
    assert (directory / "model.tflite").stat().st_size < 0.6 * len(float_model)


def test_a_style_network_is_calibrated_for_int8(tmp_path):
    model = FastStyle(filters=(4, 8, 8), residual_blocks=1)
    model.build()
    randomize(model, np.random.default_rng(3))
    photos = [
        np.random.default_rng(i).integers(0, 256, (24, 20, 3)).astype(np.uint8) for i in range(3)
    ]
    judge = Judge("none", {"x": (True, 1e9)}, lambda subject: {"x": 0.0}, tuple(photos))
    directory = export(model, tmp_path, ("litert",), name="s", quantize="int8", judge=judge)
    record = json.loads((directory / "zoo.json").read_text())["quantization"]
    assert record["method"]["model.tflite"].startswith("int8 weights and activations")
    ops = json.loads((directory / "zoo.json").read_text())["litert"]["model.tflite"]["ops"]
    assert "QUANTIZE" in ops  # activations cross into int8
    image = photos[0][None]
    got = litert_export.load(directory / "model.tflite").run({"image": image})["stylized"]
    assert got.shape == image.shape and got.dtype == np.uint8


def test_quantization_is_refused_for_two_formats_or_an_unknown_scheme(tmp_path):
    model = tiny_char_lm("gru")
    judge = logits_judge(model, tolerance=1.0)
    with pytest.raises(ValueError, match="holds one format"):
        export(model, tmp_path, ("onnx", "litert"), quantize="int8", judge=judge)
    with pytest.raises(
        ValueError, match=r"litert quantization must be one of \('dynamic', 'int8'\)"
    ):
        export(model, tmp_path, ("litert",), quantize="float16", judge=judge)
    with pytest.raises(ValueError, match=r"onnx quantization must be one of \('int8',\)"):
        export(model, tmp_path, ("onnx",), quantize="dynamic", judge=judge)


def test_a_quantized_export_that_fails_at_run_time_is_refused(tmp_path):
    model = tiny_char_lm("gru", units=48)

    def score(subject):
        if isinstance(subject, Path):
            raise RuntimeError("Node number 30 (DIV) failed to invoke.")
        return {"x": 0.0}

    judge = Judge("one prompt", {"x": (True, 1.0)}, score)
    with pytest.raises(QualityError, match=r"fails on one prompt: Node number 30 \(DIV\)"):
        export(model, tmp_path, ("litert",), name="m", quantize="dynamic", judge=judge)
    assert not (tmp_path / "m" / "litert-only").exists() or not any(
        p.name.isdigit() for p in (tmp_path / "m" / "litert-only").iterdir()
    )


class StepModel(keras.Model):
    """A decoder-like step over a sequence: the previous h feeds the
    layer's input (as attention does), the new h and c feed outputs and,
    with `reread`, the previous h too."""

    def __init__(self, reread):
        super().__init__()
        self.reread = reread
        self.rnn = RNN(LSTMCell(6, peepholes=True), return_sequences=True, return_state=True)
        self.query = keras.layers.Dense(3)
        self.head = keras.layers.Dense(5)

    def step(self, x, h, c):
        query = tf.repeat(self.query(h)[:, None], tf.shape(x)[1], axis=1)
        outputs, h_next, c_next = self.rnn(tf.concat([x, query], axis=-1), initial_state=[h, c])
        logits = self.head(outputs + h[:, None] if self.reread else outputs)
        # Read from the new c alone: nothing else orders it after the layer.
        return {"logits": logits, "h": h_next, "c": c_next, "c_query": self.query(c_next)}


@pytest.mark.parametrize("reread", [False, True])
def test_a_layer_updates_its_fed_state_in_place_only_where_that_is_safe(reread):
    """The fused op overwrites its state input. Where the old state is
    read after the layer, the graph keeps the loop (with a warning); either
    way, the default interpreter (XNNPACK partitions the graph) gives
    Keras' numbers, the new state included."""
    model = StepModel(reread)
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.5, (2, 5, 4)).astype(np.float32)
    h, c = (rng.normal(0, 0.5, (2, 6)).astype(np.float32) for _ in range(2))
    model.step(x, h, c)
    randomize(model, rng)
    signature = [
        tf.TensorSpec((None, None, 4), tf.float32, "x"),
        tf.TensorSpec((None, 6), tf.float32, "h"),
        tf.TensorSpec((None, 6), tf.float32, "c"),
    ]
    if reread:
        with pytest.warns(LoopFallbackWarning, match="read where the layer may have updated it"):
            flatbuffer = to_litert(model.step, signature, model)
    else:
        flatbuffer = to_litert(model.step, signature, model)
    assert ("UNIDIRECTIONAL_SEQUENCE_LSTM" in op_names(flatbuffer)) != reread
    got = litert_export.load(flatbuffer).run({"x": x, "h": h, "c": c})
    for name, want in model.step(x, h, c).items():
        np.testing.assert_allclose(got[name], want, atol=1e-5)


def test_a_cell_called_on_its_own_stays_plain_ops():
    """One step has no loop to fuse: a standalone cell is FULLY_CONNECTED
    and element-wise ops, which XNNPACK runs faster than the fused op."""
    cell = LSTMCell(4)
    cell.build((None, 3))

    def step(x, h, c):
        output, (h_next, c_next) = cell(x, [h, c])
        return {"h": h_next, "c": c_next}

    signature = [
        tf.TensorSpec((None, n), tf.float32, k) for k, n in zip("xhc", (3, 4, 4), strict=True)
    ]
    ops = op_names(to_litert(step, signature, cell))
    assert "FULLY_CONNECTED" in ops and not {"WHILE", "UNIDIRECTIONAL_SEQUENCE_LSTM"} & set(ops)


def test_a_fully_masked_row_gives_kerass_answer_not_nan():
    """A row with no unmasked step has no last step for the fused op: it
    runs one and keeps the initial state, as Keras does."""
    tokens = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(20, 6, mask_zero=True)(tokens)
    model = keras.Model(tokens, keras.layers.Bidirectional(RNN(LSTMCell(5)))(embedded))
    signature = [tf.TensorSpec((None, None), tf.int32, "ids")]
    flatbuffer = to_litert(lambda ids: {"y": model(ids)}, signature, model)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in op_names(flatbuffer)
    ids = np.array([[0, 0, 0], [3, 0, 0], [4, 5, 6]], np.int32)
    got = litert_export.load(flatbuffer).run({"ids": ids})["y"]
    np.testing.assert_allclose(got, model(ids), atol=1e-6)


@pytest.mark.parametrize("cell", ["gru", "rnn", "lstm"])
def test_a_char_lm_with_dropout_exports_without_its_random_masks(tmp_path, cell):
    """Keras' RNN layer draws its cells' dropout masks before the loop even
    at inference; the draw writes the seed generator's variable, which the
    LiteRT converter cannot freeze. Exports trace with the rates at 0, which
    inference never reads, so the graph holds no random op."""
    options = {"dropout": 0.1, "recurrent_dropout": 0.2}
    model = tiny_char_lm(cell, output_dropout=0.3, cell_options=options)
    directory = export(model, tmp_path, formats=("litert", "savedmodel"), name=f"drop-{cell}")
    contract = json.loads((directory / "zoo.json").read_text())
    assert contract["verified"]["model.tflite"] <= 1e-4
    graph = tf.saved_model.load(str(directory))
    ops = {
        node.op
        for function in graph.signatures["serving_default"].graph.as_graph_def().library.function
        for node in function.node_def
    }
    assert ops and not {op for op in ops if "Random" in op or op == "AssignVariableOp"}
    assert model.recurrent[0].cell.recurrent_dropout == 0.2  # restored after the export
