"""zoo.addons models leave Python: the new cells export to SavedModel and
ONNX (an RNN node for the echo state cell without leak, a Loop with the
usual warning for NAS and the layer-normalised RNN), and a translator
written with TF Addons' AttentionWrapper + BeamSearchDecoder (the worked
port in docs/examples/tfa_nmt.py) exports to a SavedModel with a serving
signature that `zoo serve` answers, the same as Keras."""

import importlib.util
from pathlib import Path

import keras
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import tensorflow as tf

from exports import export
from exports.onnx_export import op_types
from exports.onnx_rnn import LoopFallbackWarning
from zoo import layers

ROOT = Path(__file__).resolve().parents[2]


def research_cells_model():
    x = keras.Input((None, 4), name="features")
    h = layers.RNN(layers.ESNCell(6, connectivity=0.5, seed=1), return_sequences=True)(x)
    h = layers.RNN(layers.LayerNormSimpleRNNCell(5), return_sequences=True)(h)
    h = layers.RNN(layers.NASCell(4, projection=3))(h)
    return keras.Model(x, keras.layers.Dense(2, name="scores")(h))


def test_research_cells_export_to_savedmodel_and_onnx(tmp_path):
    model = research_cells_model()
    with pytest.warns(LoopFallbackWarning) as caught:
        directory = export(model, tmp_path, name="cells")
    reasons = " ".join(str(w.message) for w in caught)
    assert "layer normalisation" in reasons and "NASCell" in reasons
    feed = np.random.default_rng(3).normal(size=(3, 6, 4)).astype("float32")
    want = np.asarray(model(feed))
    serve = tf.saved_model.load(str(directory)).signatures["serving_default"]
    np.testing.assert_allclose(serve(features=tf.constant(feed))["scores"], want, atol=1e-5)
    proto = onnx.load(str(directory / "model.onnx"))
    assert {"RNN", "Loop"} <= set(op_types(proto))  # the echo state cell is native
    got = ort.InferenceSession(proto.SerializeToString()).run(["scores"], {"features": feed})[0]
    np.testing.assert_allclose(got, want, atol=1e-4)


def load_port():
    path = ROOT / "docs" / "examples" / "tfa_nmt.py"
    spec = importlib.util.spec_from_file_location("tfa_nmt", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def translator():
    """The port trained for one short epoch: enough for real weights."""
    port = load_port()
    pairs = port.read_pairs(port.DATA, 600)
    encoder, decoder, source_vocab, target_vocab, losses = port.train(
        pairs, units=24, embedding_dim=16
    )
    assert np.isfinite(losses[0])
    return port, port.Translator(encoder, decoder), source_vocab


@pytest.mark.system
def test_tfa_beam_search_model_exports_and_zoo_serve_answers_as_keras(translator, tmp_path):
    from serving import RestClient
    from serving.server import EmbeddedServer

    port, model, source_vocab = translator
    sentences = ["tengo frio.", "es mi casa.", "vete."]
    ids = np.array([source_vocab.encode(port.normalize(s), 12) for s in sentences], "int32")
    want = {k: np.asarray(v) for k, v in model(ids).items()}
    signature = [tf.TensorSpec((None, None), tf.int32, name="source")]
    directory = export(
        model, tmp_path, formats=("savedmodel",), name="nmt", input_signature=signature
    )
    serve = tf.saved_model.load(str(directory)).signatures["serving_default"]
    got = serve(source=tf.constant(ids))
    np.testing.assert_array_equal(got["target_ids"], want["target_ids"])
    with EmbeddedServer(tmp_path, rest_port=0, grpc_port=0) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
        answer = rest.predict("nmt", inputs={"source": ids})
    np.testing.assert_array_equal(np.asarray(answer["target_ids"]), want["target_ids"])
    np.testing.assert_allclose(np.asarray(answer["log_prob"]), want["log_prob"], atol=1e-4)
